// The one JSON schema every face emits — the CLI's --format json, the HTTP API, the offline HTML, Python's
// dicts — produced here and nowhere else (docs/formats.md documents each object). Every function returns
// one JSON object as UTF-8 text. Top-level documents carry "schema_version".
//
// Arrays: a float array field `x` is written as nested JSON arrays of shortest round-trip floats
// (Arrays::Nested, what the CLI writes) or as `x_b64`, the little-endian float32 values row-major in base64
// (Arrays::Base64, what the HTTP API sends); the shape is in the document's own size fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/ablation.h"
#include "attnscope/analysis.h"
#include "attnscope/corpus.h"
#include "attnscope/model.h"
#include "attnscope/model_analyses.h"
#include "attnscope/model_source.h"

namespace attnscope::schema {

// Bumped when a field changes meaning or is removed (adding a field does not bump it).
inline constexpr int kVersion = 1;

enum class Arrays { Nested, Base64 };

// {"name", "path", "resolved_by", "family", "layers", "heads", "hidden_size", "head_dim",
//  "intermediate_size", "vocab_size", "max_length", "has_mlm_head", "weight_storage", "parameters"}
// `with_path` false leaves out "path" (the local folder), for what leaves the machine (offline HTML, HTTP).
std::string model_info(const model::Model& model, const ModelLocation& where, bool with_path = true);

// {"tokens", "input_ids", "token_type_ids", "attention_mask", "offsets", "byte_offsets",
//  "special_tokens_mask", "sentence_b_start"}
std::string encoding(const tokenizer::Encoding& e);

// {"heads": [{"layer", "head", <every statistic key of stat_info>, "pattern",
//             "pattern_features": {"vertical", "diagonal", "block", "block_uniform"}, "map_colour"}],
//  "statistics": [{"key", "label", "unit"}], "uniform_entropy"}
std::string head_statistics(const analysis::HeadStatistics& stats,
                            const std::vector<analysis::PatternFeatures>& patterns);
std::string head_statistics(const analysis::InputStatistics& statistics);

// {"layers", "heads", "n", "heads": [{"layer", "head", "special_attention_share", "special_norm_share",
//  "spearman"}], "value_norms" [L][H][n]}
std::string head_norms(const analysis::AllHeadNorms& norms, Arrays arrays);

// {"heads": [{"layer", "head", "x", "y", "colour"}], "stress", "distances" [LH][LH] (when included)}
std::string head_map(const analysis::HeadMap& map, bool include_distances);

// {"layers", "n", "rollout" [L][n][n], "flow_layer" and "flow" [n][n] when a flow is given}
std::string rollout(const std::vector<float>& rollout, int layers, size_t n, const std::vector<float>* flow,
                    int flow_layer, Arrays arrays);

// {"change", "a": encoding, "b": encoding, "aligned_tokens", "heads": [{"layer", "head", "js_divergence"}]}
std::string counterfactual(const analysis::Counterfactual& diff, int heads_per_layer);

// {"ablation", "heads", "hidden_state_change" [n], "predictions" and "ablated_predictions" when the input
//  has a [MASK] and the checkpoint an MLM head: [{"position", "top": [{"token", "id", "probability"}]}]}
std::string ablation(const analysis::AblationResult& result);

// What one head's neuron view needs: {"tokens", "layer", "head", "head_dim", "n", "scale", "queries" [n][d],
//  "keys" [n][d], "scores" [n][n], "attention" [n][n]} from a trace captured with qkv and scores.
std::string neuron(const Trace& trace, const tokenizer::Encoding& e, int layer, int head, Arrays arrays);

// Corpus results: {"docs", "tokens", "uniform_entropy", "skipped_lines", "weighting", "heads": [{"layer",
//  "head", "document_weighted" and "token_weighted" {every statistic key}, "patterns" {label: count},
//  "pattern", "pattern_features" {"vertical", "diagonal", "block"}, "map_colour", "map_xy" (with a head map),
//  "importance" (when measured)}], "layers": [{"layer", "patterns"}], "head_map" {"docs", "stress",
//  "distance"}} — PREFIX.json's "results" (the mergeable state beside it: CorpusStats::to_json_text).
std::string corpus(const analysis::CorpusStats& stats);

// IEEE half-precision copies of float32 values (round to nearest even): the compact display encoding of the
// explorer's stream, half the bytes. Returns the largest absolute error of the rounding over these values.
double to_half(const float* data, size_t count, uint16_t* out);

// The model view's thumbnails of H heads' n × n maps: each max-pooled to size × size (size ≤ n), the key
// and query j going to pixel ⌊j · size / n⌋, as web/src/views/modelView.ts pools. out: [H][size][size].
void thumbnails(const float* heads, int num_heads, size_t n, size_t size, float* out);

// Base64 of little-endian float32 values: the encoding of Arrays::Base64.
std::string base64_floats(const float* data, size_t count);
// Base64 (RFC 4648, with padding) of any bytes.
std::string base64(const void* data, size_t bytes);

}  // namespace attnscope::schema
