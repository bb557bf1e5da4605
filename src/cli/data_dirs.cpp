#include "cli/data_dirs.hpp"

#include <climits>
#include <cstdlib>

#include <unistd.h>

#include "mnistlr/data/catalog.hpp"
#include "mnistlr/data/file_io.hpp"

namespace mnistlr::cli {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

// build_tree_data_for this process's executable and the build tree it was compiled in. The build
// tree's path is resolved too (it may be reached through a symbolic link; /proc/self/exe never is);
// when it no longer exists the binary cannot be running from it.
std::string running_build_tree_data() {
#if defined(MNISTLR_SOURCE_DIR) && defined(MNISTLR_BINARY_DIR)
    char buf[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return {};
    char* tree = ::realpath(MNISTLR_BINARY_DIR, nullptr);
    if (!tree) return {};
    const std::string binary_dir(tree);
    std::free(tree);
    return build_tree_data_for(std::string(buf, static_cast<std::size_t>(n)), binary_dir, MNISTLR_SOURCE_DIR);
#else
    return {};
#endif
}

}  // namespace

std::string build_tree_data_for(const std::string& exe, const std::string& binary_dir, const std::string& source_dir) {
    if (binary_dir.empty() || source_dir.empty()) return {};
    std::string tree = binary_dir;
    while (tree.size() > 1 && tree.back() == '/') tree.pop_back();
    if (tree != "/") tree += '/';
    if (exe.size() <= tree.size() || exe.compare(0, tree.size(), tree) != 0) return {};
    return source_dir + "/data";
}

DataSearch DataSearch::from_process() {
    DataSearch s;
    s.mnistlr_data = env("MNISTLR_DATA");
    s.xdg_data_home = env("XDG_DATA_HOME");
    s.home = env("HOME");
    s.build_tree_data = running_build_tree_data();
    return s;
}

std::vector<std::string> data_dir_candidates(const std::string& dataset, const DataSearch& search) {
    if (dataset == "auto" && !search.mnistlr_data.empty()) return {search.mnistlr_data};
    const DatasetKind* kind = dataset == "auto" ? nullptr : find_dataset_kind(dataset);
    const std::string name = kind ? kind->dir : "mnist";
    std::vector<std::string> out{"data/" + name};
    if (!search.build_tree_data.empty()) out.push_back(search.build_tree_data + "/" + name);
    // XDG Base Directory: a relative $XDG_DATA_HOME is invalid and ignored.
    if (!search.xdg_data_home.empty() && search.xdg_data_home[0] == '/')
        out.push_back(search.xdg_data_home + "/mnistlr/" + name);
    else if (!search.home.empty())
        out.push_back(search.home + "/.local/share/mnistlr/" + name);
    if (name == "fashion") out.push_back("/usr/share/datasets/fashion-mnist");
    return out;
}

std::string find_data_dir(const std::string& dataset, const DataSearch& search) {
    const std::vector<std::string> candidates = data_dir_candidates(dataset, search);
    for (const auto& c : candidates)
        if (is_directory(c)) return c;
    return candidates.front();
}

}  // namespace mnistlr::cli
