// The command line's edges through the real binary: every usage error is one line
// "mnistlr: error: ..." with exit 2; nonsense values (NaN, inf, empty paths, step counts beyond
// 2^40) are refused; --json output stays valid JSON for paths that are not UTF-8; a write error on
// standard output is an error (exit 2, or 141 for a closed pipe).
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "test_util.hpp"

using testutil::run_mnistlr;
using testutil::shell_quote;
using testutil::TempDir;

namespace {

using Bytes = std::vector<std::uint8_t>;

// A tiny data set in dir: 4 x 4 images of 3 classes (class c lights every third pixel from c),
// 21 training and 21 test images; a few SGD steps fit it.
void write_tiny_data(const std::string& dir) {
    constexpr std::uint32_t n = 21;
    Bytes px, ys;
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto c = static_cast<std::uint8_t>(i % 3);
        ys.push_back(c);
        for (std::uint32_t k = 0; k < 16; ++k) px.push_back(k % 3 == c ? 200 : 10);
    }
    for (const char* stem : {"train", "t10k"}) {
        testutil::write_file(dir + "/" + stem + "-images-idx3-ubyte", testutil::make_idx({n, 4, 4}, px));
        testutil::write_file(dir + "/" + stem + "-labels-idx1-ubyte", testutil::make_idx({n}, ys));
    }
}

// A directory whose name holds the byte 0xFF (not UTF-8), with the tiny data set and a model
// trained on it.
struct NonUtf8Fixture {
    TempDir tmp;
    std::string dir = tmp / "d\xFF";
    std::string weights = dir + "/w.bin";
    // How --json writes these paths: the byte as the four characters \xFF.
    std::string dir_json = tmp.path() + "/d\\xFF";
    NonUtf8Fixture() {
        ::mkdir(dir.c_str(), 0755);
        write_tiny_data(dir);
        const auto r = run_mnistlr({"train", "--data", dir, "-o", weights, "-q", "--steps", "30", "--batch", "7"});
        EXPECT_EQ(r.code, 0) << r.err;
    }
};

// Runs `sh -c script` (the script may use $MNISTLR for the binary), stderr captured.
testutil::RunResult run_shell(const std::string& script) {
    TempDir io;
    const std::string cmd = "MNISTLR=" + shell_quote(MNISTLR_BIN) + " sh -c " + shell_quote(script) + " 2>" +
                            shell_quote(io / "err") + " </dev/null";
    testutil::RunResult r;
    const int status = std::system(cmd.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const auto e = testutil::read_file(io / "err");
    r.err.assign(e.begin(), e.end());
    return r;
}

// Runs the binary with SIGPIPE ignored and standard output a pipe whose read end is already closed:
// every write to it fails with EPIPE, whatever the timing.
testutil::RunResult run_into_closed_pipe(const std::vector<std::string>& args) {
    TempDir io;
    const std::string err_path = io / "err";
    std::vector<std::string> argv_s = {MNISTLR_BIN};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) return {};
    ::close(fds[0]);
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::signal(SIGPIPE, SIG_IGN);  // inherited across exec
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int in = ::open("/dev/null", O_RDONLY);
        if (err < 0 || in < 0 || ::dup2(fds[1], 1) < 0 || ::dup2(err, 2) < 0 || ::dup2(in, 0) < 0) ::_exit(126);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    testutil::RunResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const auto e = testutil::read_file(err_path);
    r.err.assign(e.begin(), e.end());
    return r;
}

struct UsageCase {
    std::vector<std::string> args;
    std::string message;  // after "mnistlr: error: "
};

void expect_usage_errors(const std::vector<UsageCase>& cases) {
    for (const auto& c : cases) {
        std::string shown;
        for (const auto& a : c.args) shown += " " + a;
        const auto r = run_mnistlr(c.args);
        EXPECT_EQ(r.code, 2) << shown << ": " << r.err;
        EXPECT_EQ(r.err, "mnistlr: error: " + c.message + "\n") << shown;
        EXPECT_EQ(r.out, "") << shown;
    }
}

}  // namespace

