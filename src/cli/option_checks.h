// The validators every subcommand's options use, in one place: a value the program cannot honour is a
// one-line usage error (exit 2) before any work, never a wrap-around, a saturated number or a crash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace attnscope::cli {

// For counts, positions and lengths held in unsigned integers: digits only (CLI11 would wrap "-3" around
// to 2⁶⁴ − 3 and saturate 10²³ to 2⁶⁴ − 1), at most `max`.
CLI::Validator non_negative(uint64_t max = UINT32_MAX);
// --max-length: far beyond any model's positions, far below a size that overflows the arithmetic.
inline constexpr uint64_t kMaxLengthOption = 1u << 24;
// An integer from `min` to `max` (for int options; CLI11's own Range prints its bounds as doubles).
CLI::Validator int_in(long long min, long long max);
// --threads: 0 (one per core) to kMaxThreads — the library refuses more, and OpenMP crashes on far more.
CLI::Validator thread_count();
// A value that must not be empty (--ablate '', --heads '', and each element of a comma-separated list:
// "--input-ids ''" would otherwise run one token 0).
CLI::Validator non_empty();
// A comma-separated list of whole numbers from `min` to `max`, none empty ("101,,102" and "" are
// refused: CLI11's own delimiter drops empty pieces, and an empty list ran one token 0).
CLI::Validator int_list(long long min, long long max);
// The list int_list() accepted, as numbers.
std::vector<int32_t> parse_int_list(const std::string& text);

}  // namespace attnscope::cli
