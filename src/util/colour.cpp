#include "attnscope/colour.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

Rgb viridis(double t) {
    static const Rgb stops[] = {{68, 1, 84},    {71, 44, 122}, {59, 81, 139},  {44, 113, 142}, {33, 144, 141},
                                {39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37}};
    t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 8.0;
    int i = std::min(7, static_cast<int>(t));
    double f = t - i;
    const Rgb& a = stops[i];
    const Rgb& b = stops[i + 1];
    return {static_cast<int>(std::lround(a.r + (b.r - a.r) * f)), static_cast<int>(std::lround(a.g + (b.g - a.g) * f)),
            static_cast<int>(std::lround(a.b + (b.b - a.b) * f))};
}

}  // namespace attnscope
