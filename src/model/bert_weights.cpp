#include "model/bert_weights.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <map>
#include <set>

#include "attnscope/error.h"
#include "io/torch_checkpoint.h"
#include "kernels/forward_ops.h"
#include "util/files.h"

namespace attnscope::model {
namespace {

namespace fs = std::filesystem;

class WeightResolver {
  public:
    WeightResolver(BertWeights& w, const BertConfig& cfg, ModelInfo& info) : w_(w), cfg_(cfg), info_(info) {}

    void add_file(const fs::path& path) {
        if (path.extension() == ".safetensors") {
            w_.files.push_back(std::make_unique<io::SafetensorsFile>(path));
        } else {
            auto ckpt = std::make_unique<io::TorchCheckpoint>(path);
            info_.format = fmt::format("pytorch_model.bin ({} format{})", ckpt->format(),
                                       info_.weight_files.size() > 1 ? ", sharded" : "");
            w_.files.push_back(std::move(ckpt));
        }
        for (const auto& [name, view] : w_.files.back()->tensors()) tensors_[name] = &view;
    }

    const std::map<std::string, const io::TensorView*>& tensors() const { return tensors_; }

    // The base model's prefix: "bert." in BertFor* checkpoints, "electra.", "distilbert.", "roberta." in
    // theirs; none when the base model itself was saved.
    void detect_naming() {
        const std::string family_prefix = std::string(family_name(cfg_.family)) + ".";
        bool prefixed = false, gamma = false;
        for (const auto& [name, view] : tensors_) {
            if (name.rfind(family_prefix, 0) == 0) prefixed = true;
            if (name.size() > 16 && name.compare(name.size() - 16, 16, ".LayerNorm.gamma") == 0) gamma = true;
        }
        prefix_ = prefixed ? family_prefix : "";
        info_.key_prefix = prefix_;
        info_.layer_norm_names = gamma ? "gamma/beta" : "weight/bias";
    }

    // `name` is the BertModel key without prefix; `shape` what config.json implies.
    const float* get(const std::string& name, const std::vector<int64_t>& shape, bool in_base_model = true,
                     bool required = true) {
        std::vector<std::string> candidates;
        const std::string full = (in_base_model ? prefix_ : std::string()) + name;
        candidates.push_back(full);
        if (in_base_model && !prefix_.empty()) candidates.push_back(name);
        for (size_t i = 0, n = candidates.size(); i < n; ++i) {
            const std::string c = candidates[i];  // a copy: push_back below reallocates
            auto swap_suffix = [&](const char* from, const char* to) {
                size_t lf = std::strlen(from);
                if (c.size() >= lf && c.compare(c.size() - lf, lf, from) == 0) {
                    candidates.push_back(c.substr(0, c.size() - lf) + to);
                }
            };
            swap_suffix("LayerNorm.weight", "LayerNorm.gamma");
            swap_suffix("LayerNorm.bias", "LayerNorm.beta");
        }
        const io::TensorView* view = nullptr;
        for (const auto& c : candidates) {
            auto it = tensors_.find(c);
            if (it != tensors_.end()) {
                view = it->second;
                break;
            }
        }
        if (!view) {
            if (!required) return nullptr;
            throw Error(fmt::format("{}: missing tensor '{}' (looked for {})", source(), name,
                                    fmt::join(quoted(candidates), ", ")));
        }
        if (view->shape != shape) {
            throw Error(
                fmt::format("{}: tensor '{}' has shape [{}], but config.json (hidden_size {}, "
                            "intermediate_size {}, vocab_size {}) implies [{}]",
                            view->file->filename().string(), view->name, fmt::join(view->shape, ", "), cfg_.hidden_size,
                            cfg_.intermediate_size, cfg_.vocab_size, fmt::join(shape, ", ")));
        }
        if (name.rfind("cls.", 0) != 0 && in_base_model) info_.parameter_count += view->numel();
        const float* out = to_f32(*view);
        w_.sources[out] = {view, file_of(*view), out != reinterpret_cast<const float*>(view->data)};
        return out;
    }

    const io::MappedFile* file_of(const io::TensorView& v) const {
        for (const auto& f : w_.files) {
            if (v.data >= f->file().data() && v.data < f->file().data() + f->file().size()) return &f->file();
        }
        return nullptr;
    }

    std::string source() const {
        return info_.weight_files.size() == 1 ? info_.weight_files[0].filename().string() : index_name_;
    }
    void set_index_name(std::string name) { index_name_ = std::move(name); }

  private:
    static std::vector<std::string> quoted(const std::vector<std::string>& v) {
        std::vector<std::string> out;
        for (const auto& s : v) out.push_back("'" + s + "'");
        return out;
    }

