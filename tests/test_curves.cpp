// The learning-curves CSV parser: the two accepted forms, and every refusal with its message.
#include <cmath>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "mnistlr/pictures/curves.hpp"
#include "mnistlr/error.hpp"
#include "test_util.hpp"

using namespace mnistlr;

namespace {

const std::string kHead = "step,batch_loss,batch_accuracy,test_loss,test_accuracy\n";
const std::string kHeadTrain = "step,batch_loss,batch_accuracy,test_loss,test_accuracy,train_loss,train_accuracy\n";

// The message parse_curves_csv throws for `text` (named "c.csv"), or "" when it parses.
std::string error_of(const std::string& text) {
    try {
        parse_curves_csv(text, "c.csv");
    } catch (const Error& e) {
        EXPECT_EQ(e.exit_code(), 2);
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Curves, parses_the_five_column_form) {
    const Curves c = parse_curves_csv(kHead + "10,0.622807,0.890625,0.850718,0.7661\n20,0.51457,0.859375,1e-05,1\n",
                                      "c.csv");
    ASSERT_EQ(c.rows(), 2u);
    EXPECT_FALSE(c.has_train);
    EXPECT_EQ(c.step, (std::vector<double>{10, 20}));
    EXPECT_DOUBLE_EQ(c.batch_loss[0], 0.622807);
    EXPECT_DOUBLE_EQ(c.batch_accuracy[1], 0.859375);
    EXPECT_DOUBLE_EQ(c.test_loss[1], 1e-05);
    EXPECT_DOUBLE_EQ(c.test_accuracy[0], 0.7661);
    EXPECT_DOUBLE_EQ(c.test_accuracy[1], 1.0);
    EXPECT_TRUE(c.train_loss.empty());
    EXPECT_TRUE(c.train_accuracy.empty());
}

TEST(Curves, parses_the_seven_column_form_with_train_columns) {
    const Curves c = parse_curves_csv(kHeadTrain + "0,2.3,0.1,2.31,0.098,2.302,0.0987\n5,0.5,0.9,0.45,0.88,0.44,0.89",
                                      "c.csv");  // no final newline
    ASSERT_EQ(c.rows(), 2u);
    EXPECT_TRUE(c.has_train);
    EXPECT_EQ(c.step, (std::vector<double>{0, 5}));
    EXPECT_EQ(c.train_loss, (std::vector<double>{2.302, 0.44}));
    EXPECT_EQ(c.train_accuracy, (std::vector<double>{0.0987, 0.89}));
}

TEST(Curves, accepts_crlf_line_ends_and_a_bom) {
    const Curves c = parse_curves_csv("\xEF\xBB\xBF" "step,batch_loss,batch_accuracy,test_loss,test_accuracy\r\n"
                                      "1,0.5,0.5,0.5,0.5\r\n2,0.25,0.75,0.3,0.7\r\n",
                                      "c.csv");
    ASSERT_EQ(c.rows(), 2u);
    EXPECT_DOUBLE_EQ(c.test_accuracy[1], 0.7);
}

TEST(Curves, loads_a_file_and_names_it_in_errors) {
    testutil::TempDir d;
    const std::string text = kHead + "1,0.5,0.5,0.5,0.5\n";
    testutil::write_file(d / "ok.csv", std::vector<std::uint8_t>(text.begin(), text.end()));
    EXPECT_EQ(load_curves_csv(d / "ok.csv").rows(), 1u);

    const std::string bad = kHead + "1,0.5,0.5,0.5\n";
    testutil::write_file(d / "bad.csv", std::vector<std::uint8_t>(bad.begin(), bad.end()));
    try {
        load_curves_csv(d / "bad.csv");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), d / "bad.csv" + ": line 2: 4 fields, expected 5 as in the header");
    }
    try {
        load_curves_csv(d / "missing.csv");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(d / "missing.csv" + ": ", 0), 0u) << e.what();
    }
    try {
        load_curves_csv(d.path());
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
    }
}

TEST(Curves, refuses_a_file_over_the_size_limit_before_reading_it) {
    testutil::TempDir d;
    {
        std::ofstream f(d / "big.csv", std::ios::binary);
        f << kHead;
        f.seekp(static_cast<std::streamoff>(kMaxCurvesBytes));  // sparse: no 64 MiB written
        f << '\n';
    }
    try {
        load_curves_csv(d / "big.csv");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), d / "big.csv" + ": file is " + std::to_string(kMaxCurvesBytes + 1) +
                                             " bytes, more than the 64 MiB a curves CSV may have");
    }
}

