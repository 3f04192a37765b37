// A tiny random BERT checkpoint written at test time (config.json, vocab.txt, model.safetensors), with a
// plain double-precision reference forward pass to test the engine against.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace attnscope::testing {

struct TinyTensor {
    std::vector<int64_t> shape;
    std::vector<float> data;
};

struct TinyModelSpec {
    int hidden = 32, layers = 2, heads = 4, intermediate = 48, vocab = 40, positions = 64, types = 2;
    std::string act = "gelu";
    unsigned seed = 1;
};

using TinyWeights = std::map<std::string, TinyTensor>;

// Random weights under BertModel's key names (no prefix, LayerNorm.weight/bias).
TinyWeights tiny_weights(const TinyModelSpec& spec);
// Writes the folder; `dtype` F32, F16 or BF16; `prefix` e.g. "bert."; `gamma_beta` renames LayerNorms;
// `shards` > 1 writes model-0000k-of-0000n.safetensors and an index.
void write_tiny_model(const std::filesystem::path& dir, const TinyModelSpec& spec, const TinyWeights& w,
                      const std::string& dtype = "F32", const std::string& prefix = "", bool gamma_beta = false,
                      int shards = 1);
void write_safetensors(const std::filesystem::path& path, const TinyWeights& w, const std::string& dtype);

// Reference forward in double: attentions [L][H][n][n] and last hidden state [n][D].
struct ReferenceOutput {
    std::vector<double> attentions, last_hidden;
};
ReferenceOutput reference_forward(const TinyModelSpec& spec, const TinyWeights& w, const std::vector<int>& ids,
                                  const std::vector<int>& types, const std::vector<int>& mask);

// A fresh folder under the system temp dir, removed when the test program exits.
std::filesystem::path temp_dir(const std::string& name);

}  // namespace attnscope::testing
