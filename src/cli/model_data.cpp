#include "cli/model_data.hpp"

#include <cstdio>

#include "cli/data_dirs.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/model_files/model_info.hpp"

namespace mnistlr::cli {

LoadedData load_model_data(const WeightsFile& wf, const ModelDataFlags& flags) {
    const TrainingRecord record = training_record(wf.info);
    DataRequest req;
    req.dataset = flags.dataset.empty() ? record.dataset : flags.dataset;
    if (req.dataset.empty() || req.dataset == "generic" || !find_dataset_kind(req.dataset)) req.dataset = "auto";
    if (!flags.transpose.empty()) {
        req.transpose = parse_transpose(flags.transpose);
    } else if (record.transposed) {
        req.transpose = *record.transposed ? Transpose::on : Transpose::off;
    }
    req.dir = flags.data.empty() ? find_data_dir(req.dataset) : flags.data;
    return load_data(req);
}

void warn_on_data_mismatch(const WeightsFile& wf, const LoadedData& loaded) {
    const std::string trained = training_record(wf.info).dataset;
    if (const std::string m = dataset_mismatch(trained, loaded); !m.empty())
        std::fprintf(stderr, "mnistlr: warning: the model was trained on %s, but %s\n",
                     dataset_display_name(trained).c_str(), printable(m).c_str());
}

}  // namespace mnistlr::cli
