// Learning curves: the CSV that `mnistlr train --eval-every N --log FILE` writes (curves_csv) and
// reads back for plotting (plot.hpp): the one home of its columns, writer and reader. No I/O beyond
// reading the file; nothing is printed.
//
// The format (exactly what train writes; anything else is refused):
//   line 1    step,batch_loss,batch_accuracy,test_loss,test_accuracy
//         or  step,batch_loss,batch_accuracy,test_loss,test_accuracy,train_loss,train_accuracy
//   line 2..  one row per record: as many comma-separated fields as the header, no spaces;
//             step      a whole number (digits only), strictly increasing from row to row;
//             *_loss    a finite number in [0, kMaxLoss] (a diverged run's losses cannot be plotted);
//             *_accuracy a finite number in [0, 1].
// Numbers are C-locale decimals as printf writes them ("0.9203", "1e-05"). Lines end in "\n" or
// "\r\n"; the file may end with or without a final newline, and may start with a UTF-8 BOM. An empty
// line other than at the very end, a header-only file and a file over kMaxCurvesBytes are refused.
// Every refusal throws Error "<name>: line N: <problem>" (or "<name>: <problem>" for the whole file),
// one line, with any quoted text from the file cut short and its control bytes shown as '?'.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mnistlr {

// 64 MiB: about a million rows, far more than any real run records.
constexpr std::size_t kMaxCurvesBytes = std::size_t{64} << 20;
constexpr double kMaxLoss = 1e9;

extern const std::string kCurvesHeader;       // the five-column header
extern const std::string kCurvesHeaderTrain;  // the seven-column header (--eval-train)

struct Curves {
    std::vector<double> step;
    std::vector<double> batch_loss, batch_accuracy;  // the minibatch's, after the update
    std::vector<double> test_loss, test_accuracy;    // the full test set's
    std::vector<double> train_loss, train_accuracy;  // the full training set's; empty unless has_train
    bool has_train = false;

    std::size_t rows() const noexcept { return step.size(); }
    // Room for n rows in every series (so that recording during training does not allocate).
    void reserve(std::size_t n);
    // Appends one row; the train values are kept only when has_train.
    void add(double step, double batch_loss, double batch_accuracy, double test_loss, double test_accuracy,
             double train_loss = 0.0, double train_accuracy = 0.0);
};

// The CSV text of the format above (what train --log writes): the header, then each row with the
// step as a whole number and the other values as printf's "%g" (6 significant digits).
std::string curves_csv(const Curves& curves);

// Parses CSV text; `name` (the file's path) starts every error message.
Curves parse_curves_csv(std::string_view text, const std::string& name);

// Reads and parses a curves file. Throws Error "<path>: ..." for a missing, empty, non-regular or
// oversized file (checked before it is read) and for every parse error above.
Curves load_curves_csv(const std::string& path);

// Trailing moving average: out[i] = mean of v[max(0, i - window + 1) .. i] (fewer values at the
// start, so the first point is v[0] itself). window 0 or 1 returns v unchanged.
std::vector<double> moving_average(const std::vector<double>& v, std::size_t window);

}  // namespace mnistlr
