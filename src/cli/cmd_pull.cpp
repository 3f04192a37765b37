// attnscope pull: download a model from the Hugging Face Hub into the shared cache (the files attnscope
// needs: config, tokenizer, weights), so that later runs — and Python — find it there.
#include <fmt/format.h>

#include "attnscope/error.h"
#include "attnscope/hub.h"
#include "commands.h"
#include "output.h"

namespace attnscope::cli {

void register_pull(CLI::App& app) {
    struct Options {
        std::string id, revision = "main";
        bool quiet = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("pull", "Download a model from the Hugging Face Hub into the Hugging Face cache");
    cmd->add_option("model", o->id, "Model id, e.g. bert-base-uncased or google-bert/bert-base-uncased")->required();
    cmd->add_option("--revision", o->revision, "Branch, tag or commit (default main)");
    cmd->add_flag("--quiet,-q", o->quiet, "No progress bars");
    cmd->callback([o] {
        hub::check_repo_id(o->id);
        const auto settings = hub::Settings::from_environment();
        hub::PullOptions po;
        po.revision = o->revision;
        po.progress = !o->quiet;
        if (!o->quiet)
            fmt::print(stderr, "attnscope: pulling {} ({}) from {} into {}\n", o->id, o->revision, settings.endpoint,
                       settings.cache.string());
        auto r = hub::pull(o->id, po, settings);
        print_out("{}\n", r.snapshot.string());
        if (!o->quiet) {
            fmt::print(stderr, "attnscope: {} files at commit {}, {:.1f} MB downloaded{}\n", r.files.size(), r.commit,
                       static_cast<double>(r.downloaded_bytes) / 1e6,
                       r.downloaded_bytes ? "" : " (all cached already)");
        }
    });
}

}  // namespace attnscope::cli