TEST(CliUsage, structural_errors_are_one_line_with_a_pointer_to_help) {
    expect_usage_errors({
        {{"fit"},
         "unknown subcommand 'fit': the subcommands are train, eval, predict, export, plot-weights, plot-curves, explain, "
         "info or help (see mnistlr help)"},
        {{"--frobnicate"}, "unknown option '--frobnicate' (see mnistlr --help)"},
        {{"train", "--frobnicate"}, "unknown option '--frobnicate' (see mnistlr train --help)"},
        {{"train", "--frobnicate=3"}, "unknown option '--frobnicate' (see mnistlr train --help)"},
        {{"train", "-x"}, "unknown option '-x' (see mnistlr train --help)"},
        {{"train", "data", "extra"}, "unexpected argument 'extra' (see mnistlr train --help)"},
        {{"eval", "a", "b", "c"}, "unexpected arguments: 'b' 'c' (see mnistlr eval --help)"},
        {{"eval"}, "WEIGHTS is required (see mnistlr eval --help)"},
        {{"plot-curves"}, "CURVES is required (see mnistlr plot-curves --help)"},
        {{"plot-weights", "w.bin"}, "OUTPUT is required (see mnistlr plot-weights --help)"},
        {{"export", "w.bin"}, "--npy is required (see mnistlr export --help)"},
        {{"predict", "w.bin"}, "give image files, or --idx FILE [--index I] (see mnistlr predict --help)"},
        {{"train", "--lr"}, "--lr needs a value (see mnistlr train --help)"},
        {{"train", "--epochs", "1", "--steps", "5"}, "--steps and --epochs cannot be used together"},
        {{"train", "--log", "c.csv"}, "--log requires --eval-every"},
        {{"train", "--eval-train"}, "--eval-train requires --eval-every"},
        {{"predict", "w.bin", "--index", "3"}, "--index requires --idx"},
    });
}

TEST(CliUsage, values_out_of_range_say_the_range_and_what_was_given) {
    expect_usage_errors({
        {{"train", "--batch", "0"}, "--batch must be at least 1, got 0"},
        {{"train", "--steps", "0"}, "--steps must be in [1, 2^40], got 0"},
        {{"train", "--steps", "-5"}, "--steps must be in [1, 2^40], got -5"},
        {{"train", "--steps", "1099511627777"}, "--steps must be in [1, 2^40], got 1099511627777"},
        {{"train", "--steps", "99999999999999999999999"}, "--steps must be in [1, 2^40], got 99999999999999999999999"},
        {{"train", "--seed", "4294967296"}, "--seed must be at most 4294967295, got 4294967296"},
        {{"train", "--seed", "-1"}, "--seed must be at least 0, got -1"},
        {{"train", "--momentum", "2"}, "--momentum must be in [0, 0.999], got 2"},
        {{"train", "--average", "1.5"}, "--average must be in [0, 1], got 1.5"},
        {{"train", "--min-accuracy", "-0.5"}, "--min-accuracy must be in [0, 1], got -0.5"},
        {{"train", "--lr", "0"}, "--lr must be greater than 0, got 0"},
        {{"train", "--lr", "1e-50"}, "--lr must be greater than 0, got 1e-50"},  // 0 as a float
        {{"train", "--lr", "1e39"}, "--lr must be at most 3.40282e+38, got 1e39"},  // not a float
        {{"train", "--l2", "-1"}, "--l2 must be at least 0, got -1"},
        {{"train", "--threads", "65"}, "--threads must be in [0, 64], got 65"},
        {{"train", "--epochs", "0"}, "--epochs must be in (0, 2^40], got 0"},
        {{"train", "--epochs", "1e300"}, "--epochs must be in (0, 2^40], got 1e300"},
        {{"eval", "w.bin", "--threads", "99"}, "--threads must be in [0, 64], got 99"},
        {{"predict", "w.bin", "a.png", "-k", "0"}, "--top must be at least 1, got 0"},
        {{"plot-weights", "w.bin", "o.png", "--clip", "0"}, "--clip must be in (0, 100], got 0"},
        {{"plot-weights", "w.bin", "o.png", "--scale", "65"}, "--scale must be in [1, 64], got 65"},
        {{"plot-curves", "c.csv", "o.png", "--width", "10"}, "--width must be in [480, 8192], got 10"},
        {{"plot-curves", "c.csv", "o.png", "--smooth", "-1"}, "--smooth must be in [0, 1000000], got -1"},
    });
}

