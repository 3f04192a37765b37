// The wire format for attention data: JSON metadata with binary float32 payloads, never nested JSON lists.
//
//   frame := u32 json_length | JSON | u32 payload_length | payload (little-endian float32 array)
//
// A response is a sequence of frames; /api/attention streams them as the layers are computed.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace attnscope::server {

std::string frame(const nlohmann::json& header, const float* data = nullptr, size_t count = 0);

}  // namespace attnscope::server
