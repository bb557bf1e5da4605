#include <sys/stat.h>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/file_io.hpp"
#include "test_util.hpp"

using testutil::TempDir;

TEST(FileIo, atomic_write_replaces_whole_file_and_leaves_no_temp) {
    TempDir d;
    testutil::write_file(d / "out", {1, 2, 3});
    const std::uint8_t data[4] = {9, 8, 7, 6};
    mnistlr::write_file_atomic(d / "out", data, 4);
    EXPECT_EQ(testutil::read_file(d / "out"), (std::vector<std::uint8_t>{9, 8, 7, 6}));
    EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{"out"});
}

TEST(FileIo, uncommitted_atomic_file_leaves_old_file_untouched) {
    TempDir d;
    testutil::write_file(d / "out", {1, 2, 3});
    {
        mnistlr::AtomicFile f(d / "out");
        const std::uint8_t junk[2] = {0, 0};
        f.write(junk, 2);
    }  // destroyed without commit, as on an error
    EXPECT_EQ(testutil::read_file(d / "out"), (std::vector<std::uint8_t>{1, 2, 3}));
    EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{"out"});
}

TEST(FileIo, unwritable_destinations_fail_at_construction) {
    TempDir d;
    try {
        mnistlr::AtomicFile f(d / "no/such/dir/w.bin");
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    }
    EXPECT_THROW(mnistlr::AtomicFile(d.path()), mnistlr::Error);  // a directory
    if (::geteuid() != 0) {  // root can write anywhere
        ::mkdir((d / "ro").c_str(), 0555);
        EXPECT_THROW(mnistlr::AtomicFile(d / "ro/w.bin"), mnistlr::Error);
    }
}

TEST(FileIo, map_file_refuses_non_regular_and_empty_files) {
    TempDir d;
    ASSERT_EQ(::mkfifo((d / "fifo").c_str(), 0600), 0);
    try {
        mnistlr::Bytes::map_file(d / "fifo");  // must not block waiting for a writer
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    }
    EXPECT_THROW(mnistlr::Bytes::map_file("/dev/zero"), mnistlr::Error);
    testutil::write_file(d / "empty", {});
    try {
        mnistlr::Bytes::map_file(d / "empty");
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(std::string(e.what()), d / "empty" + ": file is empty");
    }
}

TEST(FileIo, small_and_large_files_read_identically) {
    TempDir d;
    std::vector<std::uint8_t> small(100), large(1 << 20);
    for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<std::uint8_t>(i * 7);
    small.assign(large.begin(), large.begin() + 100);
    testutil::write_file(d / "s", small);
    testutil::write_file(d / "l", large);
    const auto s = mnistlr::Bytes::map_file(d / "s");
    const auto l = mnistlr::Bytes::map_file(d / "l");
    EXPECT_TRUE(std::equal(s.data(), s.data() + s.size(), small.begin(), small.end()));
    EXPECT_TRUE(std::equal(l.data(), l.data() + l.size(), large.begin(), large.end()));
    const auto tail = l.slice(10, 5);
    EXPECT_EQ(tail.data()[0], large[10]);
    EXPECT_EQ(tail.size(), 5u);
}
