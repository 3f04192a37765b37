// Model loading: config.json + tokenizer files + weights, checked against each other.
#include <fmt/format.h>

#include "attnscope/error.h"
#include "attnscope/model.h"
#include "kernels/threads.h"
#include "model/bert_weights.h"
#include "model/model_impl.h"

namespace attnscope::model {

namespace fs = std::filesystem;

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

WeightStorage parse_weight_storage(const std::string& name) {
    if (name == "fp32" || name == "f32") return WeightStorage::F32;
    if (name == "fp16" || name == "f16") return WeightStorage::F16;
    if (name == "bf16") return WeightStorage::BF16;
    if (name == "int8" || name == "i8") return WeightStorage::I8;
    throw Error(fmt::format("--weights {}: expected fp32 (exact, the default), fp16, bf16 or int8", name));
}

std::shared_ptr<const Model> Model::load(const fs::path& directory, const LoadOptions& options) {
    if (!fs::is_directory(directory)) {
        throw Error(
            fmt::format("{}: not a model folder (it should hold config.json, vocab.txt or tokenizer.json, "
                        "and model.safetensors or pytorch_model.bin)",
                        directory.string()));
    }
    const fs::path config_path = directory / "config.json";
    if (!fs::exists(config_path))
        throw Error(fmt::format("{}: no config.json in the model folder", directory.string()));
    BertConfig config = BertConfig::from_file(config_path);
    tokenizer::Tokenizer tok = tokenizer::Tokenizer::from_directory(directory);
    ModelInfo info;
    info.directory = fs::absolute(directory).lexically_normal();
    BertWeights weights = load_bert_weights(directory, config, info);
    if (options.threads < 0 || options.threads > kMaxThreads) {
        throw Error(fmt::format("threads {}: expected 0 (one per core) to {}", options.threads, kMaxThreads));
    }
    pack_encoder_weights(weights, config, info, options.weights, kernels::resolve_threads(options.threads));
    auto impl = std::make_unique<Impl>(std::move(config), std::move(info), std::move(tok), std::move(weights));
    // tokenizer_config.json may not know the limit (model_max_length absent or 1e30): the position table does.
    const size_t positions = impl->config.max_tokens();
    const size_t limit = impl->tokenizer.config().model_max_length;
    if (limit == 0 || limit > positions) impl->tokenizer.set_model_max_length(positions);
    return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

const BertConfig& Model::config() const {
    return impl_->config;
}
const ModelInfo& Model::info() const {
    return impl_->info;
}
const tokenizer::Tokenizer& Model::tokenizer() const {
    return impl_->tokenizer;
}
bool Model::has_mlm_head() const {
    return impl_->weights.has_mlm_head;
}

}  // namespace attnscope::model
