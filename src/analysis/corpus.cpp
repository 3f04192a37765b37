#include "attnscope/corpus.h"

#include "analysis/corpus_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "attnscope/error.h"
#include "kernels/threads.h"
#include "util/files.h"

namespace attnscope::analysis {

namespace {
constexpr long double kScale = 281474976710656.0L;  // 2^48
constexpr int kFormat = 1;                          // version of the JSON state
}  // namespace

namespace {
// The two words as the 128-bit integer they are, and back (two's complement both ways).
__int128 to_int128(uint64_t lo, uint64_t hi) {
    return static_cast<__int128>((static_cast<unsigned __int128>(hi) << 64) | lo);
}
void from_int128(__int128 v, uint64_t& lo, uint64_t& hi) {
    const auto u = static_cast<unsigned __int128>(v);
    lo = static_cast<uint64_t>(u);
    hi = static_cast<uint64_t>(u >> 64);
}
}  // namespace

void ExactSum::add(double x) {
    if (!std::isfinite(x)) return;
    __int128 value = to_int128(lo_, hi_);
    // Fast path: x·2^48 is exact in double (a power-of-two scale) and fits int64 when |x| < 2^14.
    if (std::fabs(x) < 16384.0) {
        value += static_cast<__int128>(std::llround(x * 281474976710656.0));
    } else {
        // Integer part shifted into place, fractional part rounded to 2^-48: no overflow for |x| < 2^63.
        const long double whole = std::floor(static_cast<long double>(x));
        const long double frac = static_cast<long double>(x) - whole;
        value += static_cast<__int128>(static_cast<long long>(whole)) * (static_cast<__int128>(1) << 48) +
                 static_cast<__int128>(std::llroundl(frac * kScale));
    }
    from_int128(value, lo_, hi_);
}

void ExactSum::add(const ExactSum& other) {
    from_int128(to_int128(lo_, hi_) + to_int128(other.lo_, other.hi_), lo_, hi_);
}

double ExactSum::value() const {
    return static_cast<double>(static_cast<long double>(to_int128(lo_, hi_)) / kScale);
}

std::string ExactSum::to_string() const {
    __int128 v = to_int128(lo_, hi_);
    if (v == 0) return "0";
    bool negative = v < 0;
    std::string digits;
    while (v != 0) {
        int d = static_cast<int>(v % 10);
        digits.push_back(static_cast<char>('0' + (d < 0 ? -d : d)));
        v /= 10;
    }
    if (negative) digits.push_back('-');
    return std::string(digits.rbegin(), digits.rend());
}

ExactSum ExactSum::from_string(const std::string& s) {
    ExactSum out;
    size_t i = 0;
    bool negative = false;
    if (!s.empty() && s[0] == '-') {
        negative = true;
        i = 1;
    }
    if (i >= s.size()) throw Error("an empty number");
    // |value| < 2^126 leaves room to add; more digits than that is no sum this program wrote.
    constexpr __int128 kLimit = static_cast<__int128>(1) << 126;
    __int128 value = 0;
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') throw Error(fmt::format("'{}' is not an integer", s));
        if (value > (kLimit - (s[i] - '0')) / 10) throw Error(fmt::format("'{}' is out of range", s));
        value = value * 10 + (s[i] - '0');
    }
    from_int128(negative ? -value : value, out.lo_, out.hi_);
    return out;
}

CorpusStats::CorpusStats(std::string model_name, std::string fingerprint, int layers, int heads)
    : model_name_(std::move(model_name)), fingerprint_(std::move(fingerprint)), layers_(layers), heads_(heads) {
    // The head map is [LH][LH]: bound the shape before anything is sized by it.
    if (layers < 1 || heads < 1 || layers > kMaxCorpusHeads || heads > kMaxCorpusHeads ||
        layers * heads > kMaxCorpusHeads) {
        throw Error(fmt::format(
            "corpus statistics of {} layers × {} heads: expected 1 or more of each, at most {} heads in all", layers,
            heads, kMaxCorpusHeads));
    }
    const size_t lh = heads_total();
    doc_sum_.resize(lh * kNumStats);
    weighted_sum_.resize(lh * kNumStats);
    weight_.resize(kNumStats);
    pattern_counts_.assign(lh * kNumPatterns, 0);
    pattern_features_.resize(lh * 3);
    distance_.resize(lh * lh);
    importance_.resize(lh);
}

