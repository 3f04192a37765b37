// The entries of an uncompressed ("stored") zip archive inside a memory map, as zero-copy byte ranges:
// the container torch.save has written since PyTorch 1.6. Hand-written rather than libzip because libzip
// copies every entry out, while the weights should be used straight from the map (as with safetensors).
// ZIP64 records are understood; compressed entries are refused (torch never writes them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace attnscope::io {

struct ZipEntry {
    const uint8_t* data = nullptr;
    size_t size = 0;
};

// Throws Error (naming `source`) for anything that is not a well-formed zip with stored entries.
std::map<std::string, ZipEntry> read_stored_zip(const uint8_t* bytes, size_t size, const std::string& source);

}  // namespace attnscope::io
