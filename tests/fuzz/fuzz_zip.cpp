// The stored-zip reader torch.save archives go through: records, ZIP64 fields, entry bounds.
#include "attnscope/error.h"
#include "io/zip_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const auto entries = attnscope::io::read_stored_zip(data, size, "fuzz.zip");
        volatile uint8_t sink = 0;
        for (const auto& [name, e] : entries) {
            if (e.size && (e.data < data || e.data + e.size > data + size)) __builtin_trap();
            for (size_t i = 0; i < e.size; ++i) sink = sink ^ e.data[i];
        }
    } catch (const attnscope::Error&) {
    }
    return 0;
}
