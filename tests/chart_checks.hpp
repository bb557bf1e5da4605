// Checks shared by the chart and plot tests.
#pragma once

#include <cmath>

namespace testutil {

// True when step is 1, 2 or 5 times a power of ten.
inline bool is_nice_step(double step) {
    const double k = std::floor(std::log10(step) + 1e-9);
    const double m = step / std::pow(10.0, k);
    return std::abs(m - 1) < 1e-9 || std::abs(m - 2) < 1e-9 || std::abs(m - 5) < 1e-9;
}


}  // namespace testutil
