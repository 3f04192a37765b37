// The Hub's names and settings, without any network code: repo ids, cache folder names, and the
// environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HOME / HF_HUB_CACHE) that huggingface_hub reads.
// The downloader itself (download.cpp, http.cpp) is the separate attnscope_hub library.
#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <regex>

#include "attnscope/error.h"
#include "attnscope/hub.h"
#include "util/files.h"

namespace attnscope::hub {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

bool truthy(const std::string& v) {
    return v == "1" || v == "ON" || v == "on" || v == "YES" || v == "yes" || v == "true" || v == "TRUE";
}

}  // namespace

Settings Settings::from_environment() {
    Settings s;
    s.endpoint = env("HF_ENDPOINT");
    if (s.endpoint.empty()) s.endpoint = "https://huggingface.co";
    while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
    s.offline = truthy(env("HF_HUB_OFFLINE")) || truthy(env("TRANSFORMERS_OFFLINE"));
    const std::string home = env("HOME");
    fs::path hf_home = !env("HF_HOME").empty()          ? fs::path(env("HF_HOME"))
                       : !env("XDG_CACHE_HOME").empty() ? fs::path(env("XDG_CACHE_HOME")) / "huggingface"
                                                        : fs::path(home) / ".cache" / "huggingface";
    s.token = env("HF_TOKEN");
    if (s.token.empty()) s.token = env("HUGGING_FACE_HUB_TOKEN");
    if (s.token.empty()) {
        const fs::path token_file = !env("HF_TOKEN_PATH").empty() ? fs::path(env("HF_TOKEN_PATH")) : hf_home / "token";
        std::error_code ec;
        if (fs::is_regular_file(token_file, ec)) {
            s.token = util::read_text_file(token_file);
            while (!s.token.empty() && std::isspace(static_cast<unsigned char>(s.token.back()))) s.token.pop_back();
        }
    }
    s.cache = !env("HF_HUB_CACHE").empty()            ? fs::path(env("HF_HUB_CACHE"))
              : !env("HUGGINGFACE_HUB_CACHE").empty() ? fs::path(env("HUGGINGFACE_HUB_CACHE"))
                                                      : hf_home / "hub";
    return s;
}

bool is_repo_id(const std::string& s) {
    static const std::regex re(R"(^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$)");
    return std::regex_match(s, re) && s.find("..") == std::string::npos && s.find("--") == std::string::npos;
}

void check_repo_id(const std::string& s) {
    if (!is_repo_id(s)) {
        throw Error(
            fmt::format("'{}' is not a Hugging Face model id: expected name or org/name (letters, digits, '.', "
                        "'_', '-'; no '..' or '--')",
                        s));
    }
}

std::string repo_folder_name(const std::string& repo_id) {
    std::string name = "models--" + repo_id;
    size_t pos;
    while ((pos = name.find('/')) != std::string::npos) name.replace(pos, 1, "--");
    return name;
}

}  // namespace attnscope::hub
