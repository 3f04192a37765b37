#include "request_framing.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace attnscope::server {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The methods httplib reads a body for (detail::expect_content), with or without a length.
bool has_body(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "PRI" || method == "DELETE";
}

RequestFrame refused(int status, std::string reason, std::string message) {
    RequestFrame f;
    f.state = RequestFrame::State::Refused;
    f.status = status;
    f.reason = std::move(reason);
    f.message = std::move(message);
    return f;
}

}  // namespace

RequestFrame frame_request(std::string_view in, size_t max_head_bytes, size_t max_body_bytes) {
    const size_t head_end = in.find("\r\n\r\n");
    if (head_end == std::string_view::npos ? in.size() > max_head_bytes : head_end + 4 > max_head_bytes) {
        return refused(431, "Request Header Fields Too Large",
                       fmt::format("the request line and headers are longer than {} KiB", max_head_bytes >> 10));
    }
    if (head_end == std::string_view::npos) return {};
    const std::string_view head = in.substr(0, head_end);
    const size_t line_end = head.find("\r\n");
    const std::string_view request_line = head.substr(0, line_end);
    if (request_line.find_first_of(std::string_view("\n\0", 2)) != std::string_view::npos) {
        return refused(400, "Bad Request", "a malformed request line");
    }
    const std::string_view method = request_line.substr(0, request_line.find(' '));
    RequestFrame f;
    std::optional<unsigned long long> length;
    bool chunked = false;
    for (size_t begin = line_end == std::string_view::npos ? head.size() : line_end + 2; begin < head.size();) {
        const size_t end = std::min(head.find("\r\n", begin), head.size());
        const std::string_view line = head.substr(begin, end - begin);
        const size_t colon = line.find(':');
        const std::string_view name = line.substr(0, colon);
        // httplib skips lines it cannot read and would then frame the request without them.
        if (colon == std::string_view::npos || colon == 0 || name.find_first_of(" \t") != std::string_view::npos ||
            line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
            return refused(400, "Bad Request", "a malformed request header line");
        }
        const std::string_view value = trim(line.substr(colon + 1));
        // httplib percent-decodes header values, so the Host and Origin checks would judge another value
        // than the one sent ("%6cocalhost" became localhost); no browser sends a percent sign in these.
        for (std::string_view checked : {"Host", "Origin", "Sec-Fetch-Site", "Content-Type"}) {
            if (iequals(name, checked) && value.find('%') != std::string_view::npos) {
                return refused(400, "Bad Request", fmt::format("a percent sign in the {} header", checked));
            }
        }
        if (iequals(name, "Content-Length")) {
            // httplib reads "12abc" as 12 (strtoull); a digit string of at most 18 digits cannot overflow.
            if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string_view::npos) {
                return refused(400, "Bad Request", "Content-Length is not a number");
            }
            const unsigned long long v = std::stoull(std::string(value));
            if (length && *length != v) return refused(400, "Bad Request", "two different Content-Length headers");
            length = v;
        } else if (iequals(name, "Transfer-Encoding")) {
            chunked = true;
        } else if (iequals(name, "Expect") && iequals(value, "100-continue")) {
            f.expect_continue = std::pair{begin, end + 2};
        }
        begin = end + 2;
    }
    if (chunked) {
        return refused(411, "Length Required",
                       "send the request body with a Content-Length (a chunked body is not taken)");
    }
    if (!length && has_body(method))
        return refused(411, "Length Required", "a request with a body needs a Content-Length");
    if (length && *length > max_body_bytes) return refused(413, "Payload Too Large", "the request body is too large");
    f.length = head_end + 4 + static_cast<size_t>(length.value_or(0));
    f.state = in.size() >= *f.length ? RequestFrame::State::Complete : RequestFrame::State::Incomplete;
    return f;
}

}  // namespace attnscope::server
