// JSON pieces for the CLI: encodings as small objects, attention tensors streamed as nested arrays of
// shortest round-trip floats (every value parses back to the same float32).
#pragma once

#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "attnscope/model.h"
#include "attnscope/schema.h"
#include "attnscope/tokenizer.h"
#include "common.h"

namespace attnscope::cli {

// The schema's encoding object (attnscope/schema.h), to compose into the CLI's documents.
inline nlohmann::json encoding_json(const tokenizer::Encoding& e) {
    return nlohmann::json::parse(schema::encoding(e));
}

nlohmann::json model_json(const LoadedModel& m);

// [[a, b, ...], ...] for a rows × cols row-major matrix.
void append_matrix(fmt::memory_buffer& out, const float* m, size_t rows, size_t cols);
// [m0, m1, ...] for `count` consecutive rows × cols matrices.
void append_tensor3(fmt::memory_buffer& out, const float* t, size_t count, size_t rows, size_t cols);
// Nested arrays for a tensor with leading dims [outer][inner] of rows × cols matrices.
void append_tensor4(fmt::memory_buffer& out, const float* t, size_t outer, size_t inner, size_t rows, size_t cols);

}  // namespace attnscope::cli
