#include "cli/usage.hpp"

#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <cctype>
#include <iostream>
#include <limits>
#include <sstream>
#include <type_traits>

#include <sys/stat.h>

#include "mnistlr/error.hpp"

namespace mnistlr::cli {
namespace {

// The user's text inside a message: quoted, and escaped so that it stays on one printable line.
std::string in_quotes(const std::string& s) { return "'" + printable(s) + "'"; }

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

template <class T>
std::string bound_text(T v) {
    if constexpr (std::is_integral_v<T>)
        return std::to_string(v);
    else
        return number_text(static_cast<double>(v));
}

// "must be at least 1" / "must be greater than 0" / "must be in [0, 0.999]" / "must be in (0, 100]";
// `above`: the value is above the range (matters only for a range without an upper bound of its own).
template <class T>
std::string range_text(T lo, T hi, bool lo_open, const std::string& hi_name, bool above) {
    if (hi == std::numeric_limits<T>::max() && hi_name.empty()) {
        if (above) return "must be at most " + bound_text(hi);
        return lo_open ? "must be greater than " + bound_text(lo) : "must be at least " + bound_text(lo);
    }
    return std::string("must be in ") + (lo_open ? "(" : "[") + bound_text(lo) + ", " +
           (hi_name.empty() ? bound_text(hi) : hi_name) + "]";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::size_t edit_distance(const std::string& a, const std::string& b) {
    // d[i][j]: distance of a's first i and b's first j characters (rows of b.size() + 1).
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);  // "ab" <-> "ba"
        }
    }
    return d[n][m];
}