TEST(CliUsage, words_files_and_malformed_numbers_are_named) {
    TempDir d;
    expect_usage_errors({
        {{"train", "--lr", "abc"}, "--lr: 'abc' is not a number"},
        {{"train", "--lr", " 0.5"}, "--lr: ' 0.5' is not a number"},
        {{"train", "--steps", "1e3"}, "--steps: '1e3' is not a whole number"},
        {{"train", "--batch", "0x10"}, "--batch: '0x10' is not a whole number"},
        {{"train", "--json=abc"}, "--json: cannot use 'abc'"},
        {{"plot-weights", "w.bin", "o.png", "--cmap", "x"}, "--cmap must be one of rdbu, gray, viridis, got 'x'"},
        {{"eval", "w.bin", "--split", "val"}, "--split must be one of test, train, got 'val'"},
        {{"train", "--optimizer", "Adam"}, "--optimizer must be one of sgd, adam, got 'Adam'"},
        {{"train", "--schedule", "\x1b[2J"}, "--schedule must be one of constant, linear, cosine, got '\\x1B[2J'"},
        {{"train", "--classes", d / "none.txt"}, "--classes: no such file: " + d / "none.txt"},
        {{"train", "--classes", d.path()}, "--classes: " + d.path() + " is a directory, not a file"},
    });
}

TEST(CliUsage, nan_inf_and_empty_values_are_refused_not_silently_used) {
    std::vector<UsageCase> cases = {
        {{"train", "--epochs", "nan"}, "--epochs must be a number, got nan"},
        {{"train", "--epochs", "inf"}, "--epochs must be a finite number, got inf"},
        {{"train", "--min-accuracy", "nan"}, "--min-accuracy must be a number, got nan"},
        {{"eval", "w.bin", "--min-accuracy", "NaN"}, "--min-accuracy must be a number, got NaN"},
        {{"plot-weights", "w.bin", "o.png", "--clip", "nan"}, "--clip must be a number, got nan"},
        {{"predict", "w.bin", "--idx", "f", "--index", ""}, "--index must not be empty"},
        {{"train", "--data", ""}, "--data must not be empty"},
        {{"train", "-o", ""}, "--output must not be empty"},
        {{"train", "--eval-every", "5", "--log", ""}, "--log must not be empty"},
        {{"train", "--classes", ""}, "--classes must not be empty"},
        {{"train", "--dataset", ""}, "--dataset must be one of auto, mnist, fashion, kmnist, emnist-digits, "
                                     "emnist-mnist, emnist-letters, emnist-balanced, emnist-bymerge, emnist-byclass, "
                                     "generic, got ''"},
        {{"eval", ""}, "WEIGHTS must not be empty"},
        {{"eval", "w.bin", "--data", ""}, "--data must not be empty"},
        {{"predict", "w.bin", ""}, "IMAGES must not be empty"},
        {{"predict", "w.bin", "--idx", "", "--index", "0"}, "--idx must not be empty"},
        {{"export", "w.bin", "--npy", ""}, "--npy must not be empty"},
        {{"plot-weights", "w.bin", ""}, "OUTPUT must not be empty"},
        {{"plot-curves", "", "o.png"}, "CURVES must not be empty"},
    };
    for (const char* opt : {"--lr", "--l2", "--smooth", "--momentum", "--average"})
        for (const char* v : {"nan", "-nan", "inf", "-inf", "Infinity"}) {
            const std::string got = v;
            cases.push_back({{"train", opt, v},
                             std::string(opt) + (got.find("nan") != std::string::npos ? " must be a number, got "
                                                                                      : " must be a finite number, got ") +
                                 got});
        }
    expect_usage_errors(cases);
}