struct CorpusStats::InputResults {
    HeadStatistics stats;
    std::vector<PatternFeatures> patterns;
    std::vector<double> distances;  // empty when this input is not in the head map
};

CorpusStats::InputResults CorpusStats::analyse(const Trace& trace, const TokenClasses& tokens,
                                               const CorpusOptions& options, bool head_map) const {
    if (trace.num_layers != layers_ || trace.num_heads != heads_) throw Error("corpus: a trace of another model");
    InputResults r{head_statistics(trace, tokens), classify_heads(trace, tokens, options.patterns), {}};
    if (head_map) add_head_distances(trace, r.distances);
    return r;
}

void CorpusStats::accumulate(const InputResults& r, const TokenClasses& tokens, size_t seq_len) {
    double rows[kNumStats];
    for (int s = 0; s < kNumStats; ++s) {
        rows[s] = stat_rows(s, tokens);
        weight_[static_cast<size_t>(s)].add(rows[s]);
    }
    for (size_t h = 0; h < heads_total(); ++h) {
        for (int s = 0; s < kNumStats; ++s) {
            doc_sum_[h * kNumStats + static_cast<size_t>(s)].add(r.stats.values[h][static_cast<size_t>(s)]);
            weighted_sum_[h * kNumStats + static_cast<size_t>(s)].add(r.stats.values[h][static_cast<size_t>(s)] *
                                                                      rows[s]);
        }
        ++pattern_counts_[h * kNumPatterns + static_cast<size_t>(r.patterns[h].label)];
        pattern_features_[h * 3 + 0].add(r.patterns[h].vertical);
        pattern_features_[h * 3 + 1].add(r.patterns[h].diagonal);
        pattern_features_[h * 3 + 2].add(r.patterns[h].block);
    }
    if (!r.distances.empty()) {
        for (size_t i = 0; i < r.distances.size(); ++i) distance_[i].add(r.distances[i]);
        ++map_docs_;
    }
    ++docs_;
    tokens_ += seq_len;
    log_n_.add(std::log(static_cast<double>(seq_len)));
}

void CorpusStats::add_batch(const std::vector<Trace>& traces, const std::vector<TokenClasses>& tokens,
                            const CorpusOptions& options) {
    const size_t count = std::min(traces.size(), tokens.size());
    std::vector<InputResults> results(count);
    std::string error;
    // Nested regions inside the analyses run on one thread here (OpenMP's default of one active level).
    if (options.threads < 0 || options.threads > kMaxThreads) {
        throw Error(fmt::format("threads {}: expected 0 (one per core) to {}", options.threads, kMaxThreads));
    }
    const int threads = options.threads > 0 ? options.threads : kernels::default_threads();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (long s = 0; s < static_cast<long>(count); ++s) {
        const auto i = static_cast<size_t>(s);
        try {
            results[i] =
                analyse(traces[i], tokens[i], options, options.head_map && map_docs_ + i < options.head_map_docs);
        } catch (const std::exception& e) {  // an exception must not leave an OpenMP region
#pragma omp critical(corpus_error)
            error = e.what();
        }
    }
    if (!error.empty()) throw Error(error);
    for (size_t i = 0; i < count; ++i) accumulate(results[i], tokens[i], traces[i].seq_len);
}

void CorpusStats::add_importance(const std::vector<double>& per_head_sum, uint64_t tokens) {
    for (size_t h = 0; h < heads_total() && h < per_head_sum.size(); ++h) importance_[h].add(per_head_sum[h]);
    importance_tokens_ += tokens;
}

