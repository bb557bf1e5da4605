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

}  // namespace mnistlr::cli
