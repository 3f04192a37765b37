// Per-head analyses: pure functions of a Trace and the tokens (plus the model's weights where a metric
// needs them). Faces — CLI, server, browser — never compute these themselves. Every definition, with its
// source, is in docs/analyses.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/tokenizer.h"
#include "attnscope/trace.h"

namespace attnscope::analysis {

// ---- token classes ---------------------------------------------------------------------------------

// Which positions are [CLS], [SEP] (S = both), "." or "," (P), and which segment each token is in.
struct TokenClasses {
    size_t n = 0;
    std::vector<uint8_t> cls, sep, punct, special;  // special = cls or sep
    std::vector<int8_t> segment;                    // token type id (0 = A, 1 = B)
    size_t num_sep() const;
    size_t num_special() const;
    bool has_pair() const;

    static TokenClasses from_encoding(const tokenizer::Encoding& e, const std::string& cls_token = "[CLS]",
                                      const std::string& sep_token = "[SEP]");
};

// ---- the CLI overview ------------------------------------------------------------------------------

struct HeadSummary {
    double entropy = 0;        // mean over query rows of -Σ_j A_ij ln A_ij (nats, 0 ln 0 = 0)
    size_t top_key = 0;        // key position with the largest mean received attention (column mean)
    double top_key_share = 0;  // that column mean
};
std::vector<HeadSummary> summarize_heads(const Trace& trace);  // [L][H], layer-major
double row_entropy(const float* row, size_t n);                // nats, 0 ln 0 = 0

// ---- per-head statistics (Clark et al. 2019 and successors) -----------------------------------------

enum Stat : int {
    kToCls,       // mean over rows of the attention on [CLS]
    kToSep,       // ... on [SEP]
    kToPunct,     // ... on "." and ","
    kToSelf,      // mean_i A_ii
    kToNext,      // (1/n) Σ_{i<n-1} A_{i,i+1}
    kToPrev,      // (1/n) Σ_{i>0} A_{i,i-1}
    kSepToSep,    // (1/|SEP|) Σ_{i∈SEP} Σ_{j∈SEP} A_ij
    kOtherToSep,  // 1/(n-|SEP|) Σ_{i∉SEP} Σ_{j∈SEP} A_ij
    kEntropy,     // Clark: rows smoothed 0.9999·A + 0.0001/n, mean row entropy (nats)
    kEntropyRaw,  // the bertology script's: no smoothing, 0 ln 0 = 0 (nats)
    kClsEntropy,  // the same for the [CLS] row only
    kConfidence,  // Voita: mean over non-special rows of max_j A_ij
    kDistance,    // mean_i Σ_j A_ij |i - j| (tokens)
    kTopPSpan,    // mean_i of the fewest keys holding 90% of the row's mass
    kSinkMass,    // mean over rows of the mass on [CLS], [SEP], "." and "," (attention sinks)
    kNumStats
};

struct StatInfo {
    const char* key;    // JSON / CSV column name
    const char* label;  // short human label
    const char* unit;
};
const StatInfo& stat_info(int stat);
// How many rows a per-input value averages over: n for row means, |SEP| for kSepToSep, n − |SEP| for
// kOtherToSep, the non-special rows for kConfidence, 1 for kClsEntropy. Token-weighted corpus means
// weight each input by it.
double stat_rows(int stat, const TokenClasses& tokens);

// Per-input values of every statistic, [L·H][kNumStats]. Rows of special tokens are included (Clark).
struct HeadStatistics {
    int num_layers = 0, num_heads = 0;
    std::vector<std::array<double, kNumStats>> values;
    double uniform_entropy = 0;  // ln n: the entropy of uniform attention, the baseline for kEntropy
    const std::array<double, kNumStats>& at(int layer, int head) const { return values[layer * num_heads + head]; }
};
// `threads`: 0 = one per core (every analysis taking it splits its heads over that many threads).
HeadStatistics head_statistics(const Trace& trace, const TokenClasses& tokens, int threads = 0);

// ---- pattern types (Kovaleva et al. 2019), a deterministic rule ------------------------------------

enum class Pattern : int { Vertical, Diagonal, VerticalDiagonal, Block, Heterogeneous };
inline constexpr int kNumPatterns = 5;
const char* pattern_name(Pattern p);

struct PatternThresholds {
    double vertical = 0.6, vertical_max_diagonal = 0.2;  // (1) V ≥ 0.6 and Dg < 0.2
    double diagonal = 0.5, diagonal_max_vertical = 0.3;  // (2) Dg ≥ 0.5 and V < 0.3
    double mixed_each = 0.2, mixed_sum = 0.6;            // (3) V ≥ 0.2, Dg ≥ 0.2, V + Dg ≥ 0.6
    double block = 0.85, block_over_uniform = 0.25;      // (4) Bk ≥ 0.85 and Bk - r0 ≥ 0.25
    int band = 1;                                        // w: |i - j| ≤ w is the diagonal band
};

struct PatternFeatures {
    double vertical = 0, diagonal = 0, block = 0, block_uniform = 0;  // V, Dg, Bk, r0
    Pattern label = Pattern::Heterogeneous;
};
PatternFeatures classify_pattern(const float* a, size_t n, const TokenClasses& tokens, const PatternThresholds& t = {});
std::vector<PatternFeatures> classify_heads(const Trace& trace, const TokenClasses& tokens,
                                            const PatternThresholds& t = {}, int threads = 0);

// ---- head similarity (Clark et al. 2019 §6) ----------------------------------------------------------

// Adds Σ_i JS(Ã^a_i, Ã^b_i) for every pair of heads (Ã = 0.999·A + 0.001/n, natural log) to `distance`
// ([LH][LH], symmetric). Summed, not averaged, over rows and documents — Clark's definition.
void add_head_distances(const Trace& trace, std::vector<double>& distance, int threads = 0);

// Metric MDS by SMACOF on a dissimilarity matrix ([m][m]), the best of `inits` seeded starts:
// 2-D coordinates [m][2] and the final stress.
std::vector<double> metric_mds(const std::vector<double>& dissimilarity, size_t m, double* stress = nullptr,
                               int inits = 5, int max_iter = 1000, double eps = 1e-10, unsigned seed = 0);

// Clark's colouring of the head map, in the paper's order (later rules win).
std::string head_map_colour(const std::array<double, kNumStats>& stats);

// ---- attention rollout and flow (Abnar & Zuidema 2020) ----------------------------------------------

// Â_l = (Ā_l + I) / rowsum, Ā_l the mean over heads; R_1 = Â_1, R_l = Â_l · R_{l-1}.  [L][n][n]
std::vector<float> attention_rollout(const Trace& trace);
// Max-flow from every node of `layer` (1-based: 1 = the first layer's output, L = the last) to every
// input token through the layered graph with capacities Â; rows normalised. [n][n]. Refuses
// n > kMaxFlowTokens with a clear Error.
inline constexpr size_t kMaxFlowTokens = 64;
std::vector<float> attention_flow(const Trace& trace, int layer);

// ---- norm-based attention (Kobayashi et al. 2020) ------------------------------------------------------

struct HeadNorms {
    std::vector<float> value_norms;      // [n]  ‖f(x_j)‖ = ‖(x_j W_V^h + b_V^h) W_O^h‖
    double special_attention_share = 0;  // mean_i Σ_{j∈S} α_ij
    double special_norm_share = 0;       // mean_i Σ_{j∈S} α_ij‖f_j‖ / Σ_j α_ij‖f_j‖
    double spearman = 0;                 // Spearman(column mean of α, ‖f(x_j)‖)
};
// values: the head's value vectors (capture.qkv), [n][d]; output_projection: W_O^h as [d][D].
HeadNorms head_norms(const float* attention, const float* values, size_t n, size_t d, const float* output_projection,
                     size_t hidden, const TokenClasses& tokens);

// ---- counterfactual diff -----------------------------------------------------------------------------

// Token alignment of two encodings (longest common subsequence of the token strings): pairs (i_a, i_b).
std::vector<std::pair<size_t, size_t>> align_tokens(const std::vector<std::string>& a,
                                                    const std::vector<std::string>& b);

// Per head: mean over aligned query pairs of JS(P_a row, P_b row), both restricted to the aligned keys
// and renormalised. [L·H]
std::vector<double> head_change(const Trace& a, const Trace& b,
                                const std::vector<std::pair<size_t, size_t>>& alignment);

// ---- vector math shared by the analyses -------------------------------------------------------------

double js_divergence(const float* p, const float* q, size_t n);  // nats, 0 ln 0 = 0

}  // namespace attnscope::analysis
