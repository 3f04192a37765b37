// A BERT-family encoder loaded from a Hugging Face model folder, and its exact fp32 forward pass
// (identical in meaning to eager `BertModel(..., output_attentions=True)` in eval mode).
//
// A loaded Model is immutable and shared: any number of threads may call forward() on one Model at once,
// each with its own thread count (ForwardOptions::threads); nothing process-wide changes.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/tokenizer.h"
#include "attnscope/trace.h"
#include "attnscope/types.h"
#include "attnscope/workspace.h"

namespace attnscope::model {

using attnscope::Activation;
using attnscope::weight_storage_name;
using attnscope::WeightStorage;

// The encoder families attnscope runs: BERT's encoder with different embeddings and key names.
//   bert        BERT base/large, cased/uncased/multilingual/Chinese, MiniLM, ...
//   electra     ELECTRA discriminators: embeddings of embedding_size, projected to hidden_size when smaller
//   distilbert  DistilBERT: no token types, its own key names (q_lin, sa_layer_norm, ffn.lin1, ...)
//   roberta     RoBERTa: positions counted from padding_idx + 1, a byte-level BPE tokenizer
enum class Family { Bert, Electra, DistilBert, Roberta };
const char* family_name(Family f);

struct BertConfig {
    std::string model_type = "bert";
    Family family = Family::Bert;
    int embedding_size = 768;  // ELECTRA's embedding width; hidden_size for the others
    std::vector<std::string> architectures;
    int vocab_size = 30522;
    int hidden_size = 768;
    int num_hidden_layers = 12;
    int num_attention_heads = 12;
    int intermediate_size = 3072;
    int max_position_embeddings = 512;
    int type_vocab_size = 2;  // 0: no token-type embeddings (DistilBERT)
    int pad_token_id = 0;
    float layer_norm_eps = 1e-12f;
    std::string hidden_act = "gelu";
    Activation activation = Activation::GeluErf;
    std::string position_embedding_type = "absolute";

    int head_dim() const { return hidden_size / num_attention_heads; }
    // The longest input the position table allows (RoBERTa's positions start at padding_idx + 1).
    size_t max_tokens() const {
        const int offset = family == Family::Roberta ? pad_token_id + 1 : 0;
        return static_cast<size_t>(max_position_embeddings - offset);
    }
    // Parses and validates config.json; errors name the file and the field.
    static BertConfig from_file(const std::filesystem::path& path);
    static BertConfig from_json_text(const std::string& text, const std::string& source);
};

struct ModelInfo {
    std::filesystem::path directory;
    std::vector<std::filesystem::path> weight_files;
    std::string format;            // "safetensors", "safetensors (sharded)", "pytorch_model.bin (zip format)", ...
    std::string dtype;             // storage dtype of the matmul weights: F32, F16, BF16 (mixed: "mixed")
    std::string key_prefix;        // "bert.", "electra.", "distilbert.", "roberta." or ""
    std::string layer_norm_names;  // "weight/bias" or "gamma/beta"
    bool has_mlm_head = false;     // cls.predictions.* present
    size_t parameter_count = 0;    // encoder + embeddings + pooler (what BertModel counts)
    size_t zero_copy_bytes = 0;    // weights used straight from the memory map
    size_t converted_bytes = 0;    // weights converted to fp32 in memory (F16/BF16)
    size_t packed_bytes = 0;       // encoder matmul weights repacked for the GEMM kernel at load
    std::string weight_storage = "fp32";  // how the packed weights are stored (fp32 unless a fast mode)
    double pack_ms = 0;                   // time spent packing
};

WeightStorage parse_weight_storage(const std::string& name);  // "fp32", "fp16", "bf16", "int8"

struct LoadOptions {
    WeightStorage weights = WeightStorage::F32;
    int threads = 0;  // for packing the weights; 0 = one per core
};

class Model {
  public:
    ~Model();
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    // Loads config.json, the tokenizer files and model.safetensors (or a sharded index) from a folder.
    static std::shared_ptr<const Model> load(const std::filesystem::path& directory, const LoadOptions& options = {});

    const BertConfig& config() const;
    const ModelInfo& info() const;
    const tokenizer::Tokenizer& tokenizer() const;

    // One sequence. Throws Error if the encoding does not fit the model (length, ids, type ids) or the
    // options are invalid (threads outside 0..kMaxThreads, a head mask of the wrong size).
    Trace forward(const tokenizer::Encoding& encoding, const ForwardOptions& options = {},
                  const LayerObserver& observer = {}) const;
    // Several sequences of any lengths in one pass: tokens are packed (no padding), each sequence
    // attends only to itself. The result is the same as calling forward() on each.
    std::vector<Trace> forward_batch(const std::vector<tokenizer::Encoding>& encodings,
                                     const ForwardOptions& options = {}, const LayerObserver& observer = {}) const;
    // The same, writing into `traces` and reusing their buffers when the sizes allow. With the activations
    // in a reused Workspace (ForwardOptions::workspace, or one the model keeps for its callers), a second
    // call of the same or a smaller shape allocates nothing.
    void forward_batch_into(const std::vector<tokenizer::Encoding>& encodings, std::vector<Trace>& traces,
                            const ForwardOptions& options = {}, const LayerObserver& observer = {}) const;

    // W_O^h: the rows of the attention output projection's transpose that head h feeds, [d][D] — for
    // norm-based analyses (f(x) = v W_O^h). Read back from the stored (packed) weights.
    std::vector<float> output_projection(int layer, int head) const;

    // Masked-LM head (cls.predictions.*): logits [positions][vocab] for the given rows of the final hidden
    // states (all rows when `positions` is empty).
    bool has_mlm_head() const;
    std::vector<float> mlm_logits(const Trace& trace, const std::vector<size_t>& positions = {}, int threads = 0) const;

  private:
    struct Impl;
    explicit Model(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace attnscope::model
