#include "mnistlr/data/dataset.hpp"

#include <algorithm>

#include <sys/stat.h>

#include "mnistlr/error.hpp"
#include "mnistlr/data/idx.hpp"

namespace mnistlr {
namespace {

// lstat: a dangling symbolic link counts as present, so that opening it reports the real problem.
bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// The path of <stem>-<kind>-<idx>-ubyte in one of its spellings, or "".
std::string find_one(const std::string& dir, const std::string& stem, const std::string& kind,
                     const std::string& idx) {
    for (const auto& base : {stem + "-" + kind + "-" + idx + "-ubyte", stem + "-" + kind + "." + idx + "-ubyte"})
        for (const char* ext : {"", ".gz"}) {
            const std::string path = dir + "/" + base + ext;
            if (exists(path)) return path;
        }
    return "";
}

}  // namespace

std::uint32_t Split::label_span() const noexcept {
    if (count == 0) return 0;
    const std::uint8_t* p = labels.data();
    return std::uint32_t{*std::max_element(p, p + count)} + 1;
}

Split sub_split(const Split& split, std::size_t first, std::size_t n) {
    Split s = split;
    s.count = n;
    s.pixels = split.pixels.slice(first * split.pixels_per_image(), n * split.pixels_per_image());
    s.labels = split.labels.slice(first, n);
    return s;
}

Split load_split(const std::string& images_path, const std::string& labels_path) {
    // Both headers are checked before either payload is read: a file that disagrees with the other
    // costs nothing to refuse.
    IdxFile images = IdxFile::open(images_path);
    const auto& idims = images.dims();
    if (idims.size() != 3)
        throw Error(images_path, "an image file must have 3 dimensions (count x rows x cols), this one has " +
                                     std::to_string(idims.size()));
    if (idims[0] == 0) throw Error(images_path, "the file holds no images");
    if (idims[1] == 0 || idims[2] == 0)
        throw Error(images_path, "images of " + std::to_string(idims[1]) + " x " + std::to_string(idims[2]) +
                                     " pixels are empty");
    IdxFile labels = IdxFile::open(labels_path);
    const auto& ldims = labels.dims();
    if (ldims.size() != 1)
        throw Error(labels_path, "a label file must have 1 dimension, this one has " + std::to_string(ldims.size()));
    if (ldims[0] != idims[0])
        throw Error(labels_path, "holds " + std::to_string(ldims[0]) + " labels but " + images_path + " holds " +
                                     std::to_string(idims[0]) + " images");
    Split s;
    s.images_path = images_path;
    s.labels_path = labels_path;
    s.count = idims[0];
    s.rows = idims[1];
    s.cols = idims[2];
    s.pixels = images.read_all().payload;
    s.labels = labels.read_all().payload;
    return s;
}

void check_labels(const Split& split, std::uint32_t classes) {
    const std::uint8_t* p = split.labels.data();
    for (std::size_t i = 0; i < split.count; ++i)
        if (p[i] >= classes)
            throw Error(split.labels_path, "label " + std::to_string(p[i]) + " at index " + std::to_string(i) +
                                               " is not below the class count " + std::to_string(classes));
}

SplitFiles find_split_files(const std::string& dir, const std::string& stem) {
    return find_split_files(dir, std::vector<std::string>{stem});
}

SplitFiles find_split_files(const std::string& dir, const std::vector<std::string>& stems) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        throw Error(dir, "data directory does not exist; fetch MNIST with mnistlr-fetch-data (in a source tree: data/fetch.sh) or pass --data DIR");
    if (!S_ISDIR(st.st_mode)) throw Error(dir, "is not a directory (--data takes the directory of the IDX files)");
    for (const auto& stem : stems) {
        SplitFiles f{find_one(dir, stem, "images", "idx3"), find_one(dir, stem, "labels", "idx1")};
        if (!f.images.empty() && !f.labels.empty()) return f;
    }
    const std::string& s = stems.front();
    throw Error(dir, "no " + s + "-images-idx3-ubyte[.gz] and " + s + "-labels-idx1-ubyte[.gz] (or the " + s +
                         "-images.idx3-ubyte spelling) found; fetch MNIST with mnistlr-fetch-data (in a source tree: data/fetch.sh) or pass --data DIR");
}

Dataset load_splits(const std::string& dir, const std::vector<std::string>& train_stems,
                    const std::vector<std::string>& test_stems) {
    const SplitFiles tr = find_split_files(dir, train_stems);
    const SplitFiles te = find_split_files(dir, test_stems);
    Dataset d;
    d.train = load_split(tr.images, tr.labels);
    d.test = load_split(te.images, te.labels);
    if (d.test.rows != d.train.rows || d.test.cols != d.train.cols)
        throw Error(d.test.images_path, "images are " + std::to_string(d.test.rows) + " x " +
                                            std::to_string(d.test.cols) + " but the training images are " +
                                            std::to_string(d.train.rows) + " x " + std::to_string(d.train.cols));
    return d;
}

Dataset load_dataset(const std::string& dir) {
    Dataset d = load_splits(dir, {"train"}, {"t10k"});
    d.classes = d.train.label_span();
    if (d.classes < 2)
        throw Error(d.train.labels_path, "all training labels are 0: at least 2 classes are needed");
    check_labels(d.test, d.classes);
    return d;
}

}  // namespace mnistlr
