// Man pages and bash completion, generated from the command line's own definitions (the App that
// setup_app() builds, app.hpp), so that they cannot drift from what the binary accepts. The build
// runs src/gen_docs.cpp, which writes them; tests call these functions directly.
//
// What they read of each option: its names, description, value type, default, needs/excludes, and
// the validators of usage.hpp by name: one_of (kOneOfValidator) gives the words to complete, a path
// validator (kPathValidator) means file names complete (directories only when the value is shown
// as DIR).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mnistlr::cli {

// What the man page and the completion know of one option or positional argument.
struct OptionDoc {
    std::vector<std::string> names;  // "-o", "--output"; a positional: its name as --help shows it
    bool positional = false;
    bool takes_value = false;        // false: a flag
    std::string value_name;          // "FLOAT:POSITIVE", "DIR", "WEIGHTS" ("" for a flag)
    std::string description;
    std::string default_value;       // "" when none is shown
    std::vector<std::string> words;  // the values one_of accepts, in order
    bool path = false;               // its value is a file name
    bool directory = false;          // ... of a directory
    bool required = false;
    std::vector<std::string> needs, excludes;
};

// The options of `sub` in definition order, --help first; positionals last.
std::vector<OptionDoc> option_docs(CLI::App& sub);

// The man page of the whole tool (sub == nullptr: mnistlr(1), listing the subcommands) or of one
// subcommand (mnistlr-<name>(1)), in man(7) roff. `date` goes into .TH (e.g. "2026-12-03").
std::string man_page(CLI::App& app, CLI::App* sub, const std::string& version, const std::string& date);

// The bash completion script: subcommands, each one's options, the words of enum options, file names
// for path values and arguments. Uses bash-completion's helpers when loaded, plain compgen otherwise.
std::string bash_completion(CLI::App& app);

}  // namespace mnistlr::cli
