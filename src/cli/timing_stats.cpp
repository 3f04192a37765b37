#include "timing_stats.h"

#include <algorithm>
#include <cmath>

namespace attnscope::cli {

Stats summarize(std::vector<double> v) {
    Stats s;
    std::sort(v.begin(), v.end());
    s.reps = static_cast<int>(v.size());
    auto q = [&](double f) { return v[static_cast<size_t>(std::lround(f * static_cast<double>(v.size() - 1)))]; };
    s.median = q(0.5);
    s.min = v.front();
    s.max = v.back();
    s.p10 = q(0.1);
    s.p90 = q(0.9);
    std::vector<double> dev;
    for (double x : v) dev.push_back(std::fabs(x - s.median));
    std::sort(dev.begin(), dev.end());
    s.mad = dev[dev.size() / 2];
    return s;
}

}  // namespace attnscope::cli