TEST(Curves, refuses_a_wrong_or_missing_header) {
    EXPECT_EQ(error_of("step,loss\n1,2\n"),
              "c.csv: line 1: header is \"step,loss\", expected "
              "\"step,batch_loss,batch_accuracy,test_loss,test_accuracy[,train_loss,train_accuracy]\" "
              "(the CSV written by mnistlr train --log)");
    // Data where the header should be; long and binary text is cut and made printable.
    EXPECT_EQ(error_of("1,0.5,0.5,0.5,0.5\n").rfind("c.csv: line 1: header is \"1,0.5,0.5,0.5,0.5\", expected", 0), 0u);
    EXPECT_EQ(error_of(std::string("\x01\x02step") + std::string(100, 'x') + "\n")
                  .rfind("c.csv: line 1: header is \"??step" + std::string(34, 'x') + "...\", expected", 0),
              0u);
    // Header with a space, or with different case.
    EXPECT_NE(error_of("step, batch_loss,batch_accuracy,test_loss,test_accuracy\n1,1,1,1,1\n"), "");
    EXPECT_NE(error_of("STEP,batch_loss,batch_accuracy,test_loss,test_accuracy\n1,1,1,1,1\n"), "");
}

TEST(Curves, refuses_empty_input_and_a_header_without_rows) {
    EXPECT_EQ(error_of(""), "c.csv: file is empty");
    EXPECT_EQ(error_of("\xEF\xBB\xBF"), "c.csv: file is empty");
    EXPECT_EQ(error_of(kHead), "c.csv: no data rows after the header");
    EXPECT_EQ(error_of(kHead + "\n"), "c.csv: no data rows after the header");  // one blank line at the end is fine
    EXPECT_EQ(error_of(kHead + "\n\n"), "c.csv: line 2: empty line");
}

TEST(Curves, refuses_rows_with_the_wrong_number_of_fields) {
    EXPECT_EQ(error_of(kHead + "1,0.5,0.5,0.5,0.5,0.5,0.5\n"), "c.csv: line 2: 7 fields, expected 5 as in the header");
    EXPECT_EQ(error_of(kHeadTrain + "1,0.5,0.5,0.5,0.5\n"), "c.csv: line 2: 5 fields, expected 7 as in the header");
    EXPECT_EQ(error_of(kHead + "garbage\n"), "c.csv: line 2: 1 field, expected 5 as in the header");
    EXPECT_EQ(error_of(kHead + "1,0.5,0.5,0.5,0.5\n\n2,0.5,0.5,0.5,0.5\n"), "c.csv: line 3: empty line");
}

TEST(Curves, refuses_fields_that_are_not_numbers) {
    EXPECT_EQ(error_of(kHead + "1,,0.5,0.5,0.5\n"), "c.csv: line 2: batch_loss is empty");
    EXPECT_EQ(error_of(kHead + "1,abc,0.5,0.5,0.5\n"), "c.csv: line 2: batch_loss \"abc\" is not a number");
    EXPECT_EQ(error_of(kHead + "1,0.5,0.5, 0.5,0.5\n"), "c.csv: line 2: test_loss \" 0.5\" is not a number");
    EXPECT_EQ(error_of(kHead + "1,0.5,0.5,0.5,0.5x\n"), "c.csv: line 2: test_accuracy \"0.5x\" is not a number");
    EXPECT_EQ(error_of(kHead + "1,0.5,0.5,+0.5,0.5\n"), "c.csv: line 2: test_loss \"+0.5\" is not a number");
    EXPECT_EQ(error_of(kHead + "1,1e999,0.5,0.5,0.5\n"), "c.csv: line 2: batch_loss \"1e999\" is out of range");
    EXPECT_EQ(error_of(kHead + "1,0.5,0.5,0.5,0.5\n2,0.5,0.5,0.5,0.5\r\r\n"),
              "c.csv: line 3: test_accuracy \"0.5?\" is not a number");
    EXPECT_EQ(error_of(kHead + std::string("1,0.5,0.5,0.5\0,0.5\n", 19)),
              "c.csv: line 2: test_loss \"0.5?\" is not a number");
}

TEST(Curves, refuses_non_finite_values) {
    EXPECT_EQ(error_of(kHead + "1,nan,0.5,0.5,0.5\n"), "c.csv: line 2: batch_loss is \"nan\", expected a finite number");
    EXPECT_EQ(error_of(kHead + "1,0.5,0.5,inf,0.5\n"), "c.csv: line 2: test_loss is \"inf\", expected a finite number");
    EXPECT_EQ(error_of(kHead + "1,0.5,0.5,0.5,-nan\n"),
              "c.csv: line 2: test_accuracy is \"-nan\", expected a finite number");
}

