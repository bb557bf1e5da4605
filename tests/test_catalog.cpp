#include <gtest/gtest.h>

#include "mnistlr/data/catalog.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/learning/trainer.hpp"
#include "mnistlr/learning/evaluate.hpp"
#include "test_util.hpp"

using testutil::error_of;
using testutil::make_idx;
using testutil::TempDir;
using testutil::write_file;

namespace {

// An upright 8 x 6 glyph for class k: a vertical bar in column k % 6 plus a top row (so that a
// transposition is visible: the bar would become a horizontal line).
std::vector<std::uint8_t> glyph(std::uint32_t rows, std::uint32_t cols, std::uint32_t k) {
    std::vector<std::uint8_t> g(std::size_t{rows} * cols, 0);
    for (std::uint32_t r = 0; r < rows; ++r) g[r * cols + (k % cols)] = 255;
    for (std::uint32_t c = 0; c < cols; ++c) g[c] = 128;
    if (k >= cols) g[(rows - 1) * cols + (k / cols) % cols] = 200;  // disambiguate classes beyond cols
    return g;
}

// Writes an EMNIST-letters-like split: images stored transposed (cols x rows on disk), labels 1..26.
void write_emnist_letters(const TempDir& d, const std::string& part, std::uint32_t n) {
    const std::uint32_t rows = 8, cols = 6;
    std::vector<std::uint8_t> px, ys;
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t k = i % 26;
        const auto g = glyph(rows, cols, k);
        for (std::uint32_t c = 0; c < cols; ++c)  // column-major on disk = transposed
            for (std::uint32_t r = 0; r < rows; ++r) px.push_back(g[r * cols + c]);
        ys.push_back(static_cast<std::uint8_t>(k + 1));
    }
    write_file(d / ("emnist-letters-" + part + "-images-idx3-ubyte"), make_idx({n, cols, rows}, px));
    write_file(d / ("emnist-letters-" + part + "-labels-idx1-ubyte"), make_idx({n}, ys));
}

void write_plain(const TempDir& d, const std::string& stem, std::uint32_t n, std::uint32_t side, std::uint32_t K) {
    std::vector<std::uint8_t> px, ys;
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto g = glyph(side, side, i % K);
        px.insert(px.end(), g.begin(), g.end());
        ys.push_back(static_cast<std::uint8_t>(i % K));
    }
    write_file(d / (stem + "-images-idx3-ubyte"), make_idx({n, side, side}, px));
    write_file(d / (stem + "-labels-idx1-ubyte"), make_idx({n}, ys));
}

}  // namespace

TEST(Catalog, known_kinds_and_class_names) {
    EXPECT_EQ(mnistlr::find_dataset_kind("fashion")->class_names.at(9), "Ankle boot");
    EXPECT_EQ(mnistlr::find_dataset_kind("kmnist")->class_names.at(3), "tsu");
    EXPECT_EQ(mnistlr::find_dataset_kind("emnist-balanced")->class_names.size(), 47u);
    EXPECT_EQ(mnistlr::find_dataset_kind("emnist-byclass")->class_names.size(), 62u);
    EXPECT_EQ(mnistlr::find_dataset_kind("emnist-letters")->class_names.front(), "A");
    EXPECT_EQ(mnistlr::find_dataset_kind("nope"), nullptr);
    EXPECT_EQ(error_of([] { mnistlr::load_data({"/tmp", "nope", mnistlr::Transpose::automatic, ""}); })
                  .find("unknown data set 'nope' (known: auto, mnist, fashion"),
              0u);
}

