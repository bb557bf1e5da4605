#include "cli/signals.hpp"

#include <csignal>
#include <cstring>

#include <unistd.h>

#include "mnistlr/data/file_io.hpp"

namespace mnistlr::cli {
namespace {

volatile std::sig_atomic_t g_defer = 0;    // inside a DeferSignals scope
volatile std::sig_atomic_t g_pending = 0;  // the signal recorded there

void say(const char* s) noexcept {
    std::size_t n = std::strlen(s);
    while (n > 0) {
        const ssize_t w = ::write(STDERR_FILENO, s, n);
        if (w <= 0) return;
        s += w;
        n -= static_cast<std::size_t>(w);
    }
}

[[noreturn]] void exit_by(int sig) noexcept {
    remove_temp_files();
    say("mnistlr: interrupted by ");
    say(signal_name(sig));
    say("\n");
    ::_exit(128 + sig);
}

extern "C" void on_stop(int sig) {
    if (g_defer) {
        g_pending = sig;
        return;
    }
    exit_by(sig);
}

extern "C" void on_fatal(int sig) {
    remove_temp_files();
    std::signal(sig, SIG_DFL);
    ::raise(sig);
}

extern "C" void on_bus(int sig, siginfo_t* info, void*) {
    remove_temp_files();
    if (const char* msg = info ? mapped_file_message(info->si_addr) : nullptr) {
        say(msg);
        ::_exit(2);
    }
    std::signal(sig, SIG_DFL);
    ::raise(sig);
}

void install(int sig, void (*handler)(int)) {
    struct sigaction old {};
    ::sigaction(sig, nullptr, &old);
    if (old.sa_handler == SIG_IGN) return;  // ignored by the parent: keep it so
    struct sigaction sa {};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) sigaddset(&sa.sa_mask, s);
    ::sigaction(sig, &sa, nullptr);
}

}  // namespace

void install_signal_handlers() {
    for (int s : {SIGINT, SIGTERM, SIGHUP}) install(s, on_stop);
    for (int s : {SIGQUIT, SIGPIPE}) install(s, on_fatal);
    struct sigaction sa {};
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, nullptr);
}

DeferSignals::DeferSignals() {
    g_pending = 0;
    g_defer = 1;
}

DeferSignals::~DeferSignals() {
    g_defer = 0;
    if (const int sig = g_pending) exit_by(sig);
}

int pending_signal() noexcept { return g_pending; }

int take_pending_signal() noexcept {
    const int sig = g_pending;
    g_pending = 0;
    return sig;
}

const char* signal_name(int sig) noexcept {
    switch (sig) {
        case SIGINT: return "SIGINT";
        case SIGTERM: return "SIGTERM";
        case SIGHUP: return "SIGHUP";
        case SIGQUIT: return "SIGQUIT";
        case SIGPIPE: return "SIGPIPE";
        default: return "a signal";
    }
}

}  // namespace mnistlr::cli
