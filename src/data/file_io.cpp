#include "mnistlr/data/file_io.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mnistlr/error.hpp"

namespace mnistlr {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Below this size a plain read() is cheaper than setting up a mapping.
constexpr std::size_t kMapThreshold = 1 << 16;

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

void check_regular(const std::string& path, const struct stat& st) {
    if (S_ISDIR(st.st_mode)) throw Error(path, "is a directory, not a file");
    if (!S_ISREG(st.st_mode)) throw Error(path, "is not a regular file (a FIFO, socket or device?)");
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// ---- the registries a signal handler reads ---------------------------------------------------
// Fixed tables of plain memory. A slot is claimed by compare-and-swap 0 -> 2 (being filled), filled,
// then published as 1; a handler only reads slots in state 1. Signals are blocked while a temp file
// is created and published, so a handler never misses one.
constexpr int kSlots = 64;
constexpr std::size_t kSlotText = PATH_MAX + 160;

struct TempSlot {
    std::atomic<int> state{0};
    char path[kSlotText] = {};  // initialised, so the tables are constant-initialised (no start-up code touching 0.5 MB)
};
TempSlot g_temps[kSlots];

struct MapSlot {
    std::atomic<int> state{0};
    const std::uint8_t* begin = nullptr;
    std::size_t size = 0;
    char message[kSlotText] = {};
};
MapSlot g_maps[kSlots];

template <class Slot>
int claim(Slot (&slots)[kSlots]) {
    for (int i = 0; i < kSlots; ++i) {
        int expected = 0;
        if (slots[i].state.compare_exchange_strong(expected, 2)) return i;
    }
    return -1;
}

void copy_text(char* dst, const std::string& s) {
    const std::size_t n = std::min(s.size(), kSlotText - 1);
    std::memcpy(dst, s.data(), n);
    dst[n] = '\0';
}

// Blocks the signals that clean up temp files for its lifetime (only around file creation).
class BlockSignals {
public:
    BlockSignals() {
        sigset_t set;
        sigemptyset(&set);
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) sigaddset(&set, s);
        ::pthread_sigmask(SIG_BLOCK, &set, &old_);
    }
    ~BlockSignals() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
    BlockSignals(const BlockSignals&) = delete;
    BlockSignals& operator=(const BlockSignals&) = delete;

private:
    sigset_t old_;
};

// The temp file's name: ".<base>.tmp-XXXXXX" beside the destination, with <base> shortened so the
// name stays within NAME_MAX when the destination's own name is near it.
std::string temp_template(const std::string& path) {
    const std::string dir = dir_of(path);
    std::string base = base_name(path);
    constexpr std::size_t kExtra = 12;  // "." + ".tmp-XXXXXX"
    if (base.size() + kExtra > NAME_MAX) base.resize(NAME_MAX - kExtra);
    return (dir == "." && path.find('/') == std::string::npos ? std::string() : dir + "/") + "." + base +
           ".tmp-XXXXXX";
}

// Whether rename() over the existing entry `path` (lstat'ed as `lst`) in `dir` (`dst`) is refused by
// the system: an immutable or append-only file, or another user's file in a sticky directory.
void check_replaceable(const std::string& path, const struct stat& lst, const struct stat& dst) {
    const uid_t me = ::geteuid();
    if ((dst.st_mode & S_ISVTX) && me != 0 && lst.st_uid != me && dst.st_uid != me)
        throw Error(path, "cannot replace: it belongs to another user in a sticky directory (like /tmp)");
    if (S_ISREG(lst.st_mode)) {
        Fd f;
        f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
        int flags = 0;
        if (f.fd >= 0 && ::ioctl(f.fd, FS_IOC_GETFLAGS, &flags) == 0 &&
            (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)))
            throw Error(path, "cannot replace: the file is immutable or append-only (see lsattr)");
    }
}

}  // namespace

std::string dir_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void remove_temp_files() noexcept {
    for (auto& s : g_temps)
        if (s.state.load() == 1) ::unlink(s.path);
}

const char* mapped_file_message(const void* addr) noexcept {
    const auto* p = static_cast<const std::uint8_t*>(addr);
    for (auto& s : g_maps)
        if (s.state.load() == 1 && p >= s.begin && p < s.begin + s.size) return s.message;
    return nullptr;
}

