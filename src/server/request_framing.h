// Where an HTTP/1.1 request ends in the bytes received so far: the blank line after the headers, then
// Content-Length bytes of body. The server's event thread waits for that much before a worker sees the
// request (connections.h), so this reads the head strictly: whatever httplib could frame differently (and
// then wait on the socket for) is refused here instead. A pure function, tested over HTTP
// (tests/server/test_framing.py) and fit for fuzzing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace attnscope::server {

struct RequestFrame {
    enum class State { Incomplete, Complete, Refused };
    State state = State::Incomplete;
    // Once the head is complete: the request's whole length, head and body.
    std::optional<size_t> length;
    // The "Expect: 100-continue" line, [begin, end) with its CRLF: the client sends the body only after
    // an interim "100 Continue".
    std::optional<std::pair<size_t, size_t>> expect_continue;
    // Refused: the answer.
    int status = 0;
    std::string reason, message;
};

RequestFrame frame_request(std::string_view received, size_t max_head_bytes, size_t max_body_bytes);

}  // namespace attnscope::server
