// Where a subcommand's output goes: stdout, or a file written under a temporary name and renamed into
// place when complete (so an interrupted run never leaves a half-written result behind).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace attnscope::cli {

class Output {
public:
    // "" or "-" = stdout. `atomic` files appear only on commit(); others are written as they go.
    explicit Output(const std::string& path, bool atomic = true);
    ~Output();
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;

    void write(std::string_view bytes);
    void write(const fmt::memory_buffer& buf) { write(std::string_view(buf.data(), buf.size())); }
    void flush();
    void commit();
    bool is_stdout() const { return f_ == stdout; }
    const std::string& path() const { return path_; }

private:
    FILE* f_ = nullptr;
    std::string path_, tmp_;
    bool committed_ = false;
};

}  // namespace attnscope::cli
