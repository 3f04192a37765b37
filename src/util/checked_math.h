// Overflow-checked size arithmetic for the readers of untrusted files (torch checkpoints, .npy, zip,
// safetensors). Every size, offset and stride in those files comes from an attacker: a product or sum
// that wraps turns a bounds check into an out-of-bounds read, so each one goes through these helpers
// and a wrap is reported as "does not fit" rather than silently reduced modulo 2^64.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>

namespace attnscope::util {

inline std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
    return r;
}

inline std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
    return r;
}

// Whether [offset, offset + length) lies inside [0, size), written so that nothing can wrap.
inline bool range_inside(uint64_t offset, uint64_t length, uint64_t size) {
    return offset <= size && length <= size - offset;
}

// Whether `count` elements of `element_size` bytes starting at element `first` lie inside a buffer of
// `size` bytes: first * element_size + count * element_size <= size, every step checked.
inline bool elements_inside(uint64_t first, uint64_t count, uint64_t element_size, uint64_t size) {
    const auto begin = checked_mul(first, element_size), length = checked_mul(count, element_size);
    return begin && length && range_inside(*begin, *length, size);
}

// The product of non-negative extents (a tensor's element count); nullopt when one is negative or
// the product does not fit in `limit`.
template <typename Range>
std::optional<uint64_t> checked_product(const Range& extents, uint64_t limit = UINT64_MAX) {
    uint64_t n = 1;
    for (auto e : extents) {
        if constexpr (std::is_signed_v<decltype(e)>) {
            if (e < 0) return std::nullopt;
        }
        auto next = checked_mul(n, static_cast<uint64_t>(e));
        if (!next || *next > limit) return std::nullopt;
        n = *next;
    }
    return n;
}

}  // namespace attnscope::util