TEST(Catalog, emnist_letters_upright_and_zero_based_with_26_named_classes) {
    TempDir d;
    write_emnist_letters(d, "train", 26 * 20);
    write_emnist_letters(d, "test", 26 * 2);
    mnistlr::DataRequest req{d.path(), "emnist-letters", mnistlr::Transpose::automatic, ""};
    const auto loaded = mnistlr::load_data(req);
    EXPECT_TRUE(loaded.transposed);
    EXPECT_EQ(loaded.data.classes, 26u);  // no phantom class 0
    EXPECT_EQ(loaded.class_names.front(), "A");
    EXPECT_EQ(loaded.class_names.back(), "Z");
    const auto& tr = loaded.data.train;
    EXPECT_EQ(tr.rows, 8u);
    EXPECT_EQ(tr.cols, 6u);
    EXPECT_EQ(tr.label(0), 0);
    EXPECT_EQ(tr.label(25), 25);
    // Image 3 (class D) is upright again: identical to the glyph as drawn.
    const auto g = glyph(8, 6, 3);
    EXPECT_TRUE(std::equal(g.begin(), g.end(), tr.image(3)));

    // Without transposition the same files come out sideways.
    req.transpose = mnistlr::Transpose::off;
    const auto raw = mnistlr::load_data(req);
    EXPECT_FALSE(raw.transposed);
    EXPECT_EQ(raw.data.train.rows, 6u);
    EXPECT_FALSE(std::equal(g.begin(), g.end(), raw.data.train.image(3)));

    // And a model trained on the upright set learns the upright glyph: class D's weights peak in
    // column 3 (its vertical bar).
    mnistlr::TrainConfig cfg;
    cfg.steps = 3000;
    cfg.batch = 26;
    const auto r = mnistlr::train(loaded.data.train, loaded.data.classes, cfg);
    EXPECT_GE(mnistlr::evaluate(r.model, loaded.data.test).accuracy, 0.99);
    Eigen::Index best = 0;
    r.model.W.col(3).maxCoeff(&best);
    EXPECT_EQ(best % 6, 3) << "pixel " << best;
}

TEST(Catalog, letters_label_zero_is_refused_with_its_index) {
    TempDir d;
    write_emnist_letters(d, "train", 30);
    write_emnist_letters(d, "test", 30);
    write_file(d / "emnist-letters-test-labels-idx1-ubyte", make_idx({30}, std::vector<std::uint8_t>(30, 0)));
    EXPECT_NE(error_of([&] {
                  mnistlr::load_data({d.path(), "emnist-letters", mnistlr::Transpose::automatic, ""});
              }).find("label 0 at index 0 is below the first label 1"),
              std::string::npos);
}

TEST(Catalog, generic_32x32_set_trains_with_class_count_from_labels) {
    TempDir d;
    write_plain(d, "train", 300, 32, 5);
    write_plain(d, "t10k", 50, 32, 5);
    const auto loaded = mnistlr::load_data({d.path(), "auto", mnistlr::Transpose::automatic, ""});
    EXPECT_EQ(loaded.kind->name, "generic");
    EXPECT_TRUE(loaded.class_names.empty());
    EXPECT_EQ(loaded.data.classes, 5u);
    EXPECT_EQ(loaded.data.train.rows, 32u);
    mnistlr::TrainConfig cfg;
    cfg.steps = 200;
    cfg.batch = 20;
    const auto r = mnistlr::train(loaded.data.train, loaded.data.classes, cfg);
    EXPECT_EQ(r.model.pixels(), 1024u);
    EXPECT_GE(mnistlr::evaluate(r.model, loaded.data.test).accuracy, 0.99);
}

