// Downloading a model from the Hugging Face Hub into the shared cache, the way huggingface_hub does
// (resolve URLs, X-Repo-Commit / ETag headers, blobs/ + snapshots/<commit>/ + refs/), so that Python and
// attnscope use one download. Only the files attnscope needs are fetched.
// pull() and download_model() are in the attnscope_hub library (libcurl, OpenSSL); the names and settings
// are in the core library.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace attnscope::hub {

struct Settings {
    std::string endpoint;         // $HF_ENDPOINT, default https://huggingface.co
    std::string token;            // $HF_TOKEN (or the token file huggingface-cli login writes)
    bool offline = false;         // $HF_HUB_OFFLINE or $TRANSFORMERS_OFFLINE
    std::filesystem::path cache;  // where downloads go: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
    static Settings from_environment();
};

struct PullOptions {
    std::string revision = "main";  // a branch, tag, "refs/pr/N", or a 40-hex commit
    bool progress = true;           // a progress bar on stderr
};

struct PullResult {
    std::filesystem::path snapshot;  // <cache>/models--org--name/snapshots/<commit>
    std::string commit;
    std::vector<std::string> files;  // relative paths now in the snapshot
    size_t downloaded_bytes = 0;     // 0 when everything was cached already
};

// Throws Error with what went wrong and what to do: 401/403 (gated or private: set HF_TOKEN), 404 (wrong
// id, revision or file), no network (offline mode, and where the cache is), a checksum mismatch.
PullResult pull(const std::string& repo_id, const PullOptions& options,
                const Settings& settings = Settings::from_environment());

// pull() with a progress bar on stderr, returning the snapshot folder: a ModelDownloader for locate_model.
std::filesystem::path download_model(const std::string& repo_id, const std::string& revision);

// "models--org--name": the cache folder of a repo id, as huggingface_hub names it.
std::string repo_folder_name(const std::string& repo_id);

// "name" or "org/name" as the Hub accepts them (huggingface_hub's validate_repo_id): letters, digits, '.',
// '_' and '-', at most 96 per part, starting with a letter or digit, with no ".." or "--".
bool is_repo_id(const std::string& s);
// Throws Error naming the rule when !is_repo_id(s).
void check_repo_id(const std::string& s);

}  // namespace attnscope::hub
