#include "mnistlr/data/catalog.hpp"

#include <algorithm>
#include <cstdio>

#include <zlib.h>

#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"

namespace mnistlr {
namespace {

std::vector<std::string> range_names(char first, char last) {
    std::vector<std::string> v;
    for (char c = first; c <= last; ++c) v.emplace_back(1, c);
    return v;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

const std::vector<DatasetKind>& kinds() {
    static const std::vector<DatasetKind> all = [] {
        const auto digits = range_names('0', '9');
        const auto upper = range_names('A', 'Z');
        const std::vector<std::string> merged_lower = {"a", "b", "d", "e", "f", "g", "h", "n", "q", "r", "t"};
        std::vector<DatasetKind> v;
        v.push_back({"mnist", "mnist", "", digits, false, 0});
        v.push_back({"fashion", "fashion", "",
                     {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                      "Ankle boot"},
                     false, 0});
        v.push_back({"kmnist", "kmnist", "", {"o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"}, false, 0});
        v.push_back({"emnist-digits", "emnist", "emnist-digits-", digits, true, 0});
        v.push_back({"emnist-mnist", "emnist", "emnist-mnist-", digits, true, 0});
        v.push_back({"emnist-letters", "emnist", "emnist-letters-", upper, true, 1});
        v.push_back({"emnist-balanced", "emnist", "emnist-balanced-", concat(concat(digits, upper), merged_lower), true, 0});
        v.push_back({"emnist-bymerge", "emnist", "emnist-bymerge-", concat(concat(digits, upper), merged_lower), true, 0});
        v.push_back({"emnist-byclass", "emnist", "emnist-byclass-", concat(concat(digits, upper), range_names('a', 'z')),
                     true, 0});
        v.push_back({"generic", "mnist", "", {}, false, 0});
        return v;
    }();
    return all;
}

// CRC-32 of the 60000-byte training label payloads, for `auto`.
constexpr std::uint32_t kMnistTrainLabelsCrc = 0xba07e8efu;
constexpr std::uint32_t kFashionTrainLabelsCrc = 0x2ed6e46au;

}  // namespace

Transpose parse_transpose(const std::string& flag) {
    return flag == "on" ? Transpose::on : flag == "off" ? Transpose::off : Transpose::automatic;
}

const DatasetKind* find_dataset_kind(const std::string& name) {
    for (const auto& k : kinds())
        if (k.name == name) return &k;
    return nullptr;
}

std::vector<std::string> dataset_kind_names() {
    std::vector<std::string> v = {"auto"};
    for (const auto& k : kinds()) v.push_back(k.name);
    return v;
}

const DatasetKind& identify_dataset(const Split& train) {
    if (train.count == 60000) {
        const auto crc = static_cast<std::uint32_t>(crc32(0L, train.labels.data(), 60000u));
        if (crc == kMnistTrainLabelsCrc) return *find_dataset_kind("mnist");
        if (crc == kFashionTrainLabelsCrc) return *find_dataset_kind("fashion");
    }
    return *find_dataset_kind("generic");
}

std::vector<std::string> read_class_names(const std::string& path) {
    return parse_class_names(Bytes::map_file(path), path);
}

std::string class_name_problem(std::string_view name) {
    // Control characters first: in a binary file they are the telling sign, wherever they are.
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        // 0xC2 0x80..0x9F is the UTF-8 form of U+0080..U+009F (validity is checked below).
        const bool c1 = c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xA0 &&
                        static_cast<unsigned char>(name[i + 1]) >= 0x80;
        if (c < 0x20 || c == 0x7F || c1) {
            char code[16];
            if (c1)
                std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(static_cast<unsigned char>(name[i + 1])));
            else
                std::snprintf(code, sizeof code, "0x%02X", static_cast<unsigned>(c));
            return std::string("contains a control character (") + code + ")";
        }
    }
    if (name.size() > kMaxClassNameBytes)
        return "is longer than " + std::to_string(kMaxClassNameBytes) + " bytes (" + std::to_string(name.size()) +
               " bytes)";
    for (std::size_t i = 0; i < name.size();) {
        const std::size_t n = utf8_length_at(name, i);
        if (n == 0) return "is not valid UTF-8";
        i += n;
    }
    return "";
}

