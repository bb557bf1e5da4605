// The MNIST-format data sets mnistlr knows by name: where they live, their class names, and the
// quirks users trip over (EMNIST's transposed images, the letters split's 1-based labels).
//
//   name             directory       files                                   classes
//   mnist            data/mnist      train-/t10k-*-ubyte[.gz]                 0-9
//   fashion          data/fashion    same                                     T-shirt/top ... Ankle boot
//   kmnist           data/kmnist     same                                     o ki su tsu na ha ma ya re wo
//   emnist-<split>   data/emnist     emnist-<split>-train-/test-*-ubyte[.gz]  see below; images transposed
// EMNIST splits: digits, mnist (0-9); letters (labels 1..26 -> A..Z, 26 classes); balanced and
// bymerge (47: 0-9, A-Z, a b d e f g h n q r t); byclass (62: 0-9, A-Z, a-z).
// `auto` recognises MNIST and Fashion-MNIST by a fingerprint (CRC-32) of their training labels and
// treats anything else as a generic set whose classes are called by their index.
#pragma once

#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mnistlr/data/dataset.hpp"
#include "mnistlr/data/file_io.hpp"

namespace mnistlr {

struct DatasetKind {
    std::string name;                      // "mnist", "fashion", "emnist-letters", ... or "generic"
    std::string dir;                       // directory name under data/
    std::string file_prefix;               // "" or e.g. "emnist-letters-"
    std::vector<std::string> class_names;  // empty: call classes by index
    bool transposed = false;               // images stored column-major (EMNIST)
    std::uint8_t first_label = 0;          // smallest label (EMNIST letters: 1)
};

// The kind called `name`, or nullptr. Names: see above (and "generic").
const DatasetKind* find_dataset_kind(const std::string& name);
// All names accepted by --dataset, for help texts and errors ("auto" included).
std::vector<std::string> dataset_kind_names();
// MNIST or Fashion-MNIST recognised by their training labels, else the generic kind.
const DatasetKind& identify_dataset(const Split& train);

// The rules every class name obeys, wherever it comes from (a --classes file, a weights file): the
// names are printed on terminals and drawn in pictures, so a name is at most kMaxClassNameBytes
// bytes of strict UTF-8 without control characters (no C0 control, tab included, no DEL, no C1
// control U+0080..U+009F). A name that breaks one of them could forge output lines ("\r", "\n")
// or drive the terminal (ESC); one of 1 MB would make every table and picture unusable; and the
// weights file's JSON writer refuses anything but strict UTF-8.
constexpr std::size_t kMaxClassNameBytes = 64;
// What is wrong with `name` as a phrase to follow "class name 3 " or "line 3 " ("contains a
// control character (0x1B)", "is longer than 64 bytes (70 bytes)", "is not valid UTF-8"), or ""
// when nothing is. Emptiness is not checked: the callers treat empty names differently.
std::string class_name_problem(std::string_view name);

// Reads a class-names file: UTF-8 text, one name per line (a trailing newline and '\r' are
// ignored; at most 65535 non-empty names, each obeying class_name_problem's rules).
std::vector<std::string> read_class_names(const std::string& path);
// The same rules applied to bytes already in memory; `name` appears in error messages.
std::vector<std::string> parse_class_names(const Bytes& bytes, const std::string& name);

enum class Transpose { automatic, on, off };
// "on" / "off" / anything else ("auto") -> Transpose (the --transpose flag).
Transpose parse_transpose(const std::string& flag);

struct DataRequest {
    std::string dir;           // the directory holding the files (the CLI finds it: src/cli/data_dirs.hpp)
    std::string dataset = "auto";
    Transpose transpose = Transpose::automatic;
    std::string classes_file;  // empty: the kind's names
};

struct LoadedData {
    Dataset data;                          // images upright, labels 0-based
    const DatasetKind* kind = nullptr;
    std::vector<std::string> class_names;  // empty for a generic set
    bool transposed = false;               // the images were transposed on loading
    std::string dir;
    const DatasetKind* recognised = nullptr;  // what identify_dataset() says the files are, whatever was asked
};

// When `claimed` (a data set name: a --dataset value, or the one a model was trained on) is not what
// the loaded files are recognised as by checksum (MNIST or Fashion-MNIST), the phrase
// "DIR holds Fashion-MNIST (recognised by the checksum of its training labels)", else "". Nothing
// is said for auto, generic, an unknown claim or files that are neither.
std::string dataset_mismatch(const std::string& claimed, const LoadedData& loaded);
// "MNIST", "Fashion-MNIST", "KMNIST", else the name as it is ("emnist-letters").
std::string dataset_display_name(const std::string& name);

// Loads and prepares a data set: finds the files, transposes images when asked (or, with
// automatic, when the kind is stored transposed), shifts 1-based labels to 0-based, takes the
// class count from the names when known (else from the labels) and checks every label against it.
LoadedData load_data(const DataRequest& req);

// Transposes every rows x cols image of a split in place (into a new buffer); rows and cols swap.
void transpose_images(Split& split);

}  // namespace mnistlr
