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
    void put(const std::string& id, std::shared_ptr<const Trace> trace);
    // nullptr when the id was never held or has been dropped.
    std::shared_ptr<const Trace> get(const std::string& id) const;

  private:
    struct Held {
        std::string id;
        std::shared_ptr<const Trace> trace;
        size_t bytes;
    };
    mutable std::mutex mutex_;
    std::deque<Held> held_;  // oldest first
    size_t bytes_ = 0;
};

}  // namespace attnscope::server
