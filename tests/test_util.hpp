// Helpers shared by the tests: temp directories, running the real binary, tiny IDX files.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "mnistlr/data/dataset.hpp"
#include "mnistlr/error.hpp"

namespace testutil {

// A split over owned bytes: ys.size() images of rows x cols (px: that many images' bytes).
inline mnistlr::Split split_of(std::uint32_t rows, std::uint32_t cols, std::vector<std::uint8_t> px,
                               std::vector<std::uint8_t> ys, std::string images_path = {},
                               std::string labels_path = {}) {
    mnistlr::Split s;
    s.images_path = std::move(images_path);
    s.labels_path = std::move(labels_path);
    s.count = ys.size();
    s.rows = rows;
    s.cols = cols;
    s.pixels = mnistlr::Bytes(std::move(px));
    s.labels = mnistlr::Bytes(std::move(ys));
    return s;
}

// The message of the mnistlr::Error that f throws, or "" when it throws none.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const mnistlr::Error& e) {
        return e.what();
    }
    return "";
}

// A fresh directory under $TMPDIR, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string templ = std::string(base && *base ? base : "/tmp") + "/mnistlr-test-XXXXXX";
        std::vector<char> buf(templ.begin(), templ.end());
        buf.push_back('\0');
        if (!::mkdtemp(buf.data())) std::abort();
        path_ = buf.data();
    }
    ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<std::uint8_t> read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// Lists a directory's entries (names), to check that nothing (not even a temp file) was left.
inline std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());  // byte order, whatever the locale
    return out;
}

struct RunResult {
    int code = -1;
    std::string out;
    std::string err;
};

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Runs `prefix` (shell text, e.g. "cd DIR && " or "prlimit --as=N -- ") then `program` with
// the given arguments (each quoted), capturing stdout, stderr and the exit code (128 + N for a
// death by signal N); stdin is /dev/null.
inline RunResult run_program_after(const std::string& prefix, const std::string& program,
                                   const std::vector<std::string>& args) {
    TempDir io;
    std::string cmd = prefix + shell_quote(program);
    for (const auto& a : args) cmd += " " + shell_quote(a);
    cmd += " >" + shell_quote(io / "out") + " 2>" + shell_quote(io / "err") + " </dev/null";
    RunResult r;
    const int status = std::system(cmd.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const auto o = read_file(io / "out"), e = read_file(io / "err");
    r.out.assign(o.begin(), o.end());
    r.err.assign(e.begin(), e.end());
    return r;
}

// The same for the mnistlr binary of this build tree.
inline RunResult run_mnistlr_after(const std::string& prefix, const std::vector<std::string>& args) {
    return run_program_after(prefix, MNISTLR_BIN, args);
}

// Runs the mnistlr binary with the given arguments, in `cwd` when given.
inline RunResult run_mnistlr(const std::vector<std::string>& args, const std::string& cwd = "") {
    return run_mnistlr_after(cwd.empty() ? std::string() : "cd " + shell_quote(cwd) + " && ", args);
}

// A refusal as the CLI promises it: exit 2, one line "mnistlr: error: ..." holding `message`, nothing
// on stdout, and the directory `dir` (where the outputs would have gone) still empty.
inline void expect_refused_writing_nothing(const RunResult& r, const std::string& message, const std::string& dir) {
    EXPECT_EQ(r.code, 2) << message;
    EXPECT_EQ(r.err.rfind("mnistlr: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_TRUE(list_dir(dir).empty()) << message;
}

// Builds an IDX byte buffer: magic 00 00 type ndim, big-endian dims, payload.
inline std::vector<std::uint8_t> make_idx(const std::vector<std::uint32_t>& dims,
                                          const std::vector<std::uint8_t>& payload, std::uint8_t type = 0x08) {
    std::vector<std::uint8_t> b = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
    for (auto d : dims)
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

// The real MNIST directory, fetched by data/fetch.sh (scripts/test.sh runs it). Tests that need it
// fail, never skip, when it is missing.
inline std::string mnist_dir() { return MNISTLR_TEST_DATA; }
inline ::testing::AssertionResult mnist_present() {
    if (file_exists(mnist_dir() + "/train-images-idx3-ubyte") && file_exists(mnist_dir() + "/t10k-labels-idx1-ubyte"))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "MNIST is missing from " << mnist_dir()
                                         << ": run data/fetch.sh (scripts/test.sh does it)";
}

// Fashion-MNIST beside it (data/fetch.sh fashion; scripts/test.sh runs it).
inline std::string fashion_dir() { return mnist_dir() + "/../fashion"; }
inline ::testing::AssertionResult fashion_present() {
    if (file_exists(fashion_dir() + "/train-images-idx3-ubyte") && file_exists(fashion_dir() + "/t10k-labels-idx1-ubyte"))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "Fashion-MNIST is missing from " << fashion_dir()
                                         << ": run data/fetch.sh fashion (scripts/test.sh does it)";
}

}  // namespace testutil
