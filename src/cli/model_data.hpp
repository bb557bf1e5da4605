// The data a model is scored on (eval, explain --index): the data set and orientation it was trained
// with, as its training record says, unless the flags say otherwise; so that `mnistlr eval
// fashion.bin` finds data/fashion and EMNIST comes out upright.
#pragma once

#include <string>

#include "mnistlr/data/catalog.hpp"
#include "mnistlr/model_files/weights_io.hpp"

namespace mnistlr::cli {

struct ModelDataFlags {
    std::string data;       // --data; empty: find_data_dir() (data_dirs.hpp)
    std::string dataset;    // --dataset; empty: the one recorded in the weights file, else auto
    std::string transpose;  // --transpose; empty: as recorded in the weights file
};

LoadedData load_model_data(const WeightsFile& wf, const ModelDataFlags& flags);

// One line on stderr, "mnistlr: warning: the model was trained on MNIST, but DIR holds
// Fashion-MNIST (...)", when the files are recognised as another data set than the model's
// (catalog.hpp, dataset_mismatch); the output is otherwise unchanged.
void warn_on_data_mismatch(const WeightsFile& wf, const LoadedData& loaded);

}  // namespace mnistlr::cli
