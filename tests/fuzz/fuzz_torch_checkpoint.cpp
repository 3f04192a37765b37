// A whole pytorch_model.bin: zip or legacy container, the pickle, and the rebuild of every tensor view
// (offsets, sizes, strides against the storages). Accepted tensors are read end to end.
#include "attnscope/error.h"
#include "fuzz_util.h"
#include "io/torch_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static attnscope::fuzz::MemFile file;
    const auto& path = file.write(data, size);
    try {
        attnscope::io::TorchCheckpoint ckpt(path);
        volatile uint8_t sink = 0;
        for (const auto& [name, t] : ckpt.tensors()) {
            for (size_t i = 0; i < t.nbytes; ++i) sink = sink ^ t.data[i];
        }
    } catch (const attnscope::Error&) {
    }
    return 0;
}
