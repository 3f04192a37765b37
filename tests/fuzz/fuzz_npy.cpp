// The .npy reader (attention tensors from other tools): magic, version, header, shape against the data.
#include "attnscope/error.h"
#include "fuzz_util.h"
#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static attnscope::fuzz::MemFile file;
    const auto& path = file.write(data, size);
    try {
        const auto a = attnscope::io::read_npy(path);
        size_t n = 1;
        for (auto d : a.shape) n *= d;
        if (n != a.data.size()) __builtin_trap();
    } catch (const attnscope::Error&) {
    }
    return 0;
}
