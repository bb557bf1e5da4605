// Runs the mnistlr binary on a pseudo-terminal, as a user at a terminal would, so that a test can
// wait for what it prints (the progress line appears once training has started) before it sends a
// signal. Nothing here waits for "enough time": every wait is for an observable state, with a
// generous deadline that only turns a hang into a failure.
#pragma once

#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

namespace testutil {

class PtyRun {
public:
    // Runs `program` (default: the mnistlr binary) with `args`.
    explicit PtyRun(const std::vector<std::string>& args, std::string program = MNISTLR_BIN) {
        std::vector<std::string> copy = args;
        std::vector<char*> argv{program.data()};
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
        if (pid_ == 0) {
            ::execv(program.c_str(), argv.data());
            ::_exit(127);
        }
    }
    ~PtyRun() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (master_ >= 0) ::close(master_);
    }
    PtyRun(const PtyRun&) = delete;
    PtyRun& operator=(const PtyRun&) = delete;

    pid_t pid() const { return pid_; }
    // Whether the process has not exited yet (it is not reaped here; finish() does that).
    bool running() const {
        siginfo_t info{};
        return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
    }
    const std::string& output() const { return seen_; }

    // Reads the terminal until `text` has appeared `times` times (true) or the process closed it
    // (false).
    bool wait_for(const std::string& text, int times = 1, int deadline_s = 120) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(deadline_s);
        while (count(text) < times) {
            if (!read_some(end)) return false;
        }
        return true;
    }
    // Reads until the process closes the terminal, then returns its exit code (128 + signal when a
    // signal ended it).
    int finish(int deadline_s = 120) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(deadline_s);
        while (read_some(end)) {
        }
        int status = 0;
        ::waitpid(pid_, &status, 0);
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

private:
    int count(const std::string& text) const {
        int n = 0;
        for (auto pos = seen_.find(text); pos != std::string::npos; pos = seen_.find(text, pos + 1)) ++n;
        return n;
    }
    bool read_some(std::chrono::steady_clock::time_point end) {
        while (std::chrono::steady_clock::now() < end) {
            pollfd p{master_, POLLIN, 0};
            if (::poll(&p, 1, 200) <= 0) continue;
            char buf[4096];
            const ssize_t n = ::read(master_, buf, sizeof buf);
            if (n <= 0) return false;  // EIO: the child closed its side
            seen_.append(buf, static_cast<std::size_t>(n));
            return true;
        }
        return false;
    }

    pid_t pid_ = -1;
    int master_ = -1;
    bool reaped_ = false;
    std::string seen_;
};

// Polls until `pred` holds (true) or the deadline passes (false). The 1 ms sleep is only the
// polling interval between checks of an observable state (a file exists, a line was printed); it
// cannot race the work, and the 120 s deadline is a hang guard, not a timing assumption.
template <class Pred>
bool eventually(Pred pred, int deadline_s = 120) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(deadline_s);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

}  // namespace testutil
