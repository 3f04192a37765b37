// The server's request framing (src/server/request_framing.h, a pure function): where a request in the
// bytes received so far ends, or why it is refused.
#include <string_view>

#include "request_framing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using attnscope::server::RequestFrame;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const RequestFrame f = attnscope::server::frame_request(in, 8192, 1 << 20);
    // A complete request names its length; a refusal carries an HTTP error status.
    if (f.state == RequestFrame::State::Complete && (!f.length || *f.length > size)) __builtin_trap();
    if (f.state == RequestFrame::State::Refused && (f.status < 400 || f.status > 599)) __builtin_trap();
    if (f.expect_continue &&
        (f.expect_continue->first > f.expect_continue->second || f.expect_continue->second > size)) {
        __builtin_trap();
    }
    return 0;
}
