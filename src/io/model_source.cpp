// Model ids → folders, through the Hugging Face hub cache as huggingface_hub lays it out:
//   <cache>/models--<org>--<name>/refs/<revision>   (a commit hash)
//   <cache>/models--<org>--<name>/snapshots/<commit>/config.json, model.safetensors, ...
#include "attnscope/model_source.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "attnscope/error.h"
#include "attnscope/hub.h"
#include "util/files.h"

namespace attnscope {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

fs::path expand_home(const std::string& p) {
    if (!p.empty() && p[0] == '~') {
        std::string home = env("HOME");
        if (!home.empty()) return fs::path(home + p.substr(1));
    }
    return fs::path(p);
}

bool is_commit_hash(const std::string& s) {
    return s.size() == 40 &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// The hub moved the original un-namespaced checkpoints into organisations; a folder in the cache is named
// after the id the user passed, so look under both names.
std::vector<std::string> id_aliases(const std::string& id) {
    std::vector<std::string> ids{id};
    static const std::pair<const char*, const char*> kOrgs[] = {
        {"bert-", "google-bert"}, {"distilbert-", "distilbert"}, {"roberta-", "FacebookAI"}};
    if (id.find('/') == std::string::npos) {
        for (const auto& [stem, org] : kOrgs) {
            if (id.rfind(stem, 0) == 0) ids.push_back(std::string(org) + "/" + id);
        }
    } else {
        for (const auto& [stem, org] : kOrgs) {
            std::string prefix = std::string(org) + "/";
            if (id.rfind(prefix, 0) == 0 && id.compare(prefix.size(), std::strlen(stem), stem) == 0) {
                ids.push_back(id.substr(prefix.size()));
            }
        }
    }
    return ids;
}

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t b = 0;
    while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    return s.substr(b);
}

}  // namespace

std::vector<fs::path> hf_cache_roots() {
    std::vector<fs::path> roots;
    auto add = [&](const fs::path& p) {
        if (p.empty()) return;
        fs::path n = p.lexically_normal();
        if (std::find(roots.begin(), roots.end(), n) == roots.end()) roots.push_back(n);
    };
    std::string hub = env("HF_HUB_CACHE");
    if (hub.empty()) hub = env("HUGGINGFACE_HUB_CACHE");
    if (!hub.empty()) add(expand_home(hub));
    std::string hf_home = env("HF_HOME");
    if (!hf_home.empty()) add(expand_home(hf_home) / "hub");
    std::string xdg = env("XDG_CACHE_HOME");
    if (!xdg.empty()) add(expand_home(xdg) / "huggingface" / "hub");
    std::string home = env("HOME");
    if (!home.empty()) add(fs::path(home) / ".cache" / "huggingface" / "hub");
    std::string legacy = env("TRANSFORMERS_CACHE");
    if (!legacy.empty()) add(expand_home(legacy));
    return roots;
}

