// Corpus statistics: every per-head analysis accumulated over many inputs without keeping a single
// attention matrix, in sums that merge exactly — shards of a corpus run on different machines, in any
// order, merge to the same bits as one run over the whole corpus.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/analysis.h"

namespace attnscope::analysis {

struct CorpusStatsJson;

// A sum that is associative: fixed point with 2⁻⁴⁸ resolution in 128 bits. Floating-point sums depend on
// the order of the additions; these do not, which is what makes shard merges exact. The 128 bits are kept
// as two words (two's complement, low word first) so that this header needs no compiler extension.
class ExactSum {
  public:
    void add(double x);
    void add(const ExactSum& other);
    double value() const;
    std::string to_string() const;  // the integer in units of 2⁻⁴⁸, in decimal
    static ExactSum from_string(const std::string& s);
    bool operator==(const ExactSum& o) const { return lo_ == o.lo_ && hi_ == o.hi_; }

  private:
    uint64_t lo_ = 0, hi_ = 0;
};

// The largest layers × heads a corpus state may have (the head map is its square).
inline constexpr int kMaxCorpusHeads = 4096;

struct CorpusOptions {
    bool head_map = true;           // accumulate Clark's JS head distances ...
    uint64_t head_map_docs = 1000;  // ... over the first this-many inputs (Clark used 1,000 segments)
    PatternThresholds patterns;
    int threads = 0;  // the analyses' threads for add_batch (0 = one per core, at most kMaxThreads)
};

class CorpusStats {
  public:
    CorpusStats() = default;
    CorpusStats(std::string model_name, std::string model_fingerprint, int layers, int heads);

    // Adds a batch of inputs, in order: the analyses of different inputs run on different threads (one
    // input per thread is cheaper than splitting each small input's heads), then they are added one by one.
    void add_batch(const std::vector<Trace>& traces, const std::vector<TokenClasses>& tokens,
                   const CorpusOptions& options);
    // Single-head ablation importance of one input: per head, Σ over tokens of the relative change.
    void add_importance(const std::vector<double>& per_head_sum, uint64_t tokens);
    // Throws Error when the two were made with different models.
    void merge(const CorpusStats& other);

    // The state as JSON text (docs/formats.md, "Corpus state"), and back. from_json_text takes the state
    // object or a document holding it under "state" (PREFIX.json, a checkpoint); it validates the shapes
    // and the counts and throws Error naming `source` for anything else.
    std::string to_json_text() const;
    static CorpusStats from_json_text(std::string_view text, const std::string& source);

    // Results.
    uint64_t docs() const { return docs_; }
    uint64_t tokens() const { return tokens_; }
    int layers() const { return layers_; }
    int heads() const { return heads_; }
    const std::string& model_name() const { return model_name_; }
    const std::string& fingerprint() const { return fingerprint_; }
    double document_weighted(int head, int stat) const;  // mean over inputs of the per-input value (Clark)
    double token_weighted(int head, int stat) const;     // weighted by the rows each value averages (bertology)
    double uniform_entropy() const;                      // mean over inputs of ln n
    uint64_t pattern_count(int head, Pattern p) const;
    Pattern majority_pattern(int head) const;
    double pattern_feature(int head, int feature) const;  // 0 = V, 1 = Dg, 2 = Bk: document-weighted means
    uint64_t head_map_docs() const { return map_docs_; }
    std::vector<double> head_distances() const;  // [LH][LH], Σ over the mapped inputs (Clark's D)
    bool has_importance() const { return importance_tokens_ > 0; }
    double importance(int head) const;

    // Provenance and resumption: which inputs were read, which were skipped and why.
    struct Skipped {
        uint64_t line;
        std::string error;
    };
    std::vector<Skipped> skipped;
    std::vector<std::string> sources;  // "file:first-last" ranges that went in
    uint64_t lines_done = 0;           // input lines consumed (including skipped ones), for --resume

  private:
    friend struct CorpusStatsJson;  // the JSON form (src/analysis/corpus_json.h)
    struct InputResults;            // everything one input adds
    void check_counts(const std::string& source) const;
    InputResults analyse(const Trace& trace, const TokenClasses& tokens, const CorpusOptions& options,
                         bool head_map) const;
    void accumulate(const InputResults& r, const TokenClasses& tokens, size_t seq_len);
    size_t heads_total() const { return static_cast<size_t>(layers_ * heads_); }
    std::string model_name_, fingerprint_;
    int layers_ = 0, heads_ = 0;
    uint64_t docs_ = 0, tokens_ = 0, map_docs_ = 0, importance_tokens_ = 0;
    ExactSum log_n_;
    std::vector<ExactSum> doc_sum_, weighted_sum_, weight_;  // [LH][S], [LH][S], [S]
    std::vector<uint64_t> pattern_counts_;                   // [LH][kNumPatterns]
    std::vector<ExactSum> pattern_features_;                 // [LH][3]
    std::vector<ExactSum> distance_;                         // [LH][LH]
    std::vector<ExactSum> importance_;                       // [LH]
};

}  // namespace attnscope::analysis
