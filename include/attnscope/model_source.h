// Where a model comes from: a folder, or a Hugging Face model id resolved through the local hub cache
// exactly as huggingface_hub lays it out, or the bundled offline default.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace attnscope {

struct ModelLocation {
    std::filesystem::path directory;
    std::string name;         // the id or folder name to show the user
    std::string resolved_by;  // "directory", "hf-cache", "downloaded" or "bundled"
};

// The hub cache folders searched for a model id, in order: $HF_HUB_CACHE (or the legacy
// $HUGGINGFACE_HUB_CACHE), $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub, and
// the legacy $TRANSFORMERS_CACHE.
std::vector<std::filesystem::path> hf_cache_roots();

// Fetches a model id at a revision into the Hugging Face cache and returns its snapshot folder:
// hub::download_model (attnscope/hub.h, the attnscope_hub library), or Python's huggingface_hub.
using ModelDownloader = std::function<std::filesystem::path(const std::string& repo_id, const std::string& revision)>;

// `spec` is a folder path, or a model id ("bert-base-uncased", "org/name"), optionally "id@revision".
// An id that is not in the cache is fetched with `download` when one is given and offline mode is off
// ($HF_HUB_OFFLINE). Throws Error naming every place it looked and how to get the model.
ModelLocation locate_model(const std::string& spec, const ModelDownloader& download = {});

// The default: bert-base-uncased if it is in the hub cache, else the bundled all-MiniLM-L6-v2 that
// scripts/setup.sh installs. `note` receives the one line to tell the user which one was chosen.
ModelLocation locate_default_model(std::string* note);

// Folders searched for bundled models: $ATTNSCOPE_MODELS, then models/ beside the executable's
// build or install tree.
std::vector<std::filesystem::path> bundled_model_roots();

}  // namespace attnscope
