// Man pages and bash completion (src/cli/docs.hpp), generated from the App main() parses with: every
// option shows up, the pages pass `mandoc -T lint` without errors, and bash really completes
// subcommands, flags, enum words and file names (run in bash, with and without bash-completion).
#include <cstdio>
#include <string>
#include <vector>

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "cli/app.hpp"
#include "cli/docs.hpp"
#include "test_util.hpp"

using mnistlr::cli::bash_completion;
using mnistlr::cli::man_page;
using mnistlr::cli::option_docs;
using testutil::shell_quote;

namespace {

struct Cli {
    CLI::App app{mnistlr::cli::kAppDescription};
    mnistlr::cli::Runner runner;
    Cli() { mnistlr::cli::setup_app(app, runner); }
    CLI::App* sub(const std::string& name) { return app.get_subcommand(name); }
};

// Runs shell text, returning its stdout, stderr and exit code.
testutil::RunResult shell(const std::string& cmd) {
    testutil::TempDir io;
    const int status = std::system((cmd + " >" + shell_quote(io / "out") + " 2>" + shell_quote(io / "err")).c_str());
    testutil::RunResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const auto o = testutil::read_file(io / "out"), e = testutil::read_file(io / "err");
    r.out.assign(o.begin(), o.end());
    r.err.assign(e.begin(), e.end());
    return r;
}

constexpr const char* kBashCompletion = "/usr/share/bash-completion/bash_completion";

// What bash offers for the command line `words` (the last one is being completed), in `cwd`; with
// bash-completion's helpers loaded or without them.
std::string complete(const std::vector<std::string>& words, const std::string& cwd, bool with_bash_completion) {
    testutil::TempDir d;
    Cli cli;
    const std::string script = bash_completion(cli.app);
    testutil::write_file(d / "mnistlr", std::vector<std::uint8_t>(script.begin(), script.end()));
    std::string line, array;
    for (std::size_t i = 0; i < words.size(); ++i) {
        line += (i ? " " : "") + words[i];
        array += " " + shell_quote(words[i]);
    }
    std::string prog;
    if (with_bash_completion) prog += "source " + std::string(kBashCompletion) + "; ";
    prog += "source " + shell_quote(d / "mnistlr") + "; COMP_WORDS=(" + array + "); COMP_CWORD=" +
            std::to_string(words.size() - 1) + "; COMP_LINE=" + shell_quote(line) + "; COMP_POINT=${#COMP_LINE}; " +
            "_mnistlr mnistlr " + shell_quote(words.back()) + " " + shell_quote(words[words.size() - 2]) +
            "; printf '%s\\n' \"${COMPREPLY[@]}\" | LC_ALL=C sort";
    const auto r = shell("cd " + shell_quote(cwd) + " && bash -c " + shell_quote(prog));
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out;
}

std::string roff_dashes(const std::string& s) {
    std::string out;
    for (char c : s) out += c == '-' ? std::string("\\-") : std::string(1, c);
    return out;
}

}  // namespace

TEST(Docs, option_docs_read_words_paths_values_and_defaults_from_the_definitions) {
    Cli cli;
    const auto docs = option_docs(*cli.sub("plot-weights"));
    const auto find = [&](const std::string& name) {
        for (const auto& d : docs)
            for (const auto& n : d.names)
                if (n == name) return d;
        ADD_FAILURE() << name;
        return mnistlr::cli::OptionDoc{};
    };
    EXPECT_EQ(find("--cmap").words, (std::vector<std::string>{"rdbu", "gray", "viridis"}));
    EXPECT_EQ(find("--cmap").default_value, "rdbu");
    EXPECT_TRUE(find("--cmap").takes_value);
    EXPECT_FALSE(find("--no-colorbar").takes_value);
    EXPECT_TRUE(find("weights").positional);
    EXPECT_TRUE(find("weights").path);
    EXPECT_EQ(find("weights").value_name, "WEIGHTS");
    EXPECT_FALSE(find("--scale").path);
    EXPECT_EQ(docs.front().names, (std::vector<std::string>{"-h", "--help"}));
    EXPECT_TRUE(docs.back().positional);  // positionals last
    bool data_is_dir = false, log_needs = false;
    for (const auto& d : option_docs(*cli.sub("train"))) {
        if (d.names == std::vector<std::string>{"--data"}) data_is_dir = d.directory && d.path;
        if (d.names == std::vector<std::string>{"--log"}) log_needs = d.needs == std::vector<std::string>{"--eval-every"};
    }
    EXPECT_TRUE(data_is_dir);
    EXPECT_TRUE(log_needs);
}

