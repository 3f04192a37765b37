#include "trace_cache.h"

#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <utility>

namespace attnscope::server {

std::string TraceCache::new_id() {
    // Straight from the system's generator, not a seeded PRNG: a client that sees its own ids must learn
    // nothing of another client's (a Mersenne twister's state follows from a few hundred outputs).
    std::random_device device;
    const uint64_t id = (static_cast<uint64_t>(device()) << 32) | device();
    return fmt::format("{:016x}", id);
}

void TraceCache::put(const std::string& id, Trace trace) {
    const size_t bytes = trace.attentions.size() * sizeof(float);
    std::lock_guard lock(mutex_);
    held_.push_back({id, std::make_shared<Trace>(std::move(trace)), bytes});
    bytes_ += bytes;
    // The newest stays even alone over the byte budget: its page is about to ask for it.
    while (held_.size() > 1 && (held_.size() > kMaxTraces || bytes_ > kMaxBytes)) {
        Held& oldest = held_.front();
        bytes_ -= oldest.bytes;
        // No /api/values answer is reading it (one would hold a reference, taken under this mutex): reuse it.
        if (oldest.trace.use_count() == 1) keep_spare_locked(std::move(*oldest.trace));
        held_.pop_front();
    }
}

std::shared_ptr<const Trace> TraceCache::get(const std::string& id) const {
    std::lock_guard lock(mutex_);
    for (const Held& h : held_) {
        if (h.id == id) return h.trace;
    }
    return nullptr;
}

Trace TraceCache::take_spare() {
    std::lock_guard lock(mutex_);
    return std::exchange(spare_, Trace{});
}

void TraceCache::give_spare(Trace trace) {
    std::lock_guard lock(mutex_);
    keep_spare_locked(std::move(trace));
}

void TraceCache::keep_spare_locked(Trace&& trace) {
    if (trace.attentions.borrowed() || trace.attentions.capacity() <= spare_.attentions.capacity()) return;
    spare_ = std::move(trace);
}

}  // namespace attnscope::server
