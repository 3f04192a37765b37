// The library's version: the one place it is written (CMakeLists.txt and pyproject.toml read it from here).
#pragma once

#define ATTNSCOPE_VERSION_MAJOR 0
#define ATTNSCOPE_VERSION_MINOR 2
#define ATTNSCOPE_VERSION_PATCH 0
#define ATTNSCOPE_VERSION_STRING "0.2.0"

namespace attnscope {
inline constexpr const char* kVersion = ATTNSCOPE_VERSION_STRING;
}  // namespace attnscope
