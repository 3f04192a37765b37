// JSON pieces for the CLI: encodings as small objects, attention tensors streamed as nested arrays of
// shortest round-trip floats (every value parses back to the same float32).
#pragma once

#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attnscope/encoding_json.h"
#include "attnscope/model.h"
#include "attnscope/tokenizer.h"
#include "common.h"

namespace attnscope::cli {

nlohmann::json model_json(const LoadedModel& m);

// [[a, b, ...], ...] for a rows × cols row-major matrix.
void append_matrix(fmt::memory_buffer& out, const float* m, size_t rows, size_t cols);
// [m0, m1, ...] for `count` consecutive rows × cols matrices.
void append_tensor3(fmt::memory_buffer& out, const float* t, size_t count, size_t rows, size_t cols);
// Nested arrays for a tensor with leading dims [outer][inner] of rows × cols matrices.
void append_tensor4(fmt::memory_buffer& out, const float* t, size_t outer, size_t inner, size_t rows, size_t cols);

}  // namespace attnscope::cli