    const float* to_f32(const io::TensorView& v) {
        const size_t n = v.numel();
        note_dtype(v.dtype_name);
        switch (v.dtype) {
            case io::DType::F32:
                if (reinterpret_cast<uintptr_t>(v.data) % alignof(float) == 0) {
                    info_.zero_copy_bytes += v.nbytes;
                    return reinterpret_cast<const float*>(v.data);
                } else {
                    auto& buf = w_.converted.emplace_back(n);
                    std::memcpy(buf.data(), v.data, v.nbytes);
                    info_.converted_bytes += n * 4;
                    return buf.data();
                }
            case io::DType::F16:
            case io::DType::BF16: {
                auto& buf = w_.converted.emplace_back(n);
                std::vector<uint16_t> raw(n);
                std::memcpy(raw.data(), v.data, v.nbytes);
                if (v.dtype == io::DType::F16) {
                    kernels::f16_to_f32(raw.data(), buf.data(), n);
                } else {
                    kernels::bf16_to_f32(raw.data(), buf.data(), n);
                }
                info_.converted_bytes += n * 4;
                return buf.data();
            }
            case io::DType::F64: {
                auto& buf = w_.converted.emplace_back(n);
                for (size_t i = 0; i < n; ++i) {
                    double d;
                    std::memcpy(&d, v.data + i * 8, 8);
                    buf[i] = static_cast<float>(d);
                }
                info_.converted_bytes += n * 4;
                return buf.data();
            }
            default:
                throw Error(fmt::format("{}: tensor '{}' has dtype {}; attnscope reads F32, F16, BF16 and F64 weights",
                                        v.file->filename().string(), v.name, v.dtype_name));
        }
    }

    void note_dtype(const std::string& d) {
        if (info_.dtype.empty()) {
            info_.dtype = d;
        } else if (info_.dtype != d) {
            info_.dtype = "mixed";
        }
    }

    BertWeights& w_;
    const BertConfig& cfg_;
    ModelInfo& info_;
    std::map<std::string, const io::TensorView*> tensors_;
    std::string prefix_;
    std::string index_name_;
};

// The shards an index file (model.safetensors.index.json, pytorch_model.bin.index.json) names.
std::vector<fs::path> shards(const fs::path& dir, const fs::path& index) {
    auto j = util::read_json_file(index);
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
        throw Error(fmt::format("{}: missing the 'weight_map' object", index.string()));
    }
    std::set<std::string> names;
    for (const auto& [tensor, file] : j["weight_map"].items()) {
        if (!file.is_string())
            throw Error(fmt::format("{}: weight_map['{}'] is not a file name", index.string(), tensor));
        std::string f = file.get<std::string>();
        if (f.find("..") != std::string::npos || f.find('/') != std::string::npos) {
            throw Error(fmt::format("{}: weight_map['{}'] = '{}' is not a file in the model folder", index.string(),
                                    tensor, f));
        }
        names.insert(f);
    }
    std::vector<fs::path> out;
    for (const auto& f : names) {
        if (!fs::exists(dir / f)) throw Error(fmt::format("{}: shard '{}' is missing", index.string(), f));
        out.push_back(dir / f);
    }
    if (out.empty()) throw Error(fmt::format("{}: weight_map is empty", index.string()));
    return out;
}

// Which files hold the weights, in the order transformers prefers them: safetensors, then the pickle.
std::vector<fs::path> weight_files(const fs::path& dir, ModelInfo& info, fs::path* index) {
    struct Candidate {
        const char* single;
        const char* sharded;
        const char* format;
    };
    for (const Candidate& c : {Candidate{"model.safetensors", "model.safetensors.index.json", "safetensors"},
                               Candidate{"pytorch_model.bin", "pytorch_model.bin.index.json", "pytorch_model.bin"}}) {
        if (fs::exists(dir / c.single)) {
            info.format = c.format;
            return {dir / c.single};
        }
        if (fs::exists(dir / c.sharded)) {
            info.format = fmt::format("{} (sharded)", c.format);
            *index = dir / c.sharded;
            return shards(dir, *index);
        }
    }
    throw Error(fmt::format("{}: no model.safetensors, pytorch_model.bin or their .index.json in the model folder",
                            dir.string()));
}

}  // namespace

