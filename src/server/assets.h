// The web app, embedded into the binary at build time (generated from web/ by esbuild and
// cmake/embed_assets.cmake): no CDN, no files to install, no network at run time.
#pragma once

#include <cstddef>
#include <string_view>

namespace attnscope::server {

struct Asset {
    std::string_view path;  // "/index.html", "/app.js", ...
    std::string_view content_type;
    std::string_view data;
};

const Asset* find_asset(std::string_view path);

}  // namespace attnscope::server
