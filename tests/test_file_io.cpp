#include <sys/stat.h>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"
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
    // A directory nobody may write into: mode 0555 for a user, immutable (chattr +i) also for root.
    ::mkdir((d / "ro").c_str(), 0555);
    const bool root = ::geteuid() == 0;
    if (root && std::system(("chattr +i " + testutil::shell_quote(d / "ro") + " 2>/dev/null").c_str()) != 0) {
        GTEST_SKIP() << "running as root on a file system without chattr +i: no unwritable directory to try";
    }
    const std::string msg = testutil::error_of([&] { mnistlr::AtomicFile f(d / "ro/w.bin"); });
    if (root) {
        EXPECT_EQ(std::system(("chattr -i " + testutil::shell_quote(d / "ro")).c_str()), 0);
    }
    EXPECT_EQ(msg.rfind(d / "ro/w.bin: cannot write: ", 0), 0u) << msg;
    EXPECT_TRUE(testutil::list_dir(d / "ro").empty());
}

TEST(FileIo, output_set_refuses_an_input_as_output_and_a_name_given_twice) {
    TempDir d;
    testutil::write_file(d / "in", {1});
    {
        mnistlr::OutputSet set;
        set.add(d / "in");
        EXPECT_EQ(testutil::error_of([&] { set.add_input(d / "in"); }),
                  d / "in" + ": is also an input (" + d / "in" +
                      "); writing it would destroy that input: choose another output path");
    }
    {
        mnistlr::OutputSet set;
        set.add(d / "new");  // does not exist yet: compared by directory and name
        EXPECT_NE(testutil::error_of([&] { set.add(d / "./new"); }).find("is given twice as an output"),
                  std::string::npos);
    }
    {
        mnistlr::OutputSet set;
        set.add_input(d / "missing");  // an input that does not exist cannot be overwritten
        set.add(d / "a").write("A", 1);
        set.add(d / "b").write("B", 1);
        set.commit();
    }
    EXPECT_EQ(testutil::read_file(d / "in"), std::vector<std::uint8_t>{1});
    EXPECT_EQ(testutil::read_file(d / "a"), std::vector<std::uint8_t>{'A'});
    EXPECT_EQ(testutil::read_file(d / "b"), std::vector<std::uint8_t>{'B'});
    EXPECT_EQ(testutil::list_dir(d.path()), (std::vector<std::string>{"a", "b", "in"}));
}

TEST(FileIo, temp_files_are_listed_for_the_signal_handler_until_renamed) {
    TempDir d;
    {
        mnistlr::AtomicFile f(d / "w.bin");
        ASSERT_EQ(testutil::list_dir(d.path()).size(), 1u);
        mnistlr::remove_temp_files();  // what the handler does
        EXPECT_TRUE(testutil::list_dir(d.path()).empty());
    }
    mnistlr::write_file_atomic(d / "kept", "x", 1);
    mnistlr::remove_temp_files();  // a committed file is no longer listed
    EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{"kept"});
}

TEST(FileIo, a_255_byte_name_gets_a_shortened_temp_name) {
    TempDir d;
    const std::string name(255, 'n');
    mnistlr::AtomicFile f(d / name);
    const auto entries = testutil::list_dir(d.path());
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].size(), 255u);
    EXPECT_EQ(entries[0].rfind("." + std::string(243, 'n') + ".tmp-", 0), 0u);
    f.write("x", 1);
    f.commit();
    EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{name});
}

TEST(FileIo, mapped_files_are_listed_with_their_error_line) {
    TempDir d;
    testutil::write_file(d / "big", std::vector<std::uint8_t>(1 << 20, 3));
    const auto b = mnistlr::Bytes::map_file(d / "big");
    const char* msg = mnistlr::mapped_file_message(b.data() + 1000);
    ASSERT_NE(msg, nullptr);
    EXPECT_EQ(std::string(msg).rfind("mnistlr: error: " + d / "big" + ": file changed while being read", 0), 0u) << msg;
    EXPECT_EQ(mnistlr::mapped_file_message(&msg), nullptr);
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