TEST(Docs, every_subcommand_and_option_is_in_the_man_pages) {
    Cli cli;
    const std::string top = man_page(cli.app, nullptr, "9.9.9", "2026-01-02");
    EXPECT_NE(top.find(".TH MNISTLR 1 \"2026-01-02\" \"mnistlr 9.9.9\""), std::string::npos) << top;
    EXPECT_NE(top.find(".SH NAME\nmnistlr \\- softmax regression"), std::string::npos);
    for (CLI::App* sub : cli.app.get_subcommands([](CLI::App*) { return true; })) {
        EXPECT_NE(top.find(".B " + roff_dashes(sub->get_name())), std::string::npos) << sub->get_name();
        const std::string page = man_page(cli.app, sub, "9.9.9", "2026-01-02");
        EXPECT_NE(page.find(".SH NAME\nmnistlr\\-" + roff_dashes(sub->get_name()) + " \\- "), std::string::npos) << page;
        for (const auto& d : option_docs(*sub)) {
            const std::string name = d.positional ? d.value_name : d.names.back();
            EXPECT_NE(page.find(roff_dashes(name)), std::string::npos) << sub->get_name() << " " << name;
            for (const auto& w : d.words) EXPECT_NE(page.find(roff_dashes(w)), std::string::npos) << w;
        }
    }
    const std::string train = man_page(cli.app, cli.sub("train"), "9.9.9", "2026-01-02");
    EXPECT_NE(train.find("\\fB\\-\\-dataset\\fR \\fIDATASET\\fR\n"), std::string::npos);
    std::string flat = train;  // text lines are filled at 78 bytes: a phrase may span two
    for (auto& c : flat) c = c == '\n' ? ' ' : c;
    EXPECT_NE(flat.find("One of: auto, mnist, fashion"), std::string::npos);
    EXPECT_NE(flat.find("Cannot be used with \\-\\-epochs."), std::string::npos);
}

TEST(Docs, man_pages_pass_mandoc_lint_without_errors) {
    Cli cli;
    testutil::TempDir d;
    std::vector<CLI::App*> pages{nullptr};
    for (CLI::App* sub : cli.app.get_subcommands([](CLI::App*) { return true; })) pages.push_back(sub);
    for (CLI::App* sub : pages) {
        const std::string name = sub ? "mnistlr-" + sub->get_name() + ".1" : "mnistlr.1";
        const std::string page = man_page(cli.app, sub, "9.9.9", "2026-01-02");
        testutil::write_file(d / name, std::vector<std::uint8_t>(page.begin(), page.end()));
        // -W error: exit status 0 unless mandoc found an error.
        const auto r = shell("mandoc -T lint -W error " + shell_quote(d / name));
        EXPECT_EQ(r.code, 0) << name << "\n" << r.out << r.err;
        EXPECT_EQ(r.out, "") << name;
    }
}

TEST(Docs, bash_completes_subcommands_flags_and_enum_words) {
    testutil::TempDir cwd;
    for (bool bc : {false, true}) {
        EXPECT_EQ(complete({"mnistlr", "tr"}, cwd.path(), bc), "train\n") << bc;
        EXPECT_EQ(complete({"mnistlr", "plot-"}, cwd.path(), bc), "plot-curves\nplot-weights\n");
        EXPECT_EQ(complete({"mnistlr", "plot-weights", "--cmap", ""}, cwd.path(), bc), "gray\nrdbu\nviridis\n");
        EXPECT_EQ(complete({"mnistlr", "train", "--dataset", "emnist-b"}, cwd.path(), bc),
                  "emnist-balanced\nemnist-byclass\nemnist-bymerge\n");
        EXPECT_EQ(complete({"mnistlr", "train", "--ste"}, cwd.path(), bc), "--steps\n");
        EXPECT_EQ(complete({"mnistlr", "train", "--lr", ""}, cwd.path(), bc), "\n");  // a number: nothing offered
    }
}

TEST(Docs, bash_completes_file_names_for_paths_and_directories_for_dir_values) {
    testutil::TempDir cwd;
    testutil::write_file(cwd / "weights.bin", {1});
    testutil::write_file(cwd / "wide.png", {1});
    ASSERT_EQ(::mkdir((cwd / "wdir").c_str(), 0755), 0);
    for (bool bc : {false, true}) {
        EXPECT_EQ(complete({"mnistlr", "plot-weights", "we"}, cwd.path(), bc), "weights.bin\n") << bc;
        EXPECT_EQ(complete({"mnistlr", "eval", "--data", "w"}, cwd.path(), bc), "wdir\n") << bc;
        EXPECT_EQ(complete({"mnistlr", "train", "-o", "wi"}, cwd.path(), bc), "wide.png\n") << bc;
        EXPECT_EQ(complete({"mnistlr", "train", "w"}, cwd.path(), bc), "wdir\n") << bc;  // train DIR: directories
    }
}
