#include "trace_cache.h"

#include <fmt/format.h>

#include <random>

namespace attnscope::server {

std::string TraceCache::new_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{:016x}", rng());
}

void TraceCache::put(const std::string& id, std::shared_ptr<const Trace> trace) {
    const size_t bytes = trace->attentions.size() * sizeof(float);
    std::lock_guard lock(mutex_);
    held_.push_back({id, std::move(trace), bytes});
    bytes_ += bytes;
    // The newest stays even alone over the byte budget: its page is about to ask for it.
    while (held_.size() > 1 && (held_.size() > kMaxTraces || bytes_ > kMaxBytes)) {
        bytes_ -= held_.front().bytes;
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

}  // namespace attnscope::server
