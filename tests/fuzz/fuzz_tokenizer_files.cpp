// The tokenizer files of a model folder. The first byte picks the layout:
//   0: tokenizer.json       1: vocab.txt       2: vocab.json + merges.txt (split at the first NUL byte)
// and tokenizer_config.json is absent. A tokenizer that loads must then encode text without failing
// other than with attnscope::Error.
#include <cstdio>
#include <filesystem>
#include <string>

#include "attnscope/error.h"
#include "attnscope/tokenizer.h"
#include "fuzz_util.h"

namespace {

void put(const std::filesystem::path& path, const char* data, size_t size) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fs = std::filesystem;
    if (size < 1) return 0;
    const fs::path& dir = attnscope::fuzz::scratch_dir();
    for (const char* name : {"tokenizer.json", "vocab.txt", "vocab.json", "merges.txt"}) fs::remove(dir / name);
    const char* body = reinterpret_cast<const char*>(data + 1);
    const size_t n = size - 1;
    switch (data[0] % 3) {
        case 0:
            put(dir / "tokenizer.json", body, n);
            break;
        case 1:
            put(dir / "vocab.txt", body, n);
            break;
        default: {
            const std::string s(body, n);
            const size_t cut = s.find('\0');
            const std::string vocab = s.substr(0, cut), merges = cut == std::string::npos ? "" : s.substr(cut + 1);
            put(dir / "vocab.json", vocab.data(), vocab.size());
            put(dir / "merges.txt", merges.data(), merges.size());
        }
    }
    try {
        const auto tok = attnscope::tokenizer::Tokenizer::from_directory(dir);
        for (const char* text : {"Hello, world! [MASK] héllo 中文", "a b  c\t\u00e9\u0301", ""}) {
            const auto e = tok.encode(text);
            (void)tok.encode(text, std::string_view("second"));
            (void)e;
        }
    } catch (const attnscope::Error&) {
    }
    return 0;
}
