#include "tiny_model.h"

#include <unistd.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

namespace attnscope::testing {

namespace fs = std::filesystem;

TinyWeights tiny_weights(const TinyModelSpec& s) {
    std::mt19937 rng(s.seed);
    std::normal_distribution<float> n01(0.f, 1.f);
    TinyWeights w;
    auto add = [&](const std::string& name, std::vector<int64_t> shape, float scale, float mean = 0.f) {
        size_t count = 1;
        for (auto d : shape) count *= static_cast<size_t>(d);
        TinyTensor t{shape, std::vector<float>(count)};
        for (auto& v : t.data) v = mean + scale * n01(rng);
        w[name] = std::move(t);
    };
    const int64_t D = s.hidden, I = s.intermediate;
    add("embeddings.word_embeddings.weight", {s.vocab, D}, 0.5f);
    add("embeddings.position_embeddings.weight", {s.positions, D}, 0.2f);
    add("embeddings.token_type_embeddings.weight", {s.types, D}, 0.2f);
    add("embeddings.LayerNorm.weight", {D}, 0.1f, 1.f);
    add("embeddings.LayerNorm.bias", {D}, 0.1f);
    for (int l = 0; l < s.layers; ++l) {
        const std::string p = "encoder.layer." + std::to_string(l) + ".";
        for (const char* m :
             {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
            add(p + m + ".weight", {D, D}, 0.3f);
            add(p + m + ".bias", {D}, 0.05f);
        }
        add(p + "attention.output.LayerNorm.weight", {D}, 0.1f, 1.f);
        add(p + "attention.output.LayerNorm.bias", {D}, 0.1f);
        add(p + "intermediate.dense.weight", {I, D}, 0.2f);
        add(p + "intermediate.dense.bias", {I}, 0.05f);
        add(p + "output.dense.weight", {D, I}, 0.2f);
        add(p + "output.dense.bias", {D}, 0.05f);
        add(p + "output.LayerNorm.weight", {D}, 0.1f, 1.f);
        add(p + "output.LayerNorm.bias", {D}, 0.1f);
    }
    add("pooler.dense.weight", {D, D}, 0.2f);
    add("pooler.dense.bias", {D}, 0.05f);
    return w;
}

namespace {

uint16_t to_f16(float f) {
    // Round-to-nearest-even float → half for the normal range used here.
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = static_cast<int32_t>((x >> 23) & 0xFF) - 127 + 15;
    uint32_t mant = x & 0x7FFFFF;
    if (exp <= 0) return static_cast<uint16_t>(sign);
    uint32_t h = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
    return static_cast<uint16_t>(h);
}

uint16_t to_bf16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint32_t rounding = 0x7FFF + ((x >> 16) & 1);
    return static_cast<uint16_t>((x + rounding) >> 16);
}

}  // namespace

void write_safetensors(const fs::path& path, const TinyWeights& w, const std::string& dtype) {
    nlohmann::json header = nlohmann::json::object();
    std::string data;
    const size_t width = dtype == "F32" ? 4 : 2;
    for (const auto& [name, t] : w) {
        size_t begin = data.size();
        for (float v : t.data) {
            if (dtype == "F32") {
                data.append(reinterpret_cast<const char*>(&v), 4);
            } else {
                uint16_t h = dtype == "F16" ? to_f16(v) : to_bf16(v);
                data.append(reinterpret_cast<const char*>(&h), 2);
            }
        }
        header[name] = {{"dtype", dtype}, {"shape", t.shape}, {"data_offsets", {begin, begin + t.data.size() * width}}};
    }
    header["__metadata__"] = {{"format", "pt"}};
    std::string h = header.dump();
    while (h.size() % 8) h.push_back(' ');
    uint64_t n = h.size();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << h << data;
}

void write_tiny_model(const fs::path& dir, const TinyModelSpec& s, const TinyWeights& w, const std::string& dtype,
                      const std::string& prefix, bool gamma_beta, int shards) {
    fs::create_directories(dir);
    nlohmann::json cfg = {{"model_type", "bert"},
                          {"architectures", {"BertModel"}},
                          {"vocab_size", s.vocab},
                          {"hidden_size", s.hidden},
                          {"num_hidden_layers", s.layers},
                          {"num_attention_heads", s.heads},
                          {"intermediate_size", s.intermediate},
                          {"max_position_embeddings", s.positions},
                          {"type_vocab_size", s.types},
                          {"hidden_act", s.act},
                          {"layer_norm_eps", 1e-12},
                          {"pad_token_id", 0}};
    std::ofstream(dir / "config.json") << cfg.dump(2);
    std::ofstream vocab(dir / "vocab.txt");
    const char* special[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (int i = 0; i < s.vocab; ++i) {
        if (i < 5)
            vocab << special[i] << "\n";
        else
            vocab << "w" << i << "\n";  // streamed, not "w" + to_string: GCC 12 warns falsely (-Wrestrict)
    }
    std::ofstream(dir / "tokenizer_config.json") << R"({"do_lower_case": true, "model_max_length": 64})";

    TinyWeights renamed;
    for (const auto& [name, t] : w) {
        std::string n = prefix + name;
        if (gamma_beta) {
            auto swap = [&](const std::string& from, const std::string& to) {
                if (n.size() >= from.size() && n.compare(n.size() - from.size(), from.size(), from) == 0) {
                    n = n.substr(0, n.size() - from.size()) + to;
                }
            };
            swap("LayerNorm.weight", "LayerNorm.gamma");
            swap("LayerNorm.bias", "LayerNorm.beta");
        }
        renamed[n] = t;
    }
    if (shards <= 1) {
        write_safetensors(dir / "model.safetensors", renamed, dtype);
        return;
    }
    std::vector<TinyWeights> parts(static_cast<size_t>(shards));
    nlohmann::json map = nlohmann::json::object();
    size_t i = 0;
    for (const auto& [name, t] : renamed) {
        size_t k = i++ % static_cast<size_t>(shards);
        parts[k][name] = t;
        char file[64];
        std::snprintf(file, sizeof file, "model-%05zu-of-%05d.safetensors", k + 1, shards);
        map[name] = file;
    }
    for (size_t k = 0; k < parts.size(); ++k) {
        char file[64];
        std::snprintf(file, sizeof file, "model-%05zu-of-%05d.safetensors", k + 1, shards);
        write_safetensors(dir / file, parts[k], dtype);
    }
    std::ofstream(dir / "model.safetensors.index.json")
        << nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", map}}.dump();
}

ReferenceOutput reference_forward(const TinyModelSpec& s, const TinyWeights& w, const std::vector<int>& ids,
                                  const std::vector<int>& types, const std::vector<int>& mask) {
    const size_t n = ids.size(), D = static_cast<size_t>(s.hidden), H = static_cast<size_t>(s.heads), d = D / H,
                 I = static_cast<size_t>(s.intermediate);
    auto W = [&](const std::string& name) -> const std::vector<float>& { return w.at(name).data; };
    using Mat = std::vector<double>;  // row-major [n][cols]
    auto layer_norm = [&](Mat& x, const std::string& name) {
        const auto& g = W(name + ".weight");
        const auto& b = W(name + ".bias");
        for (size_t i = 0; i < n; ++i) {
            double mean = 0, var = 0;
            for (size_t j = 0; j < D; ++j) mean += x[i * D + j];
            mean /= static_cast<double>(D);
            for (size_t j = 0; j < D; ++j) var += (x[i * D + j] - mean) * (x[i * D + j] - mean);
            var /= static_cast<double>(D);
            for (size_t j = 0; j < D; ++j) x[i * D + j] = (x[i * D + j] - mean) / std::sqrt(var + 1e-12) * g[j] + b[j];
        }
    };
    auto linear = [&](const Mat& x, size_t in, const std::string& name, size_t out) {
        const auto& wt = W(name + ".weight");
        const auto& b = W(name + ".bias");
        Mat y(n * out);
        for (size_t i = 0; i < n; ++i)
            for (size_t o = 0; o < out; ++o) {
                double acc = b[o];
                for (size_t k = 0; k < in; ++k) acc += x[i * in + k] * wt[o * in + k];
                y[i * out + o] = acc;
            }
        return y;
    };
    Mat x(n * D);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < D; ++j)
            x[i * D + j] =
                static_cast<double>(W("embeddings.word_embeddings.weight")[static_cast<size_t>(ids[i]) * D + j]) +
                W("embeddings.token_type_embeddings.weight")[static_cast<size_t>(types[i]) * D + j] +
                W("embeddings.position_embeddings.weight")[i * D + j];
    layer_norm(x, "embeddings.LayerNorm");
    ReferenceOutput out;
    for (int l = 0; l < s.layers; ++l) {
        const std::string p = "encoder.layer." + std::to_string(l) + ".";
        Mat q = linear(x, D, p + "attention.self.query", D), k = linear(x, D, p + "attention.self.key", D),
            v = linear(x, D, p + "attention.self.value", D), ctx(n * D);
        for (size_t h = 0; h < H; ++h) {
            for (size_t i = 0; i < n; ++i) {
                std::vector<double> row(n);
                double m = -1e300;
                for (size_t j = 0; j < n; ++j) {
                    double dot = 0;
                    for (size_t e = 0; e < d; ++e) dot += q[i * D + h * d + e] * k[j * D + h * d + e];
                    row[j] = dot / std::sqrt(static_cast<double>(d)) + (mask[j] ? 0.0 : -static_cast<double>(FLT_MAX));
                    m = std::max(m, row[j]);
                }
                double sum = 0;
                for (auto& r : row) sum += (r = std::exp(r - m));
                for (auto& r : row) r /= sum;
                out.attentions.insert(out.attentions.end(), row.begin(), row.end());
                for (size_t e = 0; e < d; ++e) {
                    double acc = 0;
                    for (size_t j = 0; j < n; ++j) acc += row[j] * v[j * D + h * d + e];
                    ctx[i * D + h * d + e] = acc;
                }
            }
        }
        Mat a = linear(ctx, D, p + "attention.output.dense", D);
        for (size_t i = 0; i < n * D; ++i) a[i] += x[i];
        layer_norm(a, p + "attention.output.LayerNorm");
        Mat inter = linear(a, D, p + "intermediate.dense", I);
        for (auto& z : inter) z = 0.5 * z * (1.0 + std::erf(z / std::sqrt(2.0)));
        Mat o = linear(inter, I, p + "output.dense", D);
        for (size_t i = 0; i < n * D; ++i) o[i] += a[i];
        layer_norm(o, p + "output.LayerNorm");
        x = o;
    }
    out.last_hidden = x;
    return out;
}

namespace {
// The folders hold model files; without this every run of the suite left them in /tmp for good (they had
// piled up to hundreds of folders). Removed when the test program exits normally; a crash keeps them.
struct TempDirs {
    std::vector<fs::path> paths;
    ~TempDirs() {
        std::error_code ignored;
        for (const auto& p : paths) fs::remove_all(p, ignored);
    }
};
TempDirs& temp_dirs() {
    static TempDirs dirs;
    return dirs;
}
}  // namespace

fs::path temp_dir(const std::string& name) {
    fs::path p = fs::temp_directory_path() / ("attnscope-test-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(p);
    fs::create_directories(p);
    temp_dirs().paths.push_back(p);
    return p;
}

}  // namespace attnscope::testing
