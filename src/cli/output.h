// Where a subcommand's output goes: stdout, or a file (util::FileWriter: every write checked; regular
// files written under a temporary name and renamed into place on commit(); FIFOs and devices in place).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "attnscope/file_writer.h"

namespace attnscope::cli {

class Output : public util::FileWriter {
  public:
    // "" or "-" = stdout. `atomic` files appear only on commit(); others are written as they go.
    explicit Output(const std::string& path, bool atomic = true)
        : util::FileWriter(path, atomic ? Mode::Atomic : Mode::Streaming) {}
    using util::FileWriter::write;
    void write(const fmt::memory_buffer& buf) { write(std::string_view(buf.data(), buf.size())); }
};

// A face's printed result on standard output, checked (fmt::print would leave a full disk unnoticed until
// the buffer is flushed at exit, where nobody checks).
template <typename... T>
void print_out(fmt::format_string<T...> format, T&&... args) {
    util::write_stdout(fmt::format(format, std::forward<T>(args)...));
}

}  // namespace attnscope::cli
