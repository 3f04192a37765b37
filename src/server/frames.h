// The wire format for attention data: JSON metadata with binary float32 payloads, never nested JSON lists.
//
//   frame := u32 json_length | JSON | u32 payload_length | payload (little-endian float32 array)
//
// A response is a sequence of frames; /api/attention streams them as the layers are computed. Frames and
// HTTP chunks are independent: a client reads the body as one byte stream.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace attnscope::server {

std::string frame(const nlohmann::json& header, const float* data = nullptr, size_t count = 0);
// The start of a frame whose payload of payload_bytes follows separately: u32 json_length | JSON | u32
// payload_length. A large payload is written from where it lies rather than copied into one string.
std::string frame_header(const nlohmann::json& header, size_t payload_bytes);

}  // namespace attnscope::server
