// The one way attnscope writes an output, to a file or to standard output. Every write is checked: a
// failure (a full disk, a closed pipe) is one attnscope::Error naming the destination — the path, or
// "standard output" — never a silent exit 0 or an "internal error".
//
// Regular files (and paths that do not exist yet) are written atomically when asked: under a temporary
// sibling name, renamed into place on commit(), so an interrupted run never leaves half a result. A path
// that exists and is not a regular file (a FIFO, a character device, /dev/stdout) is written in place: a
// rename would replace the node itself with a plain file.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace attnscope::util {

class FileWriter {
  public:
    enum class Mode {
        Atomic,     // appears complete on commit(), or not at all
        Streaming,  // written as it goes (a stream a reader follows)
    };
    // "" or "-" = standard output.
    explicit FileWriter(const std::filesystem::path& path, Mode mode = Mode::Atomic);
    ~FileWriter();  // without commit(), an atomic file's temporary is removed
    FileWriter(const FileWriter&) = delete;
    FileWriter& operator=(const FileWriter&) = delete;

    void write(std::string_view bytes);
    void flush();
    // Flushes and closes (renames an atomic file into place); throws Error when anything failed.
    void commit();
    bool is_stdout() const { return f_ == stdout; }
    // The path as given, or "standard output".
    const std::string& name() const { return name_; }

  private:
    [[noreturn]] void fail(const char* what, int err);
    FILE* f_ = nullptr;
    std::string name_;
    std::filesystem::path target_, tmp_;  // tmp_ empty: written in place
    bool committed_ = false;
};

// Checked writes to standard output for the faces' printed results (formatted text, JSON).
void write_stdout(std::string_view bytes);
// Flushes standard output; throws Error("standard output: write failed: ...") when any write failed.
void flush_stdout();

}  // namespace attnscope::util
