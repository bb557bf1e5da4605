// The export subcommand: parsing inside the test, and the real binary end to end (export --npy)
// on a model trained by mnistlr train (reference recipe).
#include <cstring>

#include <gtest/gtest.h>

#include "mnistlr/model_files/model_io.hpp"
#include "mnistlr/model_files/weights_io.hpp"
#include "parse_cli.hpp"
#include "test_util.hpp"
#include "trained_model.hpp"

using testutil::run_mnistlr;

namespace {

testutil::ParsedCommand<mnistlr::cli::ExportOptions> parse_export(const std::vector<std::string>& args) {
    return testutil::parse_command(mnistlr::cli::setup_export, args);
}

}  // namespace

TEST(ExportCli, parses_flags_into_options) {
    auto p = parse_export({"export", "w.bin", "--npy", "out/dir", "--json"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->weights, "w.bin");
    EXPECT_EQ(p.opt->npy_dir, "out/dir");
    EXPECT_TRUE(p.opt->json);
    EXPECT_TRUE(p.runner_set);
    p = parse_export({"export", "--npy=d", "npy-pair"});  // a directory of W.npy + b.npy is a model too
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->weights, "npy-pair");
    EXPECT_EQ(p.opt->npy_dir, "d");
    EXPECT_FALSE(p.opt->json);
    EXPECT_TRUE(p.runner_set);
}

TEST(ExportCli, usage_errors_are_one_line_naming_the_option) {
    struct Case {
        std::vector<std::string> args;
        std::string line;
    };
    const std::string e = "mnistlr: error: ";
    for (const Case& c : std::vector<Case>{
             {{"export"}, e + "WEIGHTS is required (see mnistlr export --help)\n"},
             {{"export", "w.bin"}, e + "--npy is required (see mnistlr export --help)\n"},
             {{"export", "w.bin", "--npy"}, e + "--npy needs a value (see mnistlr export --help)\n"},
             {{"export", "w.bin", "--npy", ""}, e + "--npy must not be empty\n"},
             {{"export", "", "--npy", "d"}, e + "WEIGHTS must not be empty\n"},
             {{"export", "w.bin", "--npy", "d", "extra"}, e + "unexpected argument 'extra' (see mnistlr export --help)\n"},
             {{"export", "w.bin", "--npy", "d", "--bogus"}, e + "unknown option '--bogus' (see mnistlr export --help)\n"},
         }) {
        const auto p = parse_export(c.args);
        EXPECT_EQ(p.error, c.line) << c.args.back();
        EXPECT_FALSE(p.runner_set) << c.args.back();
    }
}

TEST(ExportCli, writes_the_numpy_pair_with_numpys_exact_header) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    testutil::TempDir dir;
    const auto r = run_mnistlr({"export", w, "--npy", dir / "npy"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto W = testutil::read_file(dir / "npy/W.npy");
    const auto b = testutil::read_file(dir / "npy/b.npy");
    // What numpy.save writes for float32 (10, 784) and (10,): pinned bytes (checked against NumPy 1.24).
    std::string w_head("\x93NUMPY\x01\x00\x76\x00", 10);
    w_head += "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 784), }" + std::string(55, ' ') + "\n";
    std::string b_head("\x93NUMPY\x01\x00\x76\x00", 10);
    b_head += "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }" + std::string(59, ' ') + "\n";
    ASSERT_EQ(W.size(), 128u + 4 * 7840);
    ASSERT_EQ(b.size(), 128u + 4 * 10);
    EXPECT_EQ(std::string(W.begin(), W.begin() + 128), w_head);
    EXPECT_EQ(std::string(b.begin(), b.begin() + 128), b_head);
    EXPECT_NE(r.out.find("W  (10, 784)  float32  -> " + dir / "npy/W.npy"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("b  (10,)      float32  -> " + dir / "npy/b.npy"), std::string::npos) << r.out;
}

TEST(ExportCli, round_trip_W_npy_to_weights_equals_the_original) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    testutil::TempDir dir;
    ASSERT_EQ(run_mnistlr({"export", w, "--npy", dir.path()}).code, 0);
    const auto original = mnistlr::load_weights(w);
    const auto back = mnistlr::load_model(dir.path());
    EXPECT_EQ(back.model.rows, 28u);
    EXPECT_EQ(back.model.cols, 28u);
    EXPECT_EQ(back.model.W, original.model.W);
    EXPECT_EQ(back.model.b, original.model.b);
    // Payload of W.npy row k = class k's weights, bit for bit.
    const auto W = testutil::read_file(dir / "W.npy");
    float v;
    std::memcpy(&v, W.data() + 128 + 4 * (3 * 784 + 400), 4);
    EXPECT_EQ(v, original.model.W(400, 3));
    // Exporting the exported pair again gives the same bytes.
    ASSERT_EQ(run_mnistlr({"export", dir.path(), "--npy", dir / "again"}).code, 0);
    EXPECT_EQ(testutil::read_file(dir / "again/W.npy"), W);
    EXPECT_EQ(testutil::read_file(dir / "again/b.npy"), testutil::read_file(dir / "b.npy"));
}

TEST(ExportCli, creates_nested_directories_and_leaves_no_temp_files) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    testutil::TempDir dir;
    ASSERT_EQ(run_mnistlr({"export", w, "--npy", dir / "a/b"}).code, 0);
    ASSERT_EQ(run_mnistlr({"export", w, "--npy", dir / "a/b"}).code, 0);  // replaces
    EXPECT_EQ(testutil::list_dir(dir / "a/b"), (std::vector<std::string>{"W.npy", "b.npy", "model.json"}));
}

TEST(ExportCli, errors_exit_2) {
    testutil::TempDir dir;
    auto r = run_mnistlr({"export", dir / "missing.bin", "--npy", dir / "out"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "mnistlr: error: " + dir / "missing.bin" + ": No such file or directory\n");
    EXPECT_FALSE(testutil::file_exists(dir / "out"));
    r = run_mnistlr({"export", "w.bin"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--npy is required"), std::string::npos) << r.err;
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    testutil::write_file(dir / "file", {1, 2, 3});
    r = run_mnistlr({"export", w, "--npy", dir / "file"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "mnistlr: error: " + dir / "file" + ": exists and is not a directory\n");
}
