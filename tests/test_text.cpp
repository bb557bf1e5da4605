// Text: the font loads, widths behave, glyphs land inside their box, UTF-8 decodes.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/pictures/text.hpp"
#include "test_util.hpp"

using namespace mnistlr;

namespace {

const Font& font() {
    static const Font f = Font::load_default();
    return f;
}

constexpr Rgb kBg = {200, 200, 200};

struct Box {
    int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1, count = 0;
};
Box ink(const RgbImage& img) {
    Box b;
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x)
            if (img.at(x, y) != kBg) {
                b.x0 = std::min(b.x0, x), b.y0 = std::min(b.y0, y);
                b.x1 = std::max(b.x1, x), b.y1 = std::max(b.y1, y);
                ++b.count;
            }
    return b;
}

}  // namespace

TEST(Text, default_font_is_dejavu_sans_and_has_sane_metrics) {
    EXPECT_NE(Font::default_path().find("DejaVuSans.ttf"), std::string::npos);
    EXPECT_GT(font().ascent(20), 14.0f);
    EXPECT_LT(font().ascent(20), 20.0f);
    EXPECT_GT(font().descent(20), 2.0f);
    EXPECT_NEAR(font().ascent(20) + font().descent(20), 20.0f, 0.01f);
    EXPECT_GE(font().line_height(20), 20.0f);
}

TEST(Text, missing_or_non_font_files_are_refused_with_their_path) {
    testutil::TempDir d;
    try {
        Font::load(d / "nope.ttf");
        FAIL() << "no throw";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(d / "nope.ttf", 0), 0u) << e.what();
    }
    testutil::write_file(d / "junk.ttf", std::vector<std::uint8_t>(64, 0x41));
    try {
        Font::load(d / "junk.ttf");
        FAIL() << "no throw";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), (d / "junk.ttf") + ": not a TrueType font");
    }
}

