// Colour scales shared by the terminal views and the library's HTML reports.
#pragma once

namespace attnscope {

struct Rgb {
    int r, g, b;
};
// Viridis (perceptually uniform, colour-blind safe) at t in [0, 1].
Rgb viridis(double t);

}  // namespace attnscope
