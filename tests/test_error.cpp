// printable() and Error: every message is one line of printable text, whatever the path holds.
#include <algorithm>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "test_util.hpp"

using mnistlr::printable;
using testutil::run_mnistlr;

TEST(Error, printable_escapes_control_characters) {
    EXPECT_EQ(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
    EXPECT_EQ(printable("\x1b[2Jaccuracy 1.0000"), "\\x1B[2Jaccuracy 1.0000");
    EXPECT_EQ(printable(std::string("nul\0byte", 8)), "nul\\x00byte");
    EXPECT_EQ(printable("\x01\x1f\x7f"), "\\x01\\x1F\\x7F");
    EXPECT_EQ(printable("csi\xc2\x9b" "31m"), "csi\\xC2\\x9B31m");  // U+009B, a C1 control
    EXPECT_EQ(printable(""), "");
}

TEST(Error, printable_keeps_valid_utf8_and_escapes_invalid_bytes) {
    EXPECT_EQ(printable("data dir ü/Grüße – 日本 😀"), "data dir ü/Grüße – 日本 😀");
    EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");  // U+00A0, the first code point after the C1 block
    EXPECT_EQ(printable("a\xff" "b"), "a\\xFFb");
    EXPECT_EQ(printable("\xc3"), "\\xC3");                 // truncated sequence
    EXPECT_EQ(printable("\xc0\xaf"), "\\xC0\\xAF");        // overlong '/'
    EXPECT_EQ(printable("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // a UTF-16 surrogate
    EXPECT_EQ(printable("\xe2\x82\n"), "\\xE2\\x82\\n");   // broken sequence, then a newline
    EXPECT_EQ(printable("back\\slash"), "back\\slash");    // kept as it is
}

TEST(Error, printable_is_idempotent) {
    for (const std::string s : {"a\nb", "\x1b]0;title\x07", "\xff\xfe", "ü\xc2\x85", "plain"})
        EXPECT_EQ(printable(printable(s)), printable(s)) << s;
}

TEST(Error, messages_are_one_printable_line) {
    const mnistlr::Error e("/tmp/evil\ndir\x1b[2J", "line 1\nline 2");
    EXPECT_EQ(std::string(e.what()), "/tmp/evil\\ndir\\x1B[2J: line 1\\nline 2");
    EXPECT_EQ(e.exit_code(), 2);
    const mnistlr::Error one("unknown data set 'a\rb'");
    EXPECT_EQ(std::string(one.what()), "unknown data set 'a\\rb'");
}

TEST(Error, utf8_length_at_is_strict) {
    EXPECT_EQ(mnistlr::utf8_length_at("a", 0), 1u);
    EXPECT_EQ(mnistlr::utf8_length_at("\xc3\xbc", 0), 2u);
    EXPECT_EQ(mnistlr::utf8_length_at("\xe2\x80\xa6", 0), 3u);
    EXPECT_EQ(mnistlr::utf8_length_at("\xf4\x8f\xbf\xbf", 0), 4u);  // U+10FFFF
    EXPECT_EQ(mnistlr::utf8_length_at("\xf4\x90\x80\x80", 0), 0u);  // above U+10FFFF
    EXPECT_EQ(mnistlr::utf8_length_at("\xe0\x80\x80", 0), 0u);      // overlong
    EXPECT_EQ(mnistlr::utf8_length_at("\xed\xa0\x80", 0), 0u);      // surrogate
    EXPECT_EQ(mnistlr::utf8_length_at("\xe2\x80", 0), 0u);          // truncated
    EXPECT_EQ(mnistlr::utf8_length_at("\x80", 0), 0u);              // stray continuation byte
}

// Through the binary: a data directory whose name holds a newline and an escape sequence gives one
// line on stderr, the name escaped, whether the directory is missing or holds a broken file.
TEST(Error, path_with_control_characters_gives_one_line_through_the_binary) {
    testutil::TempDir d;
    const std::string dir = d / "evil\naccuracy 1.0000\x1b[2J";
    auto r = run_mnistlr({"train", "--data", dir, "--steps", "1", "-o", d / "w.bin"});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("mnistlr: error: " + d.path() + "/evil\\naccuracy 1.0000\\x1B[2J: data directory does not exist", 0),
              0u)
        << r.err;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos);

    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
    testutil::write_file(dir + "/train-images-idx3-ubyte", testutil::make_idx({2, 2, 2}, std::vector<std::uint8_t>(8, 1)));
    testutil::write_file(dir + "/train-labels-idx1-ubyte", testutil::make_idx({3}, {0, 1, 0}));
    testutil::write_file(dir + "/t10k-images-idx3-ubyte", testutil::make_idx({2, 2, 2}, std::vector<std::uint8_t>(8, 1)));
    testutil::write_file(dir + "/t10k-labels-idx1-ubyte", testutil::make_idx({2}, {0, 1}));
    r = run_mnistlr({"train", "--data", dir, "--steps", "1", "-o", d / "w.bin"});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    // The labels' path, and the images' path inside the message, both escaped.
    const std::string shown = d.path() + "/evil\\naccuracy 1.0000\\x1B[2J";
    EXPECT_EQ(r.err, "mnistlr: error: " + shown + "/train-labels-idx1-ubyte: holds 3 labels but " + shown +
                         "/train-images-idx3-ubyte holds 2 images\n");
}
