// A single updating progress line on stderr, shown only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>

#include <unistd.h>

namespace mnistlr::cli {

class ProgressLine {
public:
    explicit ProgressLine(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO) == 1) {}
    ~ProgressLine() { finish(); }

    // Redraws at most ~10 times a second.
    void update(std::size_t step, std::size_t steps, float loss) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        if (drawn_ && now - last_ < std::chrono::milliseconds(100) && step != steps) return;
        last_ = now;
        const double secs = std::chrono::duration<double>(now - start_).count();
        const double rate = secs > 0 ? static_cast<double>(step) / secs : 0.0;
        std::fprintf(stderr, "\r\033[Kstep %zu/%zu  %.0f steps/s  loss %.4f", step, steps, rate,
                     static_cast<double>(loss));
        std::fflush(stderr);
        drawn_ = true;
    }
    void finish() {
        if (drawn_) std::fputs("\r\033[K", stderr);
        drawn_ = false;
    }

private:
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace mnistlr::cli