ModelLocation locate_model(const std::string& spec_in, const ModelDownloader& download) {
    if (spec_in.empty()) throw Error("--model is empty: give a model folder or a Hugging Face model id");
    fs::path as_path = expand_home(spec_in);
    std::error_code ec;
    if (fs::is_directory(as_path, ec)) {
        fs::path dir = fs::absolute(as_path).lexically_normal();
        if (dir.filename().empty()) dir = dir.parent_path();  // "models/x/" names x
        return {dir, dir.filename().string(), "directory"};
    }
    std::string spec = spec_in, revision = "main";
    if (auto at = spec.rfind('@'); at != std::string::npos && at > 0) {
        revision = spec.substr(at + 1);
        spec = spec.substr(0, at);
    }
    const bool looks_like_path = spec_in.find("./") == 0 || spec_in.find("../") == 0 || spec_in[0] == '/' ||
                                 spec_in[0] == '~' || fs::exists(as_path, ec);
    if (looks_like_path || !hub::is_repo_id(spec)) {
        if (fs::exists(as_path, ec)) throw Error(fmt::format("--model {}: not a folder", spec_in));
        throw Error(fmt::format("--model {}: no such folder, and not a Hugging Face model id (org/name)", spec_in));
    }
    if (revision.empty() || revision.find("..") != std::string::npos) {
        throw Error(fmt::format("--model {}: invalid revision '{}'", spec_in, revision));
    }

    std::vector<std::string> looked;
    for (const fs::path& root : hf_cache_roots()) {
        for (const std::string& id : id_aliases(spec)) {
            const fs::path repo = root / hub::repo_folder_name(id);
            if (!fs::is_directory(repo, ec)) {
                looked.push_back(fmt::format("{} (no such folder)", repo.string()));
                continue;
            }
            std::string commit;
            if (is_commit_hash(revision)) {
                commit = revision;
            } else {
                // refs/<revision> may itself contain slashes (refs/pr/1).
                const fs::path ref = repo / "refs" / revision;
                if (fs::exists(ref, ec)) {
                    commit = trim(util::read_text_file(ref));
                } else {
                    // Downloaded by commit hash only: use the snapshot if there is exactly one.
                    std::vector<fs::path> snaps;
                    if (fs::is_directory(repo / "snapshots", ec)) {
                        for (const auto& entry : fs::directory_iterator(repo / "snapshots", ec))
                            snaps.push_back(entry.path());
                    }
                    if (revision == "main" && snaps.size() == 1) {
                        commit = snaps[0].filename().string();
                    } else {
                        looked.push_back(fmt::format("{} (no refs/{})", repo.string(), revision));
                        continue;
                    }
                }
            }
            const fs::path snapshot = repo / "snapshots" / commit;
            if (!fs::exists(snapshot / "config.json", ec)) {
                looked.push_back(fmt::format("{} (no config.json)", snapshot.string()));
                continue;
            }
            return {snapshot, id, "hf-cache"};
        }
    }
    const hub::Settings settings = hub::Settings::from_environment();
    if (download && !settings.offline) {
        try {
            return {download(spec, revision), spec, "downloaded"};
        } catch (const Error& e) {
            throw Error(fmt::format("model '{}' is not in the Hugging Face cache, and downloading it failed: {}",
                                    spec_in, e.what()));
        }
    }
    throw Error(fmt::format("model '{}' is not in the Hugging Face cache{}; looked in: {}. {}", spec_in,
                            settings.offline ? " and offline mode is on (HF_HUB_OFFLINE)" : "", fmt::join(looked, "; "),
                            settings.offline ? "Download it while online: attnscope pull " + spec
                                             : "Download it: attnscope pull " + spec + " (or pass --model DIR)"));
}

std::vector<fs::path> bundled_model_roots() {
    std::vector<fs::path> roots;
    std::string envroot = env("ATTNSCOPE_MODELS");
    if (!envroot.empty()) roots.push_back(expand_home(envroot));
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        fs::path dir = exe.parent_path();
        for (const fs::path& p :
             {dir / ".." / "models", dir / ".." / ".." / "models", dir / ".." / "share" / "attnscope" / "models"}) {
            fs::path n = p.lexically_normal();
            if (std::find(roots.begin(), roots.end(), n) == roots.end()) roots.push_back(n);
        }
    }
    return roots;
}

ModelLocation locate_default_model(std::string* note) {
    try {
        ModelLocation loc = locate_model("bert-base-uncased");
        if (note)
            *note = fmt::format("using bert-base-uncased from the Hugging Face cache ({})", loc.directory.string());
        return loc;
    } catch (const Error&) {
    }
    std::vector<std::string> looked;
    std::error_code ec;
    for (const fs::path& root : bundled_model_roots()) {
        const fs::path dir = root / "all-MiniLM-L6-v2";
        if (fs::exists(dir / "config.json", ec)) {
            if (note) {
                *note = fmt::format(
                    "bert-base-uncased is not in the Hugging Face cache; using the bundled "
                    "all-MiniLM-L6-v2 ({})",
                    dir.string());
            }
            return {dir, "all-MiniLM-L6-v2", "bundled"};
        }
        looked.push_back(dir.string());
    }
    std::vector<std::string> caches;
    for (const auto& r : hf_cache_roots()) caches.push_back(r.string());
    throw Error(
        fmt::format("no model: bert-base-uncased is not in the Hugging Face cache ({}) and the bundled "
                    "all-MiniLM-L6-v2 is not installed (looked in {}); run scripts/setup.sh or pass --model",
                    fmt::join(caches, ", "), fmt::join(looked, ", ")));
}

}  // namespace attnscope