namespace {

// A source "NAME:FIRST-LAST" (LAST may be "end"); false for any other form.
struct SourceRange {
    std::string name;
    uint64_t first = 0, last = 0;
};
bool parse_source(const std::string& s, SourceRange& out) {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos) return false;
    const auto dash = s.find('-', colon + 1);
    if (dash == std::string::npos) return false;
    auto number = [](const std::string& t, uint64_t& v) {
        if (t.empty() || t.size() > 19 || t.find_first_not_of("0123456789") != std::string::npos) return false;
        v = std::stoull(t);
        return true;
    };
    out.name = s.substr(0, colon);
    const std::string last = s.substr(dash + 1);
    if (!number(s.substr(colon + 1, dash - colon - 1), out.first)) return false;
    if (last == "end")
        out.last = UINT64_MAX;
    else if (!number(last, out.last))
        return false;
    return out.first <= out.last;
}

// Two sources that share lines: the same file's ranges intersect (or, unparsed, the same text).
bool overlap(const std::string& a, const std::string& b) {
    SourceRange ra, rb;
    if (!parse_source(a, ra) || !parse_source(b, rb)) return a == b;
    return ra.name == rb.name && ra.first <= rb.last && rb.first <= ra.last;
}

}  // namespace

void CorpusStats::merge(const CorpusStats& o) {
    if (o.fingerprint_ != fingerprint_) {
        throw Error(fmt::format("cannot merge statistics of different models ({} vs {})", model_name_, o.model_name_));
    }
    // A matching fingerprint is a claim of the file; the arrays' shapes are what the sums below index.
    if (o.layers_ != layers_ || o.heads_ != heads_ || o.doc_sum_.size() != doc_sum_.size() ||
        o.distance_.size() != distance_.size() || o.pattern_counts_.size() != pattern_counts_.size() ||
        o.importance_.size() != importance_.size() || o.weight_.size() != weight_.size() ||
        o.weighted_sum_.size() != weighted_sum_.size() || o.pattern_features_.size() != pattern_features_.size()) {
        throw Error(fmt::format("cannot merge statistics of {} layers × {} heads with {} × {}", layers_, heads_,
                                o.layers_, o.heads_));
    }
    // The same lines twice would count twice and read as a bigger corpus.
    for (const auto& a : sources) {
        for (const auto& b : o.sources) {
            if (overlap(a, b)) {
                throw Error(fmt::format("cannot merge: {} and {} cover the same lines, which would count twice", a, b));
            }
        }
    }
    auto add_all = [](std::vector<ExactSum>& a, const std::vector<ExactSum>& b) {
        for (size_t i = 0; i < a.size(); ++i) a[i].add(b[i]);
    };
    add_all(doc_sum_, o.doc_sum_);
    add_all(weighted_sum_, o.weighted_sum_);
    add_all(weight_, o.weight_);
    add_all(pattern_features_, o.pattern_features_);
    add_all(distance_, o.distance_);
    add_all(importance_, o.importance_);
    for (size_t i = 0; i < pattern_counts_.size(); ++i) pattern_counts_[i] += o.pattern_counts_[i];
    docs_ += o.docs_;
    tokens_ += o.tokens_;
    map_docs_ += o.map_docs_;
    importance_tokens_ += o.importance_tokens_;
    log_n_.add(o.log_n_);
    skipped.insert(skipped.end(), o.skipped.begin(), o.skipped.end());
    sources.insert(sources.end(), o.sources.begin(), o.sources.end());
    lines_done += o.lines_done;
}

double CorpusStats::document_weighted(int head, int stat) const {
    return docs_ ? doc_sum_[static_cast<size_t>(head) * kNumStats + static_cast<size_t>(stat)].value() /
                       static_cast<double>(docs_)
                 : 0;
}

double CorpusStats::token_weighted(int head, int stat) const {
    const double w = weight_[static_cast<size_t>(stat)].value();
    return w > 0 ? weighted_sum_[static_cast<size_t>(head) * kNumStats + static_cast<size_t>(stat)].value() / w : 0;
}

double CorpusStats::uniform_entropy() const {
    return docs_ ? log_n_.value() / static_cast<double>(docs_) : 0;
}

