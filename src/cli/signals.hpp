// The process's signal handling, installed once by main() before any output file is claimed and
// shared by every subcommand.
//
//   SIGINT, SIGTERM, SIGHUP   every temp file is removed and the process exits 128 + signal (130, 143,
//                             129) with one line on stderr. Inside a DeferSignals scope (the training
//                             loop) the signal is only recorded, and the loop stops at the next step.
//   SIGQUIT, SIGPIPE          temp files are removed, then the default action (core dump, death by
//                             SIGPIPE) takes place.
//   SIGBUS                    a memory-mapped input shrank under the process: "mnistlr: error: <path>:
//                             file changed while being read", temp files removed, exit 2.
// A signal that the parent set to be ignored (`mnistlr train &` in a script, `nohup`) stays ignored.
#pragma once

namespace mnistlr::cli {

void install_signal_handlers();

// While alive, SIGINT, SIGTERM and SIGHUP are recorded instead of ending the process. The owner
// polls pending_signal() and calls take_pending_signal() when it handles the signal itself; a
// signal still pending when the scope ends is acted on then (temp files removed, exit 128 + signal).
class DeferSignals {
public:
    DeferSignals();
    ~DeferSignals();
    DeferSignals(const DeferSignals&) = delete;
    DeferSignals& operator=(const DeferSignals&) = delete;
};

// The recorded signal (0: none).
int pending_signal() noexcept;
// Returns the recorded signal and clears it.
int take_pending_signal() noexcept;
// "SIGINT", "SIGTERM", ... for messages.
const char* signal_name(int sig) noexcept;

}  // namespace mnistlr::cli
