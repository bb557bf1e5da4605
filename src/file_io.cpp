#include "mnistlr/file_io.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
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

std::string dir_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

void check_regular(const std::string& path, const struct stat& st) {
    if (S_ISDIR(st.st_mode)) throw Error(path, "is a directory, not a file");
    if (!S_ISREG(st.st_mode)) throw Error(path, "is not a regular file (a FIFO, socket or device?)");
}

}  // namespace

Bytes::Bytes(std::vector<std::uint8_t> owned) {
    auto holder = std::make_shared<std::vector<std::uint8_t>>(std::move(owned));
    data_ = holder->data();
    size_ = holder->size();
    owner_ = std::move(holder);
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
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, f.fd, 0);
        if (p != MAP_FAILED) {
            Bytes out;
            out.owner_ = std::shared_ptr<const void>(p, [size](const void* q) {
                ::munmap(const_cast<void*>(q), size);
            });
            out.data_ = static_cast<const std::uint8_t*>(p);
            out.size_ = size;
            return out;
        }
    }
    std::vector<std::uint8_t> buf(size);
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::read(f.fd, buf.data() + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(path, "read failed: " + errno_text(errno));
        if (n == 0) throw Error(path, "file shrank while being read");
        got += static_cast<std::size_t>(n);
    }
    return Bytes(std::move(buf));
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) throw Error("output path is empty");
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw Error(path_, "is a directory; give a file name for the output");
    const std::string dir = dir_of(path_);
    struct stat dst {};
    if (::stat(dir.c_str(), &dst) != 0)
        throw Error(path_, "cannot write: directory " + dir + " does not exist");
    if (!S_ISDIR(dst.st_mode)) throw Error(path_, "cannot write: " + dir + " is not a directory");

    std::string templ = (dir == "." && path_.find('/') == std::string::npos ? std::string() : dir + "/") +
                        "." + base_of(path_) + ".tmp-XXXXXX";
    std::vector<char> name(templ.begin(), templ.end());
    name.push_back('\0');
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ < 0) throw Error(path_, "cannot write: " + errno_text(errno));
    temp_path_ = name.data();
    // mkstemp creates 0600; give the result the permissions a plain creat() would.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd_, 0666 & ~mask);
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(const void* data, std::size_t size) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd_, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(path_, "write failed: " + errno_text(errno));
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

void AtomicFile::commit() {
    if (::fsync(fd_) != 0) throw Error(path_, "fsync failed: " + errno_text(errno));
    if (::close(fd_) != 0) {
        fd_ = -1;
        throw Error(path_, "close failed: " + errno_text(errno));
    }
    fd_ = -1;
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
        throw Error(path_, "rename failed: " + errno_text(errno));
    committed_ = true;
    Fd dir;
    dir.fd = ::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir.fd >= 0) ::fsync(dir.fd);  // best effort: makes the rename itself durable
}

void write_file_atomic(const std::string& path, const void* data, std::size_t size) {
    AtomicFile out(path);
    out.write(data, size);
    out.commit();
}

}  // namespace mnistlr