// MNISTLR_FONT overrides the built-in path; a missing font is one message naming the path tried.
// (ctest runs each test in its own process, so the environment change stays in this test.)
TEST(Text, mnistlr_font_overrides_the_default_and_a_missing_font_names_the_path) {
    const Font& regular = font();  // loaded before MNISTLR_FONT is set
    testutil::TempDir d;
    ::setenv("MNISTLR_FONT", (d / "none.ttf").c_str(), 1);
    EXPECT_EQ(Font::default_path(), d / "none.ttf");
    EXPECT_EQ(testutil::error_of([] { Font::load_default(); }), (d / "none.ttf") + ": font not found (set by MNISTLR_FONT)");
    ::setenv("MNISTLR_FONT", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 1);
    const Font bold = Font::load_default();
    EXPECT_NE(bold.text_width("mnistlr", 20), regular.text_width("mnistlr", 20));  // really another font
    ::setenv("MNISTLR_FONT", "", 1);  // empty: as unset
    EXPECT_EQ(Font::default_path(), "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    ::unsetenv("MNISTLR_FONT");
}

TEST(Text, width_grows_with_text_and_size) {
    const float w1 = font().text_width("0", 20), w3 = font().text_width("000", 20);
    EXPECT_GT(w1, 5.0f);
    EXPECT_NEAR(w3, 3 * w1, 0.01f);  // digits are tabular, no kerning between them
    EXPECT_NEAR(font().text_width("000", 40), 2 * w3, 0.05f);
    EXPECT_EQ(font().text_width("", 20), 0.0f);
    EXPECT_LT(font().text_width("AV", 20), font().text_width("A", 20) + font().text_width("V", 20));  // kerning
}

TEST(Text, glyphs_land_in_their_box_and_alignment_works) {
    for (Align align : {Align::left, Align::center, Align::right}) {
        RgbImage img(200, 40, kBg);
        const float w = font().text_width("Trouser", 20);
        const float anchor = 100;
        const float end = font().draw(img, "Trouser", anchor, 28, 20, Rgb{0, 0, 0}, align);
        const float left = align == Align::left ? anchor : align == Align::center ? anchor - w / 2 : anchor - w;
        EXPECT_NEAR(end, left + w, 0.01f);
        const Box b = ink(img);
        ASSERT_GT(b.count, 50);
        EXPECT_GE(b.x0, static_cast<int>(left) - 1);
        EXPECT_LE(b.x1, static_cast<int>(left + w) + 1);
        EXPECT_GE(b.y0, 28 - static_cast<int>(std::ceil(font().ascent(20))));
        EXPECT_LE(b.y1, 28 + static_cast<int>(std::ceil(font().descent(20))));
        // Anti-aliased but solid: the darkest pixels are (nearly) the text colour.
        int darkest = 255;
        for (int y = 0; y < img.height; ++y)
            for (int x = 0; x < img.width; ++x) darkest = std::min(darkest, int(img.at(x, y).r));
        EXPECT_LE(darkest, 10);
    }
}

TEST(Text, drawing_outside_the_image_is_clipped) {
    RgbImage img(20, 10, kBg);
    font().draw(img, "Clipped text", -15, 5, 30, Rgb{0, 0, 0});
    font().draw(img, "x", 1000, 1000, 20, Rgb{0, 0, 0});
    EXPECT_GT(ink(img).count, 0);
}

TEST(Text, elide_shortens_with_an_ellipsis_only_when_needed) {
    EXPECT_EQ(font().elide("Bag", 20, 200), "Bag");
    const std::string e = font().elide("Ankle boot and more", 20, 60);
    EXPECT_LE(font().text_width(e, 20), 60.0f);
    EXPECT_EQ(e.substr(e.size() - 3), "\u2026");
    EXPECT_EQ(e.rfind("Ank", 0), 0u);
    EXPECT_EQ(font().elide("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", 20, 30).substr(0, 2), "\u00e9");  // whole code points
    EXPECT_EQ(font().elide("Wide", 20, 1), "");
}

TEST(Text, utf8_decoding_replaces_invalid_bytes) {
    EXPECT_EQ(decode_utf8("a\u00e9\u2212\U0001F600"), (std::u32string{U'a', 0xE9, 0x2212, 0x1F600}));
    EXPECT_EQ(decode_utf8("\xff"), std::u32string(1, 0xFFFD));
    EXPECT_EQ(decode_utf8("a\xc3"), (std::u32string{U'a', 0xFFFD}));           // truncated
    EXPECT_EQ(decode_utf8("\xc0\x80"), std::u32string(1, 0xFFFD));             // overlong
    EXPECT_EQ(decode_utf8("\xed\xa0\x80x"), (std::u32string{0xFFFD, U'x'}));  // surrogate
    EXPECT_EQ(decode_utf8("\xe2\x88z"), (std::u32string{0xFFFD, U'z'}));      // broken sequence keeps the next char
}

namespace {

// elide as specified, the slow way: every prefix measured on its own, longest first.
std::string naive_elide(std::string_view s, float px, float max_width) {
    if (font().text_width(s, px) <= max_width) return std::string(s);
    for (std::size_t n = s.empty() ? 0 : s.size() - 1; n > 0; --n) {
        if ((static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) continue;
        std::string c(s.substr(0, n));
        while (!c.empty() && c.back() == ' ') c.pop_back();
        c += "\u2026";
        if (font().text_width(c, px) <= max_width) return c;
    }
    return font().text_width("\u2026", px) <= max_width ? "\u2026" : "";
}

}  // namespace

TEST(Text, elide_in_one_pass_matches_measuring_every_prefix) {
    const std::vector<std::string> texts = {
        "Ankle boot and more", "AVAVAVAVAV To Ty Yo", "a    b    c", "   leading", "T-shirt/top",
        "Grüße \u2212 \u65e5\u672c\u8a9e \U0001F600", "bad \xff\xfe bytes \xe2\x88z \xc3", "W", "",
        "stray\x80\x80" "continuation", "\u2026\u2026\u2026\u2026"};
    for (const auto& t : texts)
        for (float px : {9.0f, 20.0f})
            for (float w = 0; w <= 200; w += 3.5f) EXPECT_EQ(font().elide(t, px, w), naive_elide(t, px, w)) << t << " " << px << " " << w;
}

TEST(Text, elide_and_width_of_a_megabyte_string) {
    const std::string huge(1 << 20, 'W');
    const std::string e = font().elide(huge, 20, 300);
    ASSERT_GE(e.size(), 4u);
    EXPECT_EQ(e.substr(e.size() - 3), "\u2026");
    EXPECT_EQ(e.find_first_not_of('W'), e.size() - 3);  // W...W…
    EXPECT_LE(font().text_width(e, 20), 300.0f);
    EXPECT_GT(font().text_width("W" + e, 20), 300.0f);  // the longest that fits
    // 2 MB of 'W' is past INT_MAX font units: the width still adds up.
    const float w1 = font().text_width(huge, 20), w2 = font().text_width(huge + huge, 20);
    EXPECT_GT(w1, 1e6f);
    EXPECT_NEAR(w2 / w1, 2.0f, 1e-3f);
}