std::vector<std::string> parse_class_names(const Bytes& b, const std::string& path) {
    constexpr std::size_t kMaxBytes = 4u << 20, kMaxNames = 65535;
    if (b.size() > kMaxBytes) throw Error(path, "class-names file is larger than 4 MiB");
    std::vector<std::string> names;
    std::string cur;
    std::size_t line = 1;
    auto finish = [&] {
        if (!cur.empty() && cur.back() == '\r') cur.pop_back();
        if (cur.empty()) throw Error(path, "line " + std::to_string(line) + " is empty (one class name per line)");
        if (const std::string problem = class_name_problem(cur); !problem.empty())
            throw Error(path, "line " + std::to_string(line) + " " + problem);
        if (names.size() == kMaxNames) throw Error(path, "more than 65535 class names");
        names.push_back(cur);
        cur.clear();
        ++line;
    };
    for (std::size_t i = 0; i < b.size(); ++i) {
        const auto c = static_cast<char>(b.data()[i]);
        if (c == '\n') {
            finish();
        } else if (c == '\r' && i + 1 < b.size() && b.data()[i + 1] != '\n') {
            // Only a CRLF line end (or a final '\r') is ignored: a bare CR would end up inside a name.
            throw Error(path, "line " + std::to_string(line) +
                                  " holds a carriage return inside a name (expected LF or CRLF line ends)");
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty()) finish();
    if (names.size() < 2) throw Error(path, "names " + std::to_string(names.size()) + " classes (at least 2 needed)");
    return names;
}

std::string dataset_display_name(const std::string& name) {
    if (name == "mnist") return "MNIST";
    if (name == "fashion") return "Fashion-MNIST";
    if (name == "kmnist") return "KMNIST";
    return name;
}

std::string dataset_mismatch(const std::string& claimed, const LoadedData& loaded) {
    if (!loaded.recognised || loaded.recognised->name == "generic") return "";
    if (claimed.empty() || claimed == "auto" || claimed == "generic" || !find_dataset_kind(claimed)) return "";
    if (claimed == loaded.recognised->name) return "";
    return loaded.dir + " holds " + dataset_display_name(loaded.recognised->name) +
           " (recognised by the checksum of its training labels)";
}

void transpose_images(Split& split) {
    const std::size_t R = split.rows, C = split.cols, P = R * C;
    std::vector<std::uint8_t> out(split.count * P);
    for (std::size_t i = 0; i < split.count; ++i) {
        const std::uint8_t* src = split.image(i);
        std::uint8_t* dst = out.data() + i * P;
        for (std::size_t r = 0; r < R; ++r)
            for (std::size_t c = 0; c < C; ++c) dst[c * R + r] = src[r * C + c];  // (r, c) -> (c, r)
    }
    split.pixels = Bytes(std::move(out));
    std::swap(split.rows, split.cols);
}

namespace {

void shift_labels(Split& split, std::uint8_t first) {
    std::vector<std::uint8_t> out(split.count);
    for (std::size_t i = 0; i < split.count; ++i) {
        const std::uint8_t l = split.label(i);
        if (l < first)
            throw Error(split.labels_path, "label " + std::to_string(l) + " at index " + std::to_string(i) +
                                               " is below the first label " + std::to_string(first) + " of this data set");
        out[i] = static_cast<std::uint8_t>(l - first);
    }
    split.labels = Bytes(std::move(out));
}

}  // namespace

LoadedData load_data(const DataRequest& req) {
    const DatasetKind* named = nullptr;
    if (req.dataset != "auto") {
        named = find_dataset_kind(req.dataset);
        if (!named) {
            std::string all;
            for (const auto& n : dataset_kind_names()) all += (all.empty() ? "" : ", ") + n;
            throw Error("unknown data set '" + req.dataset + "' (known: " + all + ")");
        }
    }
    LoadedData out;
    out.dir = req.dir;
    const std::string prefix = named ? named->file_prefix : "";
    out.data = load_splits(out.dir, {prefix + "train"}, {prefix + "t10k", prefix + "test"});
    Dataset& d = out.data;
    out.recognised = &identify_dataset(d.train);
    out.kind = named ? named : out.recognised;

    out.transposed = req.transpose == Transpose::on || (req.transpose == Transpose::automatic && out.kind->transposed);
    if (out.transposed) {
        transpose_images(d.train);
        transpose_images(d.test);
    }
    if (out.kind->first_label) {
        shift_labels(d.train, out.kind->first_label);
        shift_labels(d.test, out.kind->first_label);
    }
    out.class_names = req.classes_file.empty() ? out.kind->class_names : read_class_names(req.classes_file);
    const std::uint32_t span = d.train.label_span();
    if (!out.class_names.empty()) {
        if (out.class_names.size() < span)
            throw Error(req.classes_file.empty() ? d.train.labels_path : req.classes_file,
                        std::to_string(out.class_names.size()) + " class names for labels up to " +
                            std::to_string(span - 1));
        d.classes = static_cast<std::uint32_t>(out.class_names.size());
    } else {
        d.classes = span;
    }
    if (d.classes < 2) throw Error(d.train.labels_path, "all training labels are equal: at least 2 classes are needed");
    check_labels(d.train, d.classes);
    check_labels(d.test, d.classes);
    return out;
}

}  // namespace mnistlr