namespace {

std::string word_body(const std::string& s) {
    std::string out = s.substr(std::min(s.find_first_not_of('-'), s.size()));
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::string nearest_word(const std::string& typed, const std::vector<std::string>& candidates) {
    const std::string t = word_body(typed);
    if (t.empty()) return "";
    const std::size_t len = t.size();
    const std::size_t limit = std::min<std::size_t>(len <= 4 ? 1 : len <= 8 ? 2 : 3, len / 2);
    std::string best;
    std::size_t best_d = limit + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(t, word_body(c));
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

std::string subcommand_list_text(const CLI::App& app) {
    const auto subs = app.get_subcommands([](const CLI::App*) { return true; });
    std::size_t w = 0;
    for (const CLI::App* s : subs) w = std::max(w, s->get_name().size());
    std::string out = "usage: mnistlr SUBCOMMAND [OPTIONS] [ARGUMENTS]\n\nsubcommands:\n";
    for (const CLI::App* s : subs)
        out += "  " + s->get_name() + std::string(w + 2 - s->get_name().size(), ' ') + s->get_description() + "\n";
    out += "\nRun 'mnistlr help SUBCOMMAND' (or 'mnistlr SUBCOMMAND --help') for its options, 'mnistlr --help' for "
           "the exit codes.\n";
    return out;
}

std::string max_train_steps_text() { return "2^40 = " + std::to_string(kMaxTrainSteps); }

std::size_t checked_steps_for_epochs(double epochs, std::size_t n, std::size_t batch) {
    // In double: epochs <= 2^40 and n < 2^64, so the product is finite and the comparison exact
    // enough; the conversion to size_t happens only below the limit.
    const double steps = std::ceil(epochs * static_cast<double>(n) / static_cast<double>(batch));
    if (!(steps <= static_cast<double>(kMaxTrainSteps)))
        throw Error("--epochs " + number_text(epochs) + " means " + number_text(steps) + " steps (" +
                    std::to_string(n) + " training images, batch " + std::to_string(batch) + "); at most " +
                    max_train_steps_text() + " steps are allowed");
    return static_cast<std::size_t>(steps);
}

template <class T>
CLI::Validator whole_number(T lo, T hi, std::string hi_name) {
    static_assert(std::is_integral_v<T>);
    auto check = [lo, hi, hi_name](std::string& s) -> std::string {
        if (s.empty()) return "must not be empty";
        std::size_t i = 0;
        const bool negative = s[0] == '-';
        if (negative) i = 1;
        if (i == s.size()) return in_quotes(s) + " is not a whole number";
        // Magnitude, saturating at a value beyond every T (the digits are read in full first).
        unsigned long long mag = 0;
        bool huge = false;
        for (; i < s.size(); ++i) {
            if (!is_digit(s[i])) return in_quotes(s) + " is not a whole number";
            const auto d = static_cast<unsigned long long>(s[i] - '0');
            if (mag > (std::numeric_limits<unsigned long long>::max() - d) / 10) huge = true;
            if (!huge) mag = mag * 10 + d;
        }
        const std::string got = ", got " + printable(s);
        const auto below = [&] { return range_text<T>(lo, hi, false, hi_name, false) + got; };
        const auto above = [&] { return range_text<T>(lo, hi, false, hi_name, true) + got; };
        T v{};
        if (negative) {
            if constexpr (std::is_signed_v<T>) {
                static_assert(sizeof(T) < sizeof(long long));
                const auto lowest = static_cast<long long>(std::numeric_limits<T>::min());
                if (huge || mag > static_cast<unsigned long long>(-lowest)) return below();
                v = static_cast<T>(-static_cast<long long>(mag));
            } else if (mag != 0) {
                return below();
            }
        } else {
            if (huge || mag > static_cast<unsigned long long>(std::numeric_limits<T>::max())) return above();
            v = static_cast<T>(mag);
        }
        if (v < lo) return below();
        if (v > hi) return above();
        s = std::to_string(v);  // canonical: CLI11 would read a leading 0 as octal
        return {};
    };
    std::string desc;
    if (hi == std::numeric_limits<T>::max() && hi_name.empty()) {
        if (lo == 1) desc = "POSITIVE";
        else if (lo != 0 && lo != std::numeric_limits<T>::min()) desc = ">=" + bound_text(lo);
    } else {
        desc = "[" + bound_text(lo) + ", " + (hi_name.empty() ? bound_text(hi) : hi_name) + "]";
    }
    return CLI::Validator(check, desc);
}

template <class T>
CLI::Validator finite_number(T lo, T hi, bool lo_open, std::string hi_name) {
    static_assert(std::is_floating_point_v<T>);
    auto check = [lo, hi, lo_open, hi_name](std::string& s) -> std::string {
        if (s.empty()) return "must not be empty";
        const std::string got = ", got " + printable(s);
        // strtod also skips leading blanks and reads hex floats; blanks are refused here.
        if (std::isspace(static_cast<unsigned char>(s[0]))) return in_quotes(s) + " is not a number";
        char* end = nullptr;
        const double d = std::strtod(s.c_str(), &end);
        if (end == s.c_str() || *end != '\0') return in_quotes(s) + " is not a number";
        if (std::isnan(d)) return "must be a number" + got;
        const bool inf_word = s.find_first_of("iI") != std::string::npos;  // "inf", "-Infinity"
        if (std::isinf(d) && inf_word) return "must be a finite number" + got;
        // Out of T's range (1e39 as a float, 1e999 as anything): as out of [lo, hi].
        const std::string below = range_text<T>(lo, hi, lo_open, hi_name, false) + got;
        const std::string above = range_text<T>(lo, hi, lo_open, hi_name, true) + got;
        if (!(std::fabs(d) <= static_cast<double>(std::numeric_limits<T>::max()))) return d < 0 ? below : above;
        const T v = static_cast<T>(d);  // the value the option will hold: 1e-50 is 0 as a float
        if (lo_open ? !(v > lo) : !(v >= lo)) return below;
        if (!(v <= hi)) return above;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*g", std::numeric_limits<T>::max_digits10, static_cast<double>(v));
        s = buf;  // canonical, round-trips to v exactly
        return {};
    };
    std::string desc;
    if (hi == std::numeric_limits<T>::max() && hi_name.empty())
        desc = lo_open && lo == 0 ? "POSITIVE" : lo == 0 ? "NONNEGATIVE" : (lo_open ? ">" : ">=") + bound_text(lo);
    else
        desc = std::string(lo_open ? "(" : "[") + bound_text(lo) + ", " + (hi_name.empty() ? bound_text(hi) : hi_name) +
               "]";
    return CLI::Validator(check, desc);
}

template CLI::Validator whole_number<int>(int, int, std::string);
template CLI::Validator whole_number<unsigned>(unsigned, unsigned, std::string);
template CLI::Validator whole_number<unsigned long>(unsigned long, unsigned long, std::string);
template CLI::Validator whole_number<unsigned long long>(unsigned long long, unsigned long long, std::string);
template CLI::Validator finite_number<float>(float, float, bool, std::string);
template CLI::Validator finite_number<double>(double, double, bool, std::string);

CLI::Validator one_of(std::vector<std::string> words) {
    std::string list, desc = "{";
    for (std::size_t i = 0; i < words.size(); ++i) {
        list += (i ? ", " : "") + words[i];
        desc += (i ? "," : "") + words[i];
    }
    desc += "}";
    auto check = [words, list](std::string& s) -> std::string {
        for (const auto& w : words)
            if (s == w) return {};
        return "must be one of " + list + ", got " + in_quotes(s);
    };
    return CLI::Validator(check, desc, kOneOfValidator);
}

CLI::Validator nonempty_path() {
    return CLI::Validator([](std::string& s) { return s.empty() ? std::string("must not be empty") : std::string(); },
                          "", kPathValidator);
}

CLI::Validator existing_file() {
    auto check = [](std::string& s) -> std::string {
        if (s.empty()) return "must not be empty";
        struct stat st {};
        if (::stat(s.c_str(), &st) != 0) return "no such file: " + printable(s);
        if (S_ISDIR(st.st_mode)) return printable(s) + " is a directory, not a file";
        return {};
    };
    return CLI::Validator(check, "FILE", kPathValidator);
}

namespace {

// The subcommand the error happened in, or nullptr (top level).
const CLI::App* parsed_subcommand(const CLI::App* app) {
    const auto subs = app->get_subcommands();
    return subs.empty() ? nullptr : subs.front();
}

std::string subcommand_list(const CLI::App* app) {
    std::string out;
    const auto subs = app->get_subcommands([](const CLI::App*) { return true; });
    for (std::size_t i = 0; i < subs.size(); ++i)
        out += (i == 0 ? "" : i + 1 == subs.size() ? " or " : ", ") + subs[i]->get_name();
    return out;
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// An option's name as --help shows it: positionals in upper case (WEIGHTS), options as given.
std::string display_name(const CLI::App* sub, const std::string& name) {
    if (!sub || name.empty() || name[0] == '-') return name;
    const CLI::Option* o = nullptr;
    try {
        o = sub->get_option(name);
    } catch (const CLI::Error&) {
        return name;
    }
    if (o->nonpositional()) return name;
    std::string up = name;
    for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return up;
}

// CLI11's errors are told apart by type: get_name() of an ExtrasError is the app's name.
template <class T>
bool is_a(const CLI::Error& e) {
    return dynamic_cast<const T*>(&e) != nullptr;
}

bool looks_like_option(const std::string& arg) {
    if (arg.size() < 2 || arg[0] != '-') return false;
    return !(is_digit(arg[1]) || arg[1] == '.');  // "-5" is a (negative) value
}

// Every name of every option of `app`, with its dashes: "--steps", "-o", "--output", ...
std::vector<std::string> option_names(const CLI::App* app) {
    std::vector<std::string> out;
    for (const CLI::Option* o : app->get_options()) {
        for (const auto& l : o->get_lnames()) out.push_back("--" + l);
        for (const auto& n : o->get_snames()) out.push_back("-" + n);
    }
    return out;
}

// "unknown option '--setps'; did you mean '--steps'?", or with the hint when nothing is near.
std::string unknown_option_text(const CLI::App* where, const std::string& arg, const std::string& hint) {
    const std::string name = arg.substr(0, arg.find('='));
    const std::string near = nearest_word(name, option_names(where));
    return "unknown option " + in_quotes(name) + (near.empty() ? hint : "; did you mean " + in_quotes(near) + "?");
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool has_option(const CLI::App* app, const std::string& name) {
    for (const auto& n : option_names(app))
        if (n == name) return true;
    return false;
}

}  // namespace

std::string unknown_subcommand_text(const CLI::App& app, const std::string& name) {
    std::vector<std::string> names;
    for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(s->get_name());
    const std::string near = nearest_word(name, names);
    if (!near.empty()) return "unknown subcommand " + in_quotes(name) + "; did you mean " + in_quotes(near) + "?";
    return "unknown subcommand " + in_quotes(name) + ": the subcommands are " + subcommand_list(&app) +
           " (see mnistlr help)";
}

std::string usage_error_line(const CLI::App* app, const CLI::Error& e) {
    const CLI::App* sub = parsed_subcommand(app);
    const std::string hint = sub ? " (see mnistlr " + sub->get_name() + " --help)" : " (see mnistlr --help)";
    const std::string what = e.what();
    std::string msg;

    if (is_a<CLI::ValidationError>(e)) {
        // "NAME: <validator text>": a text that starts with "must" reads on from the name.
        const auto colon = what.find(": ");
        if (colon == std::string::npos) {
            msg = what + hint;
        } else {
            const std::string name = display_name(sub, what.substr(0, colon));
            const std::string rest = what.substr(colon + 2);
            msg = starts_with(rest, "must ") ? name + " " + rest : name + ": " + rest;
        }
    } else if (is_a<CLI::RequiredError>(e)) {
        if (!sub) {
            const auto rest = app->remaining();
            if (rest.empty())
                msg = "missing subcommand: " + subcommand_list(app) + hint;
            else if (looks_like_option(rest.front()))
                msg = unknown_option_text(app, rest.front(), hint);
            else
                msg = unknown_subcommand_text(*app, rest.front());
        } else {
            const std::string suffix = " is required";
            const std::string name =
                what.size() > suffix.size() && what.compare(what.size() - suffix.size(), suffix.size(), suffix) == 0
                    ? what.substr(0, what.size() - suffix.size())
                    : std::string();
            msg = name.empty() ? what + hint : display_name(sub, name) + suffix + hint;
        }
    } else if (is_a<CLI::ExtrasError>(e)) {
        // "The following arguments were not expected: c b": CLI11 lists them last first.
        const auto colon = what.find(": ");
        std::vector<std::string> args;
        std::istringstream words(colon == std::string::npos ? what : what.substr(colon + 2));
        for (std::string w; words >> w;) args.insert(args.begin(), w);
        // An unknown option is named first, with the nearest real one: its value (`--setps 100`)
        // is among the extras too.
        const auto option = std::find_if(args.begin(), args.end(), looks_like_option);
        const CLI::App* where = sub ? sub : app;
        if (option != args.end()) {
            msg = unknown_option_text(where, *option, hint);
        } else if (args.size() == 1 && has_option(where, "--data") && is_directory(args[0])) {
            msg = "unexpected argument " + in_quotes(args[0]) + ": pass the directory with --data" + hint;
        } else if (args.size() == 1) {
            msg = "unexpected argument " + in_quotes(args[0]) + hint;
        } else {
            msg = "unexpected arguments:";
            for (const auto& w : args) msg += " " + in_quotes(w);
            msg += hint;
        }
    } else if (is_a<CLI::ExcludesError>(e)) {
        const auto at = what.find(" excludes ");
        msg = at == std::string::npos ? what
                                      : display_name(sub, what.substr(0, at)) + " and " +
                                            display_name(sub, what.substr(at + 10)) + " cannot be used together";
    } else if (is_a<CLI::ArgumentMismatch>(e)) {
        // "--lr: 1 required FLOAT:POSITIVE missing": the option came last, without its value.
        const auto colon = what.find(": ");
        const bool missing_value = colon != std::string::npos && what.find(" required ", colon) != std::string::npos &&
                                   what.size() > 8 && what.compare(what.size() - 8, 8, " missing") == 0;
        msg = missing_value ? what.substr(0, colon) + " needs a value" + hint : what + hint;
    } else if (is_a<CLI::ConversionError>(e)) {
        // "Could not convert: --seed = x" (the validators catch almost everything before this).
        const std::string prefix = "Could not convert: ";
        const auto eq = what.find(" = ");
        if (starts_with(what, prefix) && eq != std::string::npos)
            msg = what.substr(prefix.size(), eq - prefix.size()) + ": cannot use " + in_quotes(what.substr(eq + 3));
        else
            msg = what;
    } else {
        msg = what;  // RequiresError ("--log requires --eval-every") and the rest read well as they are
    }
    return "mnistlr: error: " + printable(msg) + "\n";
}

int finish_standard_output(int rc) {
    // A write that failed inside the subcommand (e.g. at its own fflush) left its errno; a failure
    // now reports its own.
    const int earlier = errno;
    errno = 0;
    std::cout.flush();  // synced with stdio: goes through stdout
    int err = errno;
    bool failed = !std::cout;
    errno = 0;
    if (std::fflush(stdout) != 0) {
        failed = true;
        err = errno;
    }
    if (std::ferror(stdout)) failed = true;
    if (!failed) return rc;
    if (err == 0) err = earlier;
    if (err == EPIPE) return rc != 0 ? rc : 141;  // the reader went away: as if killed by SIGPIPE
    std::fprintf(stderr, "mnistlr: error: standard output: %s\n", err ? std::strerror(err) : "write error");
    return rc != 0 ? rc : 2;
}

CLI::Option* add_model_argument(CLI::App& sub, std::string& into) {
    return sub.add_option("weights", into, "Weights file written by mnistlr train, or a directory holding W.npy and b.npy")
        ->required()
        ->check(nonempty_path())
        ->option_text("WEIGHTS");
}

}  // namespace mnistlr::cli