TEST(CliUsage, epochs_that_imply_more_than_2_to_the_40_steps_are_refused_before_training) {
    TempDir d;
    write_tiny_data(d.path());
    // 2^40 epochs of 21 images, one per step.
    const auto r = run_mnistlr(
        {"train", "--data", d.path(), "-o", d / "w.bin", "--epochs", "1099511627776", "--batch", "1", "--eval-every", "1"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "mnistlr: error: --epochs 1.09951e+12 means 2.30897e+13 steps (21 training images, batch 1); "
                     "at most 2^40 = 1099511627776 steps are allowed\n");
    EXPECT_FALSE(testutil::file_exists(d / "w.bin"));
    // The old internal error: 1e15 epochs with curves died reserving the curves' rows.
    const auto big = run_mnistlr({"train", "--data", d.path(), "-o", d / "w.bin", "--epochs", "1e15", "--eval-every", "1"});
    EXPECT_EQ(big.code, 2);
    EXPECT_EQ(big.err, "mnistlr: error: --epochs must be in (0, 2^40], got 1e15\n");
}

TEST(CliUsage, help_and_version_exit_0_and_help_names_the_limits) {
    const auto top = run_mnistlr({"--help"});
    EXPECT_EQ(top.code, 0);
    EXPECT_EQ(top.err, "");
    EXPECT_NE(top.out.find("Run 'mnistlr SUBCOMMAND --help' or 'mnistlr help SUBCOMMAND' for its options."), std::string::npos) << top.out;
    const auto version = run_mnistlr({"--version"});
    EXPECT_EQ(version.code, 0);
    EXPECT_EQ(version.out.rfind(MNISTLR_VERSION, 0), 0u) << version.out;
    for (const char* sub : {"train", "eval", "predict", "export", "plot-weights", "plot-curves"}) {
        const auto r = run_mnistlr({sub, "--help"});
        EXPECT_EQ(r.code, 0) << sub;
        EXPECT_EQ(r.err, "") << sub;
        EXPECT_NE(r.out.find("Usage:"), std::string::npos) << sub;
    }
    const auto train = run_mnistlr({"train", "--help"});
    EXPECT_NE(train.out.find("at most 2^40 = 1099511627776"), std::string::npos) << train.out;
    EXPECT_NE(train.out.find("--momentum FLOAT:[0, 0.999]"), std::string::npos) << train.out;
}

TEST(CliUsage, json_output_escapes_bytes_that_are_not_utf8) {
    NonUtf8Fixture f;
    const std::string w_json = f.dir_json + "/w.bin";

    const auto train = run_mnistlr(
        {"train", "--data", f.dir, "-o", f.dir + "/w2.bin", "--json", "--steps", "30", "--batch", "7"});
    ASSERT_EQ(train.code, 0) << train.err;
    const auto tj = nlohmann::json::parse(train.out);
    EXPECT_EQ(tj["data"], f.dir_json);
    EXPECT_EQ(tj["output"], f.dir_json + "/w2.bin");

    const auto eval = run_mnistlr({"eval", f.weights, "--data", f.dir, "--json"});
    ASSERT_EQ(eval.code, 0) << eval.err;
    const auto ej = nlohmann::json::parse(eval.out);
    EXPECT_EQ(ej["weights"], w_json);
    EXPECT_EQ(ej["images"], f.dir_json + "/t10k-images-idx3-ubyte");

    const auto predict =
        run_mnistlr({"predict", f.weights, "--idx", f.dir + "/t10k-images-idx3-ubyte", "--index", "0", "--json"});
    ASSERT_EQ(predict.code, 0) << predict.err;
    const auto pj = nlohmann::json::parse(predict.out);
    EXPECT_EQ(pj["weights"], w_json);
    EXPECT_EQ(pj["predictions"][0]["file"], f.dir_json + "/t10k-images-idx3-ubyte");

    const auto exp = run_mnistlr({"export", f.weights, "--npy", f.dir + "/npy", "--json"});
    ASSERT_EQ(exp.code, 0) << exp.err;
    const auto xj = nlohmann::json::parse(exp.out);
    EXPECT_EQ(xj["weights"], w_json);
    EXPECT_EQ(xj["W"]["path"], f.dir_json + "/npy/W.npy");
    EXPECT_EQ(xj["W"]["shape"], nlohmann::json::array({3, 16}));
}

TEST(CliUsage, a_full_disk_on_standard_output_is_an_error) {
    NonUtf8Fixture f;
    const std::string w = shell_quote(f.weights), data = shell_quote(f.dir);
    const std::string full = "mnistlr: error: standard output: No space left on device\n";
    for (const std::string& script : std::vector<std::string>{
             "\"$MNISTLR\" eval " + w + " --data " + data + " >/dev/full",
          "\"$MNISTLR\" eval " + w + " --data " + data + " --json >/dev/full",
          "\"$MNISTLR\" predict " + w + " --idx " + data + "/t10k-images-idx3-ubyte --index 0,1,2 >/dev/full",
          "\"$MNISTLR\" train --data " + data + " -o " + shell_quote(f.dir + "/w3.bin") +
              " --steps 30 --batch 7 --json >/dev/full",
          "\"$MNISTLR\" --help >/dev/full"}) {
        const auto r = run_shell(script);
        EXPECT_EQ(r.code, 2) << script << ": " << r.err;
        EXPECT_EQ(r.err, full) << script;
    }
}

TEST(CliUsage, a_closed_pipe_on_standard_output_exits_141_without_a_message) {
    NonUtf8Fixture f;
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"eval", f.weights, "--data", f.dir},
          std::vector<std::string>{"predict", f.weights, "--idx", f.dir + "/t10k-images-idx3-ubyte", "--index", "0"},
          std::vector<std::string>{"train", "--data", f.dir, "-o", f.dir + "/w4.bin", "--steps", "30", "--batch", "7",
                                   "--json"}}) {
        const auto r = run_into_closed_pipe(args);
        EXPECT_EQ(r.code, 141) << args[0] << ": " << r.err;
        EXPECT_EQ(r.err, "") << args[0];
    }
}
