// Class names and the training record (model_info.hpp): the record's JSON round trip, the exact
// keys train writes, and lenient reading of files from elsewhere.
#include <gtest/gtest.h>

#include "mnistlr/model_files/model_info.hpp"

using mnistlr::ModelInfo;
using mnistlr::TrainingRecord;

TEST(ModelInfo, class_name_falls_back_to_the_index) {
    ModelInfo info;
    EXPECT_EQ(mnistlr::class_name(info, 3), "3");
    info.class_names = {"zero", "", "two"};
    EXPECT_EQ(mnistlr::class_name(info, 0), "zero");
    EXPECT_EQ(mnistlr::class_name(info, 1), "1");  // an empty name means "by index"
    EXPECT_EQ(mnistlr::class_name(info, 7), "7");
}

TEST(ModelInfo, training_record_round_trips_with_the_documented_keys) {
    TrainingRecord r;
    r.lr = 0.5f;
    r.batch = 64;
    r.steps = 1000;
    r.seed = 7;
    r.l2 = 1e-5f;
    r.schedule = "cosine";
    r.momentum = 0.9f;
    r.nesterov = true;
    r.average = 0.25;
    r.optimizer = "adam";
    r.smooth = 1e-4f;
    r.validation = 5000;
    r.recipe = "best";
    r.dataset = "fashion";
    r.transposed = false;
    r.train_count = 55000;
    r.test_accuracy = 0.9172;
    r.test_loss = 0.3;
    r.test_count = 10000;
    r.validation_accuracy = 0.93;
    r.validation_loss = 0.25;
    ModelInfo info;
    mnistlr::store_training_record(r, info);
    EXPECT_EQ(info.settings.dump(),
              R"({"average":0.25,"batch":64,"dataset":"fashion","l2":9.999999747378752e-06,"lr":0.5,"momentum":)"
              R"(0.8999999761581421,"nesterov":true,"optimizer":"adam","recipe":"best","schedule":"cosine","seed":7,)"
              R"("smooth":9.999999747378752e-05,"steps":1000,"train_count":55000,"transposed":false,"validation":5000})");
    EXPECT_EQ(info.metrics.dump(), R"({"test_accuracy":0.9172,"test_count":10000,"test_loss":0.3,)"
                                   R"("validation_accuracy":0.93,"validation_loss":0.25})");
    const TrainingRecord back = mnistlr::training_record(info);
    EXPECT_EQ(back.lr, r.lr);
    EXPECT_EQ(back.l2, r.l2);
    EXPECT_EQ(back.momentum, r.momentum);
    EXPECT_EQ(back.smooth, r.smooth);
    EXPECT_EQ(back.batch, r.batch);
    EXPECT_EQ(back.seed, r.seed);
    EXPECT_TRUE(back.nesterov);
    EXPECT_EQ(back.schedule, "cosine");
    EXPECT_EQ(back.recipe, "best");
    EXPECT_EQ(back.dataset, "fashion");
    EXPECT_EQ(back.transposed, std::optional<bool>(false));
    EXPECT_EQ(back.test_accuracy, r.test_accuracy);
    EXPECT_EQ(back.validation_loss, r.validation_loss);
    EXPECT_EQ(back.test_count, 10000u);
    // Stored again: the same JSON.
    ModelInfo again;
    mnistlr::store_training_record(back, again);
    EXPECT_EQ(again.settings, info.settings);
    EXPECT_EQ(again.metrics, info.metrics);
}

TEST(ModelInfo, an_interrupted_unscored_record_has_no_metrics) {
    TrainingRecord r;
    r.interrupted = true;
    ModelInfo info;
    mnistlr::store_training_record(r, info);
    EXPECT_EQ(info.settings.at("interrupted"), true);
    EXPECT_TRUE(info.metrics.empty());
    EXPECT_FALSE(info.settings.contains("transposed"));  // unknown stays unknown
    EXPECT_TRUE(mnistlr::training_record(info).interrupted);
}

TEST(ModelInfo, reading_is_lenient_with_missing_and_mistyped_keys) {
    ModelInfo info;
    info.settings = {{"lr", "fast"}, {"batch", -3}, {"seed", 1e20}, {"dataset", 5}, {"transposed", "yes"},
                     {"steps", 12}};
    info.metrics = {{"test_accuracy", "high"}};
    const TrainingRecord r = mnistlr::training_record(info);
    EXPECT_EQ(r.lr, 0.0f);
    EXPECT_EQ(r.batch, 0u);
    EXPECT_EQ(r.seed, 0u);
    EXPECT_EQ(r.dataset, "");
    EXPECT_FALSE(r.transposed);
    EXPECT_EQ(r.steps, 12u);
    EXPECT_FALSE(r.test_accuracy);
    ModelInfo not_objects;
    not_objects.settings = nlohmann::json::array();
    not_objects.metrics = 3;
    EXPECT_EQ(mnistlr::training_record(not_objects).recipe, "custom");
}
