#include "mnistlr/pictures/curves.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

#include <sys/stat.h>

#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"

namespace mnistlr {
namespace {

// The columns, in file order: the first five always, the last two with --eval-train. The headers,
// the writer and the reader all come from this one list.
constexpr const char* kColumns[] = {"step",          "batch_loss", "batch_accuracy", "test_loss",
                                    "test_accuracy", "train_loss", "train_accuracy"};
constexpr std::size_t kBaseColumns = 5, kAllColumns = 7;

std::string header_of(std::size_t columns) {
    std::string h;
    for (std::size_t i = 0; i < columns; ++i) h += (i ? "," : "") + std::string(kColumns[i]);
    return h;
}
// Steps are whole numbers; beyond 2^53 a double no longer holds every one of them.
constexpr double kMaxStep = 9007199254740992.0;

// Text from the file, fit for a one-line message: at most 40 bytes, control bytes and non-ASCII
// bytes shown as '?', in quotes.
std::string quoted(std::string_view s) {
    constexpr std::size_t kMax = 40;
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    if (s.size() > kMax) out += "...";
    return out + "\"";
}

std::string format_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

class RowError {
public:
    RowError(const std::string& name, std::size_t line) : name_(name), line_(line) {}
    [[noreturn]] void operator()(const std::string& problem) const {
        throw Error(name_, "line " + std::to_string(line_) + ": " + problem);
    }

private:
    const std::string& name_;
    std::size_t line_;
};

// Field `col` of a data row, as a finite double checked against its column's rules.
double parse_field(std::string_view f, std::size_t col, const RowError& fail) {
    const std::string column = kColumns[col];
    if (f.empty()) fail(column + " is empty");
    if (col == 0) {
        // Digits only: no sign, no decimal point, no exponent.
        for (const char c : f)
            if (c < '0' || c > '9') fail("step " + quoted(f) + " is not a whole number");
        if (f.size() > 16) fail("step " + quoted(f) + " is too large");
    }
    double v = 0.0;
    const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (ec == std::errc::result_out_of_range) fail(column + " " + quoted(f) + " is out of range");
    if (ec != std::errc() || end != f.data() + f.size()) fail(column + " " + quoted(f) + " is not a number");
    if (!std::isfinite(v)) fail(column + " is " + quoted(f) + ", expected a finite number");
    if (col == 0 && v > kMaxStep) fail("step " + quoted(f) + " is too large");
    const bool accuracy = col != 0 && col % 2 == 0;  // columns 2, 4, 6
    if (accuracy && (v < 0.0 || v > 1.0)) fail(column + " " + format_number(v) + " is outside [0, 1]");
    if (col != 0 && !accuracy && v < 0.0) fail(column + " " + format_number(v) + " is negative");
    if (col != 0 && !accuracy && v > kMaxLoss)
        fail(column + " " + format_number(v) + " is larger than " + format_number(kMaxLoss) + " (did training diverge?)");
    return v;
}

}  // namespace

const std::string kCurvesHeader = header_of(kBaseColumns);
const std::string kCurvesHeaderTrain = header_of(kAllColumns);

Curves parse_curves_csv(std::string_view text, const std::string& name) {
    if (text.size() > kMaxCurvesBytes)
        throw Error(name, "file is " + std::to_string(text.size()) + " bytes, more than the " +
                              std::to_string(kMaxCurvesBytes >> 20) + " MiB a curves CSV may have");
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

    Curves c;
    std::vector<double>* columns[] = {&c.step,          &c.batch_loss, &c.batch_accuracy, &c.test_loss,
                                      &c.test_accuracy, &c.train_loss, &c.train_accuracy};
    std::size_t ncols = 0;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        ++line_no;
        const std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const RowError fail(name, line_no);

        if (line_no == 1) {
            if (line == kCurvesHeader) {
                ncols = 5;
            } else if (line == kCurvesHeaderTrain) {
                ncols = 7;
                c.has_train = true;
            } else {
                fail("header is " + quoted(line) + ", expected \"" + kCurvesHeader +
                     "[,train_loss,train_accuracy]\" (the CSV written by mnistlr train --log)");
            }
            continue;
        }
        if (line.empty()) {
            if (pos >= text.size()) break;  // one blank line at the very end is tolerated
            fail("empty line");
        }

        std::size_t fields = 1;
        for (const char ch : line) fields += ch == ',' ? 1 : 0;
        if (fields != ncols)
            fail(std::to_string(fields) + (fields == 1 ? " field" : " fields") + ", expected " + std::to_string(ncols) +
                 " as in the header");
        std::size_t start = 0;
        for (std::size_t col = 0; col < ncols; ++col) {
            const std::size_t comma = line.find(',', start);
            const std::string_view field =
                line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
            columns[col]->push_back(parse_field(field, col, fail));
            start = comma + 1;
        }
        const std::size_t n = c.step.size();
        if (n >= 2 && !(c.step[n - 1] > c.step[n - 2]))
            fail("step " + format_number(c.step[n - 1]) + " after step " + format_number(c.step[n - 2]) +
                 " (steps must increase)");
    }
    if (line_no == 0) throw Error(name, "file is empty");
    if (c.step.empty()) throw Error(name, "no data rows after the header");
    return c;
}