uint64_t CorpusStats::pattern_count(int head, Pattern p) const {
    return pattern_counts_[static_cast<size_t>(head) * kNumPatterns + static_cast<size_t>(p)];
}

Pattern CorpusStats::majority_pattern(int head) const {
    int best = static_cast<int>(Pattern::Heterogeneous);
    uint64_t count = 0;
    for (int p = 0; p < kNumPatterns; ++p) {
        if (pattern_count(head, static_cast<Pattern>(p)) > count) {
            count = pattern_count(head, static_cast<Pattern>(p));
            best = p;
        }
    }
    return static_cast<Pattern>(best);
}

double CorpusStats::pattern_feature(int head, int feature) const {
    return docs_ ? pattern_features_[static_cast<size_t>(head) * 3 + static_cast<size_t>(feature)].value() /
                       static_cast<double>(docs_)
                 : 0;
}

std::vector<double> CorpusStats::head_distances() const {
    std::vector<double> out(distance_.size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = distance_[i].value();
    return out;
}

double CorpusStats::importance(int head) const {
    return importance_tokens_ ? importance_[static_cast<size_t>(head)].value() / static_cast<double>(importance_tokens_)
                              : 0;
}

std::string CorpusStats::to_json_text() const {
    return CorpusStatsJson::to_json(*this).dump();
}

CorpusStats CorpusStats::from_json_text(std::string_view text, const std::string& source) {
    const nlohmann::json j = util::parse_json(std::string(text), source);
    return CorpusStatsJson::from_json(j.is_object() && j.contains("state") ? j["state"] : j, source);
}

nlohmann::json CorpusStatsJson::to_json(const CorpusStats& c) {
    using nlohmann::json;
    auto sums = [](const std::vector<ExactSum>& v) {
        json a = json::array();
        for (const auto& s : v) a.push_back(s.to_string());
        return a;
    };
    json j;
    j["format"] = "attnscope-corpus-state";
    j["version"] = kFormat;
    j["model"] = c.model_name_;
    j["fingerprint"] = c.fingerprint_;
    j["layers"] = c.layers_;
    j["heads"] = c.heads_;
    j["docs"] = c.docs_;
    j["tokens"] = c.tokens_;
    j["head_map_docs"] = c.map_docs_;
    j["importance_tokens"] = c.importance_tokens_;
    j["lines_done"] = c.lines_done;
    j["sources"] = c.sources;
    j["skipped"] = json::array();
    for (const auto& s : c.skipped) j["skipped"].push_back({{"line", s.line}, {"error", s.error}});
    j["stats"] = json::array();
    for (int s = 0; s < kNumStats; ++s) j["stats"].push_back(stat_info(s).key);
    j["sums"] = {{"log_n", c.log_n_.to_string()},
                 {"document", sums(c.doc_sum_)},
                 {"weighted", sums(c.weighted_sum_)},
                 {"weight", sums(c.weight_)},
                 {"pattern_features", sums(c.pattern_features_)},
                 {"head_distance", sums(c.distance_)},
                 {"importance", sums(c.importance_)}};
    j["pattern_counts"] = c.pattern_counts_;
    return j;
}

// The counts a resume and a report rely on, as one run or a merge of runs leaves them: every line consumed
// was either analysed or skipped; the head map and importance cover at most the inputs analysed.
void CorpusStats::check_counts(const std::string& source) const {
    if (docs_ + skipped.size() != lines_done) {
        throw Error(fmt::format("{}: inconsistent corpus state: {} lines done, but {} analysed and {} skipped", source,
                                lines_done, docs_, skipped.size()));
    }
    if (map_docs_ > docs_)
        throw Error(fmt::format("{}: inconsistent corpus state: head_map_docs {} > docs {}", source, map_docs_, docs_));
    if (tokens_ < docs_)
        throw Error(fmt::format("{}: inconsistent corpus state: {} tokens for {} inputs", source, tokens_, docs_));
    for (size_t h = 0; h < heads_total(); ++h) {
        uint64_t n = 0;
        for (int p = 0; p < kNumPatterns; ++p) n += pattern_counts_[h * kNumPatterns + static_cast<size_t>(p)];
        if (n != docs_)
            throw Error(fmt::format("{}: inconsistent corpus state: head {} has {} pattern labels for {} inputs",
                                    source, h, n, docs_));
    }
    if (sources.empty()) throw Error(fmt::format("{}: inconsistent corpus state: no sources", source));
}

CorpusStats CorpusStatsJson::from_json(const nlohmann::json& j, const std::string& source) {
    try {
        if (!j.is_object() || j.value("format", "") != "attnscope-corpus-state") {
            throw Error(
                fmt::format("{}: not an attnscope corpus state (no \"format\": \"attnscope-corpus-state\")", source));
        }
        if (j.at("version").get<int>() != kFormat) throw Error(fmt::format("{}: unsupported state version", source));
        // get<int64_t>: get<int> would keep the low 32 bits of 2^32 + 1.
        const int64_t layers = j.at("layers").get<int64_t>(), heads = j.at("heads").get<int64_t>();
        if (layers < 1 || heads < 1 || layers > kMaxCorpusHeads || heads > kMaxCorpusHeads ||
            layers * heads > kMaxCorpusHeads) {
            throw Error(fmt::format("{}: layers {} and heads {}: expected 1 or more of each, at most {} heads in all",
                                    source, layers, heads, kMaxCorpusHeads));
        }
        // The arrays must be in the file before their size is allocated (found by fuzz_corpus_state).
        const uint64_t lh = static_cast<uint64_t>(layers * heads);
        if (j.at("pattern_counts").size() != lh * kNumPatterns || j.at("sums").at("head_distance").size() != lh * lh) {
            throw Error(fmt::format("{}: the arrays do not match {} layers × {} heads", source, layers, heads));
        }
        CorpusStats c(j.at("model").get<std::string>(), j.at("fingerprint").get<std::string>(),
                      static_cast<int>(layers), static_cast<int>(heads));
        if (std::vector<std::string>(j.at("stats").begin(), j.at("stats").end()).size() != kNumStats) {
            throw Error(fmt::format("{}: written by a version with other statistics", source));
        }
        c.docs_ = j.at("docs").get<uint64_t>();
        c.tokens_ = j.at("tokens").get<uint64_t>();
        c.map_docs_ = j.at("head_map_docs").get<uint64_t>();
        c.importance_tokens_ = j.at("importance_tokens").get<uint64_t>();
        c.lines_done = j.at("lines_done").get<uint64_t>();
        c.sources = j.at("sources").get<std::vector<std::string>>();
        for (const auto& s : j.at("skipped"))
            c.skipped.push_back({s.at("line").get<uint64_t>(), s.at("error").get<std::string>()});
        const auto& sums = j.at("sums");
        auto parse_sum = [&](const std::string& text, const char* key) {
            try {
                return ExactSum::from_string(text);
            } catch (const Error& e) {
                throw Error(fmt::format("{}: malformed corpus state: '{}': {}", source, key, e.what()));
            }
        };
        auto read = [&](const char* key, std::vector<ExactSum>& into) {
            const auto& a = sums.at(key);
            if (a.size() != into.size())
                throw Error(fmt::format("{}: '{}' has {} entries, expected {}", source, key, a.size(), into.size()));
            for (size_t i = 0; i < into.size(); ++i) into[i] = parse_sum(a[i].get<std::string>(), key);
        };
        c.log_n_ = parse_sum(sums.at("log_n").get<std::string>(), "log_n");
        read("document", c.doc_sum_);
        read("weighted", c.weighted_sum_);
        read("weight", c.weight_);
        read("pattern_features", c.pattern_features_);
        read("head_distance", c.distance_);
        read("importance", c.importance_);
        c.pattern_counts_ = j.at("pattern_counts").get<std::vector<uint64_t>>();
        if (c.pattern_counts_.size() != c.heads_total() * kNumPatterns)
            throw Error(fmt::format("{}: pattern_counts has the wrong size", source));
        c.check_counts(source);
        return c;
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("{}: malformed corpus state: {}", source, e.what()));
    }
}

}  // namespace attnscope::analysis
