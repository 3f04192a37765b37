#include "option_checks.h"

#include <fmt/format.h>

#include "attnscope/trace.h"

namespace attnscope::cli {
namespace {

// Parses a decimal integer with an optional sign; false when it is not one or does not fit.
bool parse_integer(const std::string& v, long long& out) {
    size_t i = 0;
    bool negative = false;
    if (i < v.size() && (v[i] == '-' || v[i] == '+')) negative = v[i++] == '-';
    if (i == v.size()) return false;
    unsigned long long value = 0;
    for (; i < v.size(); ++i) {
        if (v[i] < '0' || v[i] > '9') return false;
        const unsigned digit = static_cast<unsigned>(v[i] - '0');
        if (value > (static_cast<unsigned long long>(INT64_MAX) - digit) / 10) return false;
        value = value * 10 + digit;
    }
    out = negative ? -static_cast<long long>(value) : static_cast<long long>(value);
    return true;
}

}  // namespace

CLI::Validator non_negative(uint64_t max) {
    return CLI::Validator(
        [max](std::string& v) -> std::string {
            size_t i = v.size() > 1 && v[0] == '+' ? 1 : 0;
            if (i == v.size() || v.find_first_not_of("0123456789", i) != std::string::npos) {
                return v.find('-') != std::string::npos ? "must be 0 or more, not " + v
                                                        : "expected a whole number, not '" + v + "'";
            }
            unsigned long long value = 0;
            for (; i < v.size(); ++i) {
                const unsigned digit = static_cast<unsigned>(v[i] - '0');
                if (value > (UINT64_MAX - digit) / 10) return fmt::format("{}: too large (at most {})", v, max);
                value = value * 10 + digit;
                if (value > max) return fmt::format("{}: too large (at most {})", v, max);
            }
            return {};
        },
        "≥ 0", "non-negative");
}

CLI::Validator int_in(long long min, long long max) {
    return CLI::Validator(
        [min, max](std::string& v) -> std::string {
            long long value = 0;
            if (!parse_integer(v, value) || value < min || value > max) {
                return fmt::format("'{}': expected a whole number from {} to {}", v, min, max);
            }
            return {};
        },
        fmt::format("{}…{}", min, max), "int range");
}

CLI::Validator thread_count() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            long long value = 0;
            if (!parse_integer(v, value) || value < 0 || value > kMaxThreads) {
                return fmt::format("{}: expected 0 (one per core) to {} threads", v, kMaxThreads);
            }
            return {};
        },
        fmt::format("0…{}", kMaxThreads), "threads");
}

CLI::Validator non_empty() {
    return CLI::Validator([](std::string& v) { return v.empty() ? std::string("must not be empty") : std::string(); },
                          "", "non-empty");
}

CLI::Validator int_list(long long min, long long max) {
    return CLI::Validator(
        [min, max](std::string& v) -> std::string {
            if (v.empty()) return "must not be empty";
            size_t start = 0;
            while (true) {
                const size_t comma = v.find(',', start);
                const std::string item =
                    v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                long long value = 0;
                if (item.empty())
                    return fmt::format("'{}': an empty element (expected numbers separated by commas)", v);
                if (!parse_integer(item, value) || value < min || value > max) {
                    return min == 0 && max == 1
                               ? fmt::format("'{}': expected 0 (masked) or 1 (attend)", item)
                               : fmt::format("'{}': expected whole numbers from {} to {}", item, min, max);
                }
                if (comma == std::string::npos) return {};
                start = comma + 1;
            }
        },
        "N,N,...", "int list");
}

std::vector<int32_t> parse_int_list(const std::string& text) {
    std::vector<int32_t> out;
    if (text.empty()) return out;
    size_t start = 0;
    while (true) {
        const size_t comma = text.find(',', start);
        long long value = 0;
        parse_integer(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start), value);
        out.push_back(static_cast<int32_t>(value));
        if (comma == std::string::npos) return out;
        start = comma + 1;
    }
}

}  // namespace attnscope::cli