TEST(Catalog, classes_file_names_and_validation) {
    TempDir d;
    write_plain(d, "train", 40, 6, 4);
    write_plain(d, "t10k", 8, 6, 4);
    const std::string names = "cat\r\ndog\nbird\nGrüße\n";
    write_file(d / "names.txt", std::vector<std::uint8_t>(names.begin(), names.end()));
    const auto loaded = mnistlr::load_data({d.path(), "auto", mnistlr::Transpose::automatic, d / "names.txt"});
    EXPECT_EQ(loaded.class_names, (std::vector<std::string>{"cat", "dog", "bird", "Grüße"}));
    const std::string three = "a\nb\nc\n";
    write_file(d / "three.txt", std::vector<std::uint8_t>(three.begin(), three.end()));
    EXPECT_NE(error_of([&] {
                  mnistlr::load_data({d.path(), "auto", mnistlr::Transpose::automatic, d / "three.txt"});
              }).find("3 class names for labels up to 3"),
              std::string::npos);
    write_file(d / "bad.txt", {'a', '\n', 0xFF, 0xFE, '\n'});
    EXPECT_NE(error_of([&] { mnistlr::read_class_names(d / "bad.txt"); }).find("line 2 is not valid UTF-8"),
              std::string::npos);
    write_file(d / "bin.txt", {'a', '\n', 0x01, '\n'});
    EXPECT_NE(error_of([&] { mnistlr::read_class_names(d / "bin.txt"); }).find("control character"),
              std::string::npos);
    write_file(d / "blank.txt", {'a', '\n', '\n', 'b'});
    EXPECT_NE(error_of([&] { mnistlr::read_class_names(d / "blank.txt"); }).find("line 2 is empty"),
              std::string::npos);
}

TEST(Catalog, auto_recognises_real_mnist) {
    ASSERT_TRUE(testutil::mnist_present());
    const auto loaded = mnistlr::load_data({testutil::mnist_dir(), "auto", mnistlr::Transpose::automatic, ""});
    EXPECT_EQ(loaded.kind->name, "mnist");
    EXPECT_EQ(loaded.class_names.size(), 10u);
    EXPECT_FALSE(loaded.transposed);
}

// parse_class_names is read_class_names on bytes already in memory (the fuzz target's entry point).
TEST(Catalog, parse_class_names_matches_read_class_names) {
    TempDir d;
    const std::string text = "cat\r\ndog\nGrüße";
    const std::vector<std::uint8_t> bytes(text.begin(), text.end());
    write_file(d / "names.txt", bytes);
    EXPECT_EQ(mnistlr::parse_class_names(mnistlr::Bytes(bytes), "mem"), mnistlr::read_class_names(d / "names.txt"));
    EXPECT_EQ(error_of([] { mnistlr::parse_class_names(mnistlr::Bytes(std::vector<std::uint8_t>{'a'}), "mem"); }),
              "mem: names 1 classes (at least 2 needed)");
}

// Found by fuzz_class_names: a carriage return not followed by '\n' was kept inside the name (the
// class "T-shirt/top\ryTrouser"), which then prints over itself on a terminal.
TEST(Catalog, fuzz_bare_carriage_return_is_refused) {
    const std::vector<std::uint8_t> crash = {
        0x54, 0x2d, 0x73, 0x68, 0x69, 0x72, 0x74, 0x2f, 0x74, 0x6f, 0x70, 0x0d, 0x79, 0x54, 0x72, 0x6f,
        0x75, 0x73, 0x65, 0x72, 0x0d, 0x0a, 0x50, 0x75, 0x6c, 0x6c, 0x6f, 0x76, 0x65, 0x72, 0x0d, 0x0a,
        0x41, 0x6e, 0x6b, 0x6c, 0x65, 0x20, 0x62, 0x6f, 0x6f, 0x74};
    EXPECT_EQ(error_of([&] { mnistlr::parse_class_names(mnistlr::Bytes(crash), "names.txt"); }),
              "names.txt: line 1 holds a carriage return inside a name (expected LF or CRLF line ends)");
    // CRLF line ends and a final '\r' are still fine.
    const std::vector<std::uint8_t> crlf = {'a', '\r', '\n', 'b', '\r'};
    EXPECT_EQ(mnistlr::parse_class_names(mnistlr::Bytes(crlf), "names.txt"), (std::vector<std::string>{"a", "b"}));
}

