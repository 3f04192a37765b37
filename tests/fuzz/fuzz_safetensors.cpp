// The safetensors header (JSON) and its offsets, dtypes and shapes against the data section.
#include <map>

#include "attnscope/error.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::map<std::string, attnscope::io::TensorView> tensors;
    try {
        attnscope::io::validate_safetensors_bytes(data, size, "fuzz.safetensors", &tensors, nullptr);
    } catch (const attnscope::Error&) {
        return 0;
    }
    // What was accepted must lie inside the input: touch every byte of every tensor.
    volatile uint8_t sink = 0;
    for (const auto& [name, t] : tensors) {
        if (t.nbytes && (t.data < data || t.data + t.nbytes > data + size)) __builtin_trap();
        for (size_t i = 0; i < t.nbytes; ++i) sink = sink ^ t.data[i];
    }
    return 0;
}