Bytes::Bytes(std::vector<std::uint8_t> owned) {
    auto holder = std::make_shared<std::vector<std::uint8_t>>(std::move(owned));
    data_ = holder->data();
    size_ = holder->size();
    owner_ = std::move(holder);
}

Bytes::Bytes(std::shared_ptr<const std::uint8_t> owned, std::size_t size) {
    data_ = owned.get();
    size_ = size;
    owner_ = std::move(owned);
}

Bytes Bytes::slice(std::size_t offset, std::size_t length) const {
    Bytes out;
    out.owner_ = owner_;
    out.data_ = data_ + offset;
    out.size_ = length;
    return out;
}

void require_regular_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw Error(path, errno_text(errno));
    check_regular(path, st);
}

Bytes Bytes::map_file(const std::string& path) {
    // O_NONBLOCK so that opening a FIFO cannot block; it is then refused by the fstat check.
    Fd f;
    f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (f.fd < 0) throw Error(path, errno_text(errno));
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) throw Error(path, errno_text(errno));
    check_regular(path, st);
    if (st.st_size == 0) throw Error(path, "file is empty");
    const auto size = static_cast<std::size_t>(st.st_size);

    if (size >= kMapThreshold) {
        const int slot = claim(g_maps);  // no free slot: read the file instead of mapping it
        if (slot >= 0) {
            void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, f.fd, 0);
            if (p != MAP_FAILED) {
                MapSlot& s = g_maps[slot];
                s.begin = static_cast<const std::uint8_t*>(p);
                s.size = size;
                // The Error text of a file that shrank under the mapping, as main() would print it.
                copy_text(s.message, "mnistlr: error: " +
                                         std::string(Error(path, "file changed while being read (was it replaced, "
                                                                 "truncated or re-fetched meanwhile?)")
                                                         .what()) +
                                         "\n");
                s.state.store(1);
                Bytes out;
                out.owner_ = std::shared_ptr<const void>(p, [size, slot](const void* q) {
                    g_maps[slot].state.store(2);
                    ::munmap(const_cast<void*>(q), size);
                    g_maps[slot].state.store(0);
                });
                out.data_ = static_cast<const std::uint8_t*>(p);
                out.size_ = size;
                return out;
            }
            g_maps[slot].state.store(0);
        }
    }
    std::vector<std::uint8_t> buf(size);
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::read(f.fd, buf.data() + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(path, "read failed: " + errno_text(errno));
        if (n == 0) throw Error(path, "file changed while being read (it shrank)");
        got += static_cast<std::size_t>(n);
    }
    return Bytes(std::move(buf));
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) throw Error("output path is empty");
    struct stat st {};
    const bool exists = ::stat(path_.c_str(), &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) throw Error(path_, "is a directory; give a file name for the output");

    // Devices, FIFOs and the /dev and /proc names (/dev/stdout, /dev/null, /proc/self/fd/1) are
    // written in place: renaming a regular file over them would replace a system file.
    if ((exists && !S_ISREG(st.st_mode)) || starts_with(path_, "/dev/") || starts_with(path_, "/proc/")) {
        direct_ = true;
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd_ < 0 && errno == ENXIO) throw Error(path_, "cannot write: no process is reading this FIFO");
        if (fd_ < 0) throw Error(path_, "cannot write: " + errno_text(errno));
        const int fl = ::fcntl(fd_, F_GETFL);
        if (fl >= 0) ::fcntl(fd_, F_SETFL, fl & ~O_NONBLOCK);
        return;
    }

    const std::string dir = dir_of(path_);
    struct stat dst {};
    if (::stat(dir.c_str(), &dst) != 0)
        throw Error(path_, "cannot write: directory " + dir + " does not exist");
    if (!S_ISDIR(dst.st_mode)) throw Error(path_, "cannot write: " + dir + " is not a directory");
    struct stat lst {};
    if (::lstat(path_.c_str(), &lst) == 0) check_replaceable(path_, lst, dst);

    const std::string templ = temp_template(path_);
    if (templ.size() >= kSlotText) throw Error(path_, "cannot write: the path is too long");
    std::vector<char> name(templ.begin(), templ.end());
    name.push_back('\0');
    {
        BlockSignals block;
        slot_ = claim(g_temps);
        if (slot_ < 0) throw Error(path_, "cannot write: too many outputs open at once");
        fd_ = ::mkostemp(name.data(), O_CLOEXEC);
        if (fd_ < 0) {
            const int err = errno;
            g_temps[slot_].state.store(0);
            slot_ = -1;
            throw Error(path_, "cannot write: " + errno_text(err));
        }
        copy_text(g_temps[slot_].path, name.data());
        g_temps[slot_].state.store(1);
    }
    temp_path_ = name.data();
    // mkstemp creates 0600; give the result the permissions a plain creat() would.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd_, 0666 & ~mask);
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
    if (slot_ >= 0) g_temps[slot_].state.store(0);
}