// Found by fuzz_class_names' check that every accepted name can be written to the weights file:
// UTF-16 surrogates, overlong forms and code points above U+10FFFF passed the UTF-8 check, and
// `train --classes` then failed after training, when nlohmann::json refused to write them.
TEST(Catalog, fuzz_only_strict_utf8_names_are_accepted) {
    const std::vector<std::vector<std::uint8_t>> bad = {
        {'a', '\n', 0xED, 0xA0, 0x80, '\n'},        // U+D800, a surrogate
        {'a', '\n', 0xE0, 0x80, 0x80, '\n'},        // overlong U+0000
        {'a', '\n', 0xF0, 0x80, 0x80, 0x80, '\n'},  // overlong U+0000 in 4 bytes
        {'a', '\n', 0xF4, 0x90, 0x80, 0x80, '\n'},  // U+110000
        {'a', '\n', 0xC0, 0xAF, '\n'},              // overlong '/'
        {'a', '\n', 0xE2, 0x82, '\n'},              // truncated sequence
    };
    for (const auto& b : bad)
        EXPECT_EQ(error_of([&] { mnistlr::parse_class_names(mnistlr::Bytes(b), "names.txt"); }),
                  "names.txt: line 2 is not valid UTF-8");
    // The edges that are valid: U+0800, U+D7FF, U+E000, U+10000, U+10FFFF.
    const std::vector<std::uint8_t> good = {0xE0, 0xA0, 0x80, '\n', 0xED, 0x9F, 0xBF, '\n', 0xEE, 0x80, 0x80, '\n',
                                            0xF0, 0x90, 0x80, 0x80, '\n', 0xF4, 0x8F, 0xBF, 0xBF, '\n'};
    EXPECT_EQ(mnistlr::parse_class_names(mnistlr::Bytes(good), "names.txt").size(), 5u);
}

// One set of rules for class names, shared with the weights file (weights_io.cpp).
TEST(Catalog, class_name_rules) {
    using mnistlr::class_name_problem;
    EXPECT_EQ(class_name_problem("Ankle boot"), "");
    EXPECT_EQ(class_name_problem("Grüße \u65e5\u672c"), "");
    EXPECT_EQ(class_name_problem(""), "");  // emptiness is the caller's business
    EXPECT_EQ(class_name_problem(std::string(64, 'x')), "");
    EXPECT_EQ(class_name_problem(std::string(65, 'x')), "is longer than 64 bytes (65 bytes)");
    EXPECT_EQ(class_name_problem("\x1b[2J"), "contains a control character (0x1B)");
    EXPECT_EQ(class_name_problem("a\tb"), "contains a control character (0x09)");
    EXPECT_EQ(class_name_problem("a\x7f"), "contains a control character (0x7F)");
    EXPECT_EQ(class_name_problem("a\xc2\x85"), "contains a control character (U+0085)");
    EXPECT_EQ(class_name_problem("a\xc2\xa0"), "");  // U+00A0 is not a control character
    EXPECT_EQ(class_name_problem("a\xc2"), "is not valid UTF-8");
    // A control character wins over length: in a binary file it is the telling sign.
    EXPECT_EQ(class_name_problem(std::string(100, 'x') + '\x01'), "contains a control character (0x01)");
}

TEST(Catalog, classes_file_applies_the_class_name_rules) {
    auto err = [](const std::string& text) {
        return error_of([&] {
            mnistlr::parse_class_names(mnistlr::Bytes(std::vector<std::uint8_t>(text.begin(), text.end())), "n.txt");
        });
    };
    EXPECT_EQ(err("a\n" + std::string(65, 'b') + "\n"), "n.txt: line 2 is longer than 64 bytes (65 bytes)");
    EXPECT_EQ(err("a\nb\tc\n"), "n.txt: line 2 contains a control character (0x09)");
    EXPECT_EQ(err("a\nb\x1b[2J\n"), "n.txt: line 2 contains a control character (0x1B)");
    EXPECT_EQ(err("a\x7f\nb\n"), "n.txt: line 1 contains a control character (0x7F)");
    EXPECT_EQ(err("a\nb\xc2\x9b\n"), "n.txt: line 2 contains a control character (U+009B)");
    EXPECT_EQ(err("a\n" + std::string(64, 'b') + "\n"), "");
}
