// The attentions of recent compact (half-precision) streams, kept so that the page can fetch the exact
// float32 values of what the user points at (POST /api/values) without sending or running the input
// again. Bounded by count and by bytes; the oldest go first, and a page asking for one that went gets a
// 410 and runs its input again.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "attnscope/trace.h"

namespace attnscope::server {

class TraceCache {
  public:
    static constexpr size_t kMaxTraces = 4;
    static constexpr size_t kMaxBytes = size_t{512} << 20;  // of attentions, over all held traces

    // A fresh id for a stream that will put its trace here: random, so that ids from an earlier server on
    // the same port, or from another tab, never name the wrong input.
    std::string new_id();
    void put(const std::string& id, Trace trace);
    // nullptr when the id was never held or has been dropped.
    std::shared_ptr<const Trace> get(const std::string& id) const;

    // A trace to compute the next stream into. Its buffers are already mapped and touched: a fresh 75 MB
    // attention buffer (MiniLM, 512 tokens) costs ~19,000 page faults before the first layer, measured at
    // ~40-60 ms on this project's machine, where the layer itself takes ~14 ms. Empty when none is spare.
    Trace take_spare();
    // A trace no longer needed (a float32 stream's, after its end): kept as the spare if it is larger than
    // the one kept (one at most, so an idle server holds at most one trace beyond the ones above).
    void give_spare(Trace trace);

  private:
    struct Held {
        std::string id;
        std::shared_ptr<Trace> trace;
        size_t bytes;
    };
    void keep_spare_locked(Trace&& trace);

    mutable std::mutex mutex_;
    std::deque<Held> held_;  // oldest first
    size_t bytes_ = 0;
    Trace spare_;
};

}  // namespace attnscope::server