Curves load_curves_csv(const std::string& path) {
    require_regular_file(path);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) > kMaxCurvesBytes)
        throw Error(path, "file is " + std::to_string(st.st_size) + " bytes, more than the " +
                              std::to_string(kMaxCurvesBytes >> 20) + " MiB a curves CSV may have");
    const Bytes bytes = Bytes::map_file(path);
    return parse_curves_csv(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

void Curves::reserve(std::size_t n) {
    for (auto* v : {&step, &batch_loss, &batch_accuracy, &test_loss, &test_accuracy, &train_loss, &train_accuracy})
        v->reserve(n);
}

void Curves::add(double s, double b_loss, double b_acc, double te_loss, double te_acc, double tr_loss,
                 double tr_acc) {
    step.push_back(s);
    batch_loss.push_back(b_loss);
    batch_accuracy.push_back(b_acc);
    test_loss.push_back(te_loss);
    test_accuracy.push_back(te_acc);
    if (has_train) {
        train_loss.push_back(tr_loss);
        train_accuracy.push_back(tr_acc);
    }
}

std::string curves_csv(const Curves& c) {
    std::string out = (c.has_train ? kCurvesHeaderTrain : kCurvesHeader) + "\n";
    char buf[64];
    for (std::size_t i = 0; i < c.rows(); ++i) {
        std::snprintf(buf, sizeof buf, "%.0f", c.step[i]);
        out += buf;
        const double values[] = {c.batch_loss[i], c.batch_accuracy[i], c.test_loss[i], c.test_accuracy[i],
                                 c.has_train ? c.train_loss[i] : 0.0, c.has_train ? c.train_accuracy[i] : 0.0};
        for (std::size_t k = 0; k + 1 < (c.has_train ? kAllColumns : kBaseColumns); ++k) {
            std::snprintf(buf, sizeof buf, ",%g", values[k]);
            out += buf;
        }
        out += '\n';
    }
    return out;
}

std::vector<double> moving_average(const std::vector<double>& v, std::size_t window) {
    if (window <= 1) return v;
    std::vector<double> out(v.size());
    // Sum of the last `window` values, recomputed from scratch every `window` steps so that rounding
    // errors of the running update cannot accumulate over a long series.
    double sum = 0.0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i % window == 0 && i >= window) {
            sum = 0.0;
            for (std::size_t j = i - window + 1; j < i; ++j) sum += v[j];
            sum += v[i];
        } else {
            sum += v[i];
            if (i >= window) sum -= v[i - window];
        }
        const std::size_t n = i + 1 < window ? i + 1 : window;
        out[i] = sum / static_cast<double>(n);
    }
    return out;
}

}  // namespace mnistlr
