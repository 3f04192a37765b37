// attnscope info: what a model is, where it was loaded from, and how it is stored.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "attnscope/model.h"
#include "attnscope/system.h"
#include "commands.h"
#include "common.h"
#include "output.h"

namespace attnscope::cli {
namespace {

struct InfoOptions {
    std::string model;
    std::string format = "text";
    bool quiet = false;
};

void info_command(const InfoOptions& o) {
    LoadedModel lm = load_model(o.model, o.quiet);
    const auto& c = lm.model->config();
    const auto& info = lm.model->info();
    const auto& tok = lm.model->tokenizer();
    std::vector<std::string> files;
    for (const auto& f : info.weight_files) files.push_back(f.filename().string());
    nlohmann::json j;
    j["name"] = lm.location.name;
    j["path"] = info.directory.string();
    j["resolved_by"] = lm.location.resolved_by;
    j["family"] = model::family_name(c.family);
    j["architectures"] = c.architectures;
    j["config"] = {{"model_type", c.model_type},
                   {"vocab_size", c.vocab_size},
                   {"hidden_size", c.hidden_size},
                   {"embedding_size", c.embedding_size},
                   {"num_hidden_layers", c.num_hidden_layers},
                   {"num_attention_heads", c.num_attention_heads},
                   {"head_dim", c.head_dim()},
                   {"intermediate_size", c.intermediate_size},
                   {"max_position_embeddings", c.max_position_embeddings},
                   {"type_vocab_size", c.type_vocab_size},
                   {"hidden_act", c.hidden_act},
                   {"layer_norm_eps", c.layer_norm_eps},
                   {"position_embedding_type", c.position_embedding_type}};
    j["parameters"] = info.parameter_count;
    j["weights"] = {{"format", info.format},
                    {"files", files},
                    {"dtype", info.dtype},
                    {"key_prefix", info.key_prefix},
                    {"layer_norm_names", info.layer_norm_names},
                    {"zero_copy_bytes", info.zero_copy_bytes},
                    {"converted_bytes", info.converted_bytes},
                    {"packed_bytes", info.packed_bytes},
                    {"storage", info.weight_storage},
                    {"pack_ms", info.pack_ms},
                    {"mlm_head", info.has_mlm_head}};
    const auto& tc = tok.config();
    j["tokenizer"] = {{"source", tok.source()},
                      {"vocab_size", tok.vocab_size()},
                      {"lowercase", tc.lowercase},
                      {"strip_accents", tc.strip_accents ? nlohmann::json(*tc.strip_accents) : nlohmann::json(nullptr)},
                      {"tokenize_chinese_chars", tc.handle_chinese_chars},
                      {"never_split", tc.never_split},
                      {"model_max_length", tc.model_max_length},
                      {"unicode", system::system_info().unicode}};
    j["load_ms"] = lm.load_ms;
    const auto machine = system::system_info();
    j["cpu_avx2"] = machine.cpu_avx2;
    j["kernels"] = machine.kernels;
    j["threads"] = machine.default_threads;
    if (o.format == "json") {
        print_out("{}\n", j.dump(2));
        return;
    }
    print_out("model        {} ({})\n", lm.location.name, lm.location.resolved_by);
    print_out("path         {}\n", info.directory.string());
    print_out("family       {} ({})\n", model::family_name(c.family),
              c.architectures.empty() ? std::string("no architectures listed")
                                      : fmt::format("{}", fmt::join(c.architectures, ", ")));
    print_out("shape        {} layers × {} heads (head dim {}), hidden {}, intermediate {}, {} positions, vocab {}\n",
              c.num_hidden_layers, c.num_attention_heads, c.head_dim(), c.hidden_size, c.intermediate_size,
              c.max_position_embeddings, c.vocab_size);
    print_out("activation   {} · layer_norm_eps {:g}\n", c.hidden_act, c.layer_norm_eps);
    print_out("parameters   {:L} ({:.1f} M)\n", info.parameter_count, info.parameter_count / 1e6);
    print_out("weights      {} · {} · dtype {} · keys {}LayerNorm.{}{}\n", info.format, fmt::join(files, ", "),
              info.dtype, info.key_prefix.empty() ? "" : info.key_prefix + "…", info.layer_norm_names,
              info.has_mlm_head ? " · masked-LM head" : "");
    print_out(
        "memory       {:.1f} MB of matmul weights packed for the GEMM kernel ({:.0f} ms), {:.1f} MB used from "
        "the memory map, {:.1f} MB converted to fp32\n",
        info.packed_bytes / 1e6, info.pack_ms, info.zero_copy_bytes / 1e6, info.converted_bytes / 1e6);
    print_out("tokenizer    {} · {} entries · lowercase {} · max length {}\n", tok.source(), tok.vocab_size(),
              tc.lowercase ? "yes" : "no", tc.model_max_length);
    print_out("loaded in    {:.1f} ms · {} threads · kernels {}{}\n", lm.load_ms, machine.default_threads,
              machine.kernels, machine.kernels == "reference" ? " (no AVX2 here)" : "");
}

}  // namespace

void register_info(CLI::App& app) {
    auto o = std::make_shared<InfoOptions>();
    auto* cmd = app.add_subcommand("info", "Config, parameter count, files, format and dtype of a model");
    cmd->add_option("--model,-m", o->model, "Model folder or Hugging Face id");
    cmd->add_option("--format,-f", o->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
    cmd->add_flag("--quiet,-q", o->quiet, "Do not announce which default model is used");
    cmd->callback([o] { info_command(*o); });
}

}  // namespace attnscope::cli
