// Summary statistics of repeated timings, as `attnscope bench` reports them.
#pragma once

#include <vector>

namespace attnscope::cli {

struct Stats {
    double median = 0, min = 0, max = 0, mad = 0, p10 = 0, p90 = 0;
    int reps = 0;
};

// `v` must not be empty.
Stats summarize(std::vector<double> v);

}  // namespace attnscope::cli