TEST(Curves, refuses_values_outside_their_ranges) {
    EXPECT_EQ(error_of(kHead + "1,-0.5,0.5,0.5,0.5\n"), "c.csv: line 2: batch_loss -0.5 is negative");
    EXPECT_EQ(error_of(kHead + "1,0.5,0.5,2e9,0.5\n"),
              "c.csv: line 2: test_loss 2e+09 is larger than 1e+09 (did training diverge?)");
    EXPECT_EQ(error_of(kHead + "1,0.5,1.5,0.5,0.5\n"), "c.csv: line 2: batch_accuracy 1.5 is outside [0, 1]");
    EXPECT_EQ(error_of(kHead + "1,0.5,0.5,0.5,-0.25\n"), "c.csv: line 2: test_accuracy -0.25 is outside [0, 1]");
    EXPECT_EQ(error_of(kHeadTrain + "1,0.5,0.5,0.5,0.5,0.5,2\n"), "c.csv: line 2: train_accuracy 2 is outside [0, 1]");
    EXPECT_EQ(error_of(kHeadTrain + "1,0.5,0.5,0.5,0.5,-1,0.5\n"), "c.csv: line 2: train_loss -1 is negative");
}

TEST(Curves, refuses_steps_that_are_not_whole_or_not_increasing) {
    EXPECT_EQ(error_of(kHead + "1.5,0.5,0.5,0.5,0.5\n"), "c.csv: line 2: step \"1.5\" is not a whole number");
    EXPECT_EQ(error_of(kHead + "-1,0.5,0.5,0.5,0.5\n"), "c.csv: line 2: step \"-1\" is not a whole number");
    EXPECT_EQ(error_of(kHead + "1e3,0.5,0.5,0.5,0.5\n"), "c.csv: line 2: step \"1e3\" is not a whole number");
    EXPECT_EQ(error_of(kHead + ",0.5,0.5,0.5,0.5\n"), "c.csv: line 2: step is empty");
    EXPECT_EQ(error_of(kHead + "99999999999999999,0.5,0.5,0.5,0.5\n"),
              "c.csv: line 2: step \"99999999999999999\" is too large");
    EXPECT_EQ(error_of(kHead + "10,0.5,0.5,0.5,0.5\n20,0.5,0.5,0.5,0.5\n20,0.5,0.5,0.5,0.5\n"),
              "c.csv: line 4: step 20 after step 20 (steps must increase)");
    EXPECT_EQ(error_of(kHead + "10,0.5,0.5,0.5,0.5\n5,0.5,0.5,0.5,0.5\n"),
              "c.csv: line 3: step 5 after step 10 (steps must increase)");
}

TEST(Curves, moving_average_is_trailing_and_shorter_at_the_start) {
    const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7};
    EXPECT_EQ(moving_average(v, 0), v);
    EXPECT_EQ(moving_average(v, 1), v);
    const auto m = moving_average(v, 3);
    const std::vector<double> want = {1, 1.5, 2, 3, 4, 5, 6};
    ASSERT_EQ(m.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_DOUBLE_EQ(m[i], want[i]) << i;
    // A window longer than the series: the running mean.
    const auto all = moving_average(v, 100);
    EXPECT_DOUBLE_EQ(all.back(), 4.0);
    // Against a naive loop on a longer series (the running sum is periodically recomputed).
    std::vector<double> w(1000);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(static_cast<double>(i)) + 2.0;
    const auto mw = moving_average(w, 7);
    for (std::size_t i = 0; i < w.size(); ++i) {
        double s = 0;
        const std::size_t from = i >= 6 ? i - 6 : 0;
        for (std::size_t j = from; j <= i; ++j) s += w[j];
        EXPECT_NEAR(mw[i], s / static_cast<double>(i - from + 1), 1e-12) << i;
    }
}

TEST(Curves, the_writer_and_the_reader_round_trip) {
    for (bool train : {false, true}) {
        mnistlr::Curves c;
        c.has_train = train;
        c.reserve(3);
        c.add(0, 2.302585, 0.09375, 2.302585, 0.098, 2.3, 0.1);
        c.add(500, 0.3114f, 0.90625f, 0.29, 0.9171, 0.31, 0.91);
        c.add(1000000, 1e-05, 1, 0.27, 0.9203, 0.28, 0.925);
        const std::string text = mnistlr::curves_csv(c);
        EXPECT_EQ(text.substr(0, text.find('\n')), train ? mnistlr::kCurvesHeaderTrain : mnistlr::kCurvesHeader);
        EXPECT_NE(text.find("\n1000000,1e-05,1,0.27,0.9203"), std::string::npos) << text;  // steps stay whole
        const auto back = mnistlr::parse_curves_csv(text, "c.csv");
        ASSERT_EQ(back.rows(), 3u);
        EXPECT_EQ(back.has_train, train);
        EXPECT_EQ(back.step, c.step);
        EXPECT_EQ(back.test_accuracy, c.test_accuracy);
        EXPECT_NEAR(back.batch_loss[1], 0.3114, 1e-6);
        if (train) {
            EXPECT_EQ(back.train_accuracy, c.train_accuracy);
        }
        EXPECT_EQ(mnistlr::curves_csv(back), text);  // written again: the same bytes
    }
}
