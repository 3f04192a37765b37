// The weights of a BERT encoder as plain fp32 pointers: straight into the memory-mapped safetensors file
// for F32 tensors (zero copies), or into owned buffers for F16/BF16 tensors converted at load time.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "attnscope/model.h"
#include "io/safetensors.h"
#include "io/tensor_file.h"
#include "kernels/packed_gemm.h"

namespace attnscope::model {

struct LinearWeights {
    const float* weight = nullptr;  // [out][in]
    const float* bias = nullptr;    // [out]
    int out = 0, in = 0;
};

struct LayerNormWeights {
    const float* weight = nullptr;
    const float* bias = nullptr;
};

// A linear layer's weight packed for gemm_packed (B = Wᵀ in 16-column panels), with its bias.
struct PackedLinear {
    kernels::PackedWeights weights;
    std::vector<float> bias;  // [out]
    const kernels::PackedB& b() const { return weights.b; }
};

struct EncoderLayerWeights {
    LinearWeights query, key, value, attention_output;
    LayerNormWeights attention_norm;
    LinearWeights intermediate, output;
    LayerNormWeights output_norm;
    // Packed at load (pack_encoder_weights): Q, K and V as one [3D] output, then the other three.
    PackedLinear qkv, attention_output_packed, intermediate_packed, output_packed;
};

struct MlmHeadWeights {
    LinearWeights transform;  // cls.predictions.transform.dense
    LayerNormWeights transform_norm;
    const float* decoder_weight = nullptr;  // [vocab][hidden]; tied to the word embeddings when absent
    const float* decoder_bias = nullptr;    // [vocab]
};

struct BertWeights {
    const float* word_embeddings = nullptr;        // [vocab][D]
    const float* position_embeddings = nullptr;    // [max_pos][D]
    const float* token_type_embeddings = nullptr;  // [types][E]; absent for DistilBERT
    LayerNormWeights embedding_norm;               // over E (embedding_size; = D except ELECTRA-small)
    LinearWeights embedding_projection;            // ELECTRA with E < D: [D][E]; else absent
    PackedLinear embedding_projection_packed;
    std::vector<EncoderLayerWeights> layers;
    LinearWeights pooler;  // may be absent (weight == nullptr)
    bool has_mlm_head = false;
    MlmHeadWeights mlm;

    std::vector<std::unique_ptr<io::TensorFile>> files;
    std::vector<std::vector<float>> converted;  // owned fp32 copies of F16/BF16/F64 tensors
    // Where each fp32 pointer handed out came from (for releasing sources after packing).
    struct Source {
        const io::TensorView* view;
        const io::MappedFile* file;
        bool converted;
    };
    std::map<const float*, Source> sources;
};

// Packs every encoder matmul weight for gemm_packed, then releases the source pages of the memory map
// (and frees converted copies), so the weights are held once, in packed form. Fills info.packed_bytes.
void pack_encoder_weights(BertWeights& w, const BertConfig& config, ModelInfo& info, WeightStorage storage,
                          int threads);

// Loads model.safetensors or the shards named by model.safetensors.index.json from `dir` — or, when there
// is no safetensors file, pytorch_model.bin (or its shards), read without running code — resolving the
// key variants users have (with or without "bert.", LayerNorm gamma/beta or weight/bias), checking every
// shape against `config`. Fills the weight part of `info`.
BertWeights load_bert_weights(const std::filesystem::path& dir, const BertConfig& config, ModelInfo& info);

}  // namespace attnscope::model
