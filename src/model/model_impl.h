#pragma once

#include "attnscope/model.h"
#include "model/bert_weights.h"

namespace attnscope::model {

struct Model::Impl {
    BertConfig config;
    ModelInfo info;
    tokenizer::Tokenizer tokenizer;
    BertWeights weights;
};

}  // namespace attnscope::model
