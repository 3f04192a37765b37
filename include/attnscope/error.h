// The one error type of the library. Every failure that user input can cause (a missing file, a malformed
// checkpoint, invalid UTF-8, an over-long text ...) is reported as an attnscope::Error whose message is a
// single line naming the file or field and what was expected. Faces print it (CLI) or return it as JSON
// with a 4xx status (server); nothing user-supplied may crash the process.
#pragma once

#include <stdexcept>
#include <string>

namespace attnscope {

class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace attnscope