BertWeights load_bert_weights(const fs::path& dir, const BertConfig& cfg, ModelInfo& info) {
    BertWeights w;
    fs::path index;
    info.weight_files = weight_files(dir, info, &index);
    WeightResolver r(w, cfg, info);
    if (!index.empty()) r.set_index_name(index.filename().string());
    for (const auto& f : info.weight_files) r.add_file(f);
    if (!index.empty()) {
        auto j = util::read_json_file(index);
        for (const auto& [tensor, file] : j["weight_map"].items()) {
            if (!r.tensors().count(tensor)) {
                throw Error(fmt::format("{}: tensor '{}' is not in shard '{}'", index.filename().string(), tensor,
                                        file.get<std::string>()));
            }
        }
    }
    r.detect_naming();

    const int64_t D = cfg.hidden_size, I = cfg.intermediate_size, E = cfg.embedding_size;
    auto linear = [&](const std::string& name, int64_t out, int64_t in, bool base = true, bool required = true) {
        LinearWeights l;
        l.weight = r.get(name + ".weight", {out, in}, base, required);
        if (!l.weight) return l;
        l.bias = r.get(name + ".bias", {out}, base, required);
        l.out = static_cast<int>(out);
        l.in = static_cast<int>(in);
        return l;
    };
    auto norm = [&](const std::string& name, bool base = true, int64_t size = 0) {
        LayerNormWeights n;
        n.weight = r.get(name + ".weight", {size ? size : D}, base);
        n.bias = r.get(name + ".bias", {size ? size : D}, base);
        return n;
    };

    w.word_embeddings = r.get("embeddings.word_embeddings.weight", {cfg.vocab_size, E});
    w.position_embeddings = r.get("embeddings.position_embeddings.weight", {cfg.max_position_embeddings, E});
    if (cfg.type_vocab_size > 0) {
        w.token_type_embeddings = r.get("embeddings.token_type_embeddings.weight", {cfg.type_vocab_size, E});
    }
    w.embedding_norm = norm("embeddings.LayerNorm", true, E);
    if (cfg.family == Family::Electra && E != D) w.embedding_projection = linear("embeddings_project", D, E);
    // The layer's key names: DistilBERT's own, or BERT's (shared by ELECTRA and RoBERTa).
    struct LayerNames {
        const char *layer, *query, *key, *value, *attention_output, *attention_norm, *intermediate, *output,
            *output_norm;
    };
    static constexpr LayerNames kBertNames{
        "encoder.layer.{}.",    "attention.self.query",   "attention.self.key",
        "attention.self.value", "attention.output.dense", "attention.output.LayerNorm",
        "intermediate.dense",   "output.dense",           "output.LayerNorm"};
    static constexpr LayerNames kDistilBertNames{
        "transformer.layer.{}.", "attention.q_lin", "attention.k_lin", "attention.v_lin",  "attention.out_lin",
        "sa_layer_norm",         "ffn.lin1",        "ffn.lin2",        "output_layer_norm"};
    const LayerNames& names = cfg.family == Family::DistilBert ? kDistilBertNames : kBertNames;
    for (int l = 0; l < cfg.num_hidden_layers; ++l) {
        const std::string p = fmt::format(fmt::runtime(names.layer), l);
        EncoderLayerWeights lw;
        lw.query = linear(p + names.query, D, D);
        lw.key = linear(p + names.key, D, D);
        lw.value = linear(p + names.value, D, D);
        lw.attention_output = linear(p + names.attention_output, D, D);
        lw.attention_norm = norm(p + names.attention_norm);
        lw.intermediate = linear(p + names.intermediate, I, D);
        lw.output = linear(p + names.output, D, I);
        lw.output_norm = norm(p + names.output_norm);
        w.layers.push_back(std::move(lw));
    }
    if (cfg.family == Family::Bert || cfg.family == Family::Roberta)
        w.pooler = linear("pooler.dense", D, D, true, false);

    // The masked-LM head of BertForMaskedLM / BertForPreTraining, kept for fill-mask and ablation.
    if (cfg.family == Family::Bert && r.tensors().count("cls.predictions.transform.dense.weight")) {
        w.mlm.transform = linear("cls.predictions.transform.dense", D, D, false);
        w.mlm.transform_norm = norm("cls.predictions.transform.LayerNorm", false);
        w.mlm.decoder_weight = r.get("cls.predictions.decoder.weight", {cfg.vocab_size, D}, false, false);
        if (!w.mlm.decoder_weight) w.mlm.decoder_weight = w.word_embeddings;  // tied (often dropped from files)
        w.mlm.decoder_bias = r.get("cls.predictions.bias", {cfg.vocab_size}, false, false);
        if (!w.mlm.decoder_bias)
            w.mlm.decoder_bias = r.get("cls.predictions.decoder.bias", {cfg.vocab_size}, false, false);
        if (!w.mlm.decoder_bias) {
            throw Error(fmt::format("{}: the masked-LM head has no bias (cls.predictions.bias)", r.source()));
        }
        w.has_mlm_head = true;
    }
    info.has_mlm_head = w.has_mlm_head;
    return w;
}

}  // namespace attnscope::model