void AtomicFile::write(const void* data, std::size_t size) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    if (direct_) {
        pending_.insert(pending_.end(), p, p + size);
        return;
    }
    while (size > 0) {
        const ssize_t n = ::write(fd_, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(path_, "write failed: " + errno_text(errno));
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

void AtomicFile::prepare() {
    if (prepared_) return;
    if (direct_) {
        const std::uint8_t* p = pending_.data();
        std::size_t left = pending_.size();
        while (left > 0) {
            const ssize_t n = ::write(fd_, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw Error(path_, "write failed: " + errno_text(errno));
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0 && errno != EINTR) throw Error(path_, "close failed: " + errno_text(errno));
        prepared_ = true;
        return;
    }
    if (::fsync(fd_) != 0) throw Error(path_, "fsync failed: " + errno_text(errno));
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw Error(path_, "close failed: " + errno_text(errno));
    prepared_ = true;
}

void AtomicFile::publish() {
    prepare();
    if (committed_) return;
    if (direct_) {
        committed_ = true;
        return;
    }
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
        throw Error(path_, "rename failed: " + errno_text(errno));
    committed_ = true;
    // Released only after the rename: a signal in between finds no file under the temp name, which
    // is harmless, whereas releasing first could leave the temp file behind.
    if (slot_ >= 0) g_temps[slot_].state.store(0);
    slot_ = -1;
    Fd dir;
    dir.fd = ::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir.fd >= 0) ::fsync(dir.fd);  // best effort: makes the rename itself durable
}

void AtomicFile::commit() {
    prepare();
    publish();
}

void write_file_atomic(const std::string& path, const void* data, std::size_t size) {
    AtomicFile out(path);
    out.write(data, size);
    out.commit();
}

std::optional<FileId> file_id(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return FileId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

AtomicFile& OutputSet::add(const std::string& path) {
    Output o;
    o.id = file_id(path);
    o.dir_id = file_id(dir_of(path));
    o.base = base_name(path);
    o.file = std::make_unique<AtomicFile>(path);
    outputs_.push_back(std::move(o));
    check();
    return *outputs_.back().file;
}

void OutputSet::add_input(const std::string& path) {
    if (const auto id = file_id(path)) inputs_.emplace_back(path, *id);
    check();
}

void OutputSet::check() const {
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
        const Output& o = outputs_[i];
        if (o.file->direct()) continue;  // a device or FIFO is written to, never replaced
        if (o.id)
            for (const auto& [in_path, in_id] : inputs_)
                if (*o.id == in_id)
                    throw Error(o.file->path(), "is also an input (" + in_path +
                                                    "); writing it would destroy that input: choose another "
                                                    "output path");
        for (std::size_t j = 0; j < i; ++j) {
            const Output& p = outputs_[j];
            const bool same_file = o.id && p.id && *o.id == *p.id;
            const bool same_name = o.dir_id && p.dir_id && *o.dir_id == *p.dir_id && o.base == p.base;
            if (same_file || same_name)
                throw Error(o.file->path(), "is given twice as an output (also as " + p.file->path() +
                                                "): choose a different path for each");
        }
    }
}

void OutputSet::commit() {
    check();
    for (auto& o : outputs_) o.file->prepare();
    // A signal now would leave some members renamed and others not: it waits until all are.
    BlockSignals block;
    for (auto& o : outputs_) o.file->publish();
}

}  // namespace mnistlr
