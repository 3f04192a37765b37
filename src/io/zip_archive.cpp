#include "io/zip_archive.h"

#include <fmt/format.h>

#include <algorithm>

#include "attnscope/error.h"
#include "util/checked_math.h"

namespace attnscope::io {
namespace {

constexpr uint32_t kEndOfCentralDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kCentralEntry = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;

class Reader {
  public:
    Reader(const uint8_t* p, size_t n, const std::string& source) : p_(p), n_(n), source_(source) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw Error(fmt::format("{}: not a readable PyTorch zip checkpoint: {}", source_, what));
    }
    void need(uint64_t offset, uint64_t length) const {
        if (!util::range_inside(offset, length, n_))
            fail("a record points past the end of the file (is it truncated?)");
    }
    uint16_t u16(uint64_t at) const {
        need(at, 2);
        return static_cast<uint16_t>(p_[at] | (p_[at + 1] << 8));
    }
    uint32_t u32(uint64_t at) const {
        need(at, 4);
        return static_cast<uint32_t>(p_[at]) | (static_cast<uint32_t>(p_[at + 1]) << 8) |
               (static_cast<uint32_t>(p_[at + 2]) << 16) | (static_cast<uint32_t>(p_[at + 3]) << 24);
    }
    uint64_t u64(uint64_t at) const { return u32(at) | (static_cast<uint64_t>(u32(at + 4)) << 32); }
    size_t size() const { return n_; }
    const uint8_t* at(uint64_t offset) const { return p_ + offset; }

  private:
    const uint8_t* p_;
    size_t n_;
    const std::string& source_;
};

}  // namespace

std::map<std::string, ZipEntry> read_stored_zip(const uint8_t* bytes, size_t size, const std::string& source) {
    Reader r(bytes, size, source);
    if (size < 22) r.fail("too short for a zip archive");
    // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
    uint64_t eocd = UINT64_MAX;
    const size_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
    for (size_t at = size - 22 + 1; at-- > lowest;) {
        if (r.u32(at) == kEndOfCentralDirectory) {
            eocd = at;
            break;
        }
    }
    if (eocd == UINT64_MAX) r.fail("no end-of-central-directory record (the file is truncated or not a zip)");
    uint64_t entries = r.u16(eocd + 10), directory_size = r.u32(eocd + 12), directory_offset = r.u32(eocd + 16);
    if (entries == 0xFFFF || directory_size == 0xFFFFFFFF || directory_offset == 0xFFFFFFFF) {
        if (eocd < 20 || r.u32(eocd - 20) != kZip64Locator) r.fail("a ZIP64 archive without its locator");
        const uint64_t end64 = r.u64(eocd - 20 + 8);
        if (r.u32(end64) != kZip64End) r.fail("the ZIP64 end record is missing");
        entries = r.u64(end64 + 32);
        directory_size = r.u64(end64 + 40);
        directory_offset = r.u64(end64 + 48);
    }
    r.need(directory_offset, directory_size);

    std::map<std::string, ZipEntry> out;
    uint64_t at = directory_offset;
    for (uint64_t e = 0; e < entries; ++e) {
        if (r.u32(at) != kCentralEntry) r.fail("a damaged central directory");
        const uint16_t method = r.u16(at + 10);
        uint64_t compressed = r.u32(at + 20), uncompressed = r.u32(at + 24);
        const uint16_t name_length = r.u16(at + 28), extra_length = r.u16(at + 30), comment_length = r.u16(at + 32);
        uint64_t local = r.u32(at + 42);
        r.need(at + 46, static_cast<uint64_t>(name_length) + extra_length + comment_length);
        std::string name(reinterpret_cast<const char*>(r.at(at + 46)), name_length);
        // ZIP64 extra field: the 64-bit values of the fields that read 0xFFFFFFFF, in this order.
        uint64_t x = at + 46 + name_length;
        const uint64_t x_end = x + extra_length;
        while (x + 4 <= x_end) {
            const uint16_t id = r.u16(x), length = r.u16(x + 2);
            if (id == 0x0001) {
                uint64_t f = x + 4;
                if (uncompressed == 0xFFFFFFFF) uncompressed = r.u64(f), f += 8;
                if (compressed == 0xFFFFFFFF) compressed = r.u64(f), f += 8;
                if (local == 0xFFFFFFFF) local = r.u64(f);
            }
            x += 4 + static_cast<uint64_t>(length);
        }
        if (method != 0) {
            r.fail(fmt::format("entry '{}' is compressed (method {}); torch.save writes stored entries", name, method));
        }
        if (compressed != uncompressed) r.fail(fmt::format("entry '{}' has inconsistent sizes", name));
        if (r.u32(local) != kLocalHeader) r.fail(fmt::format("entry '{}' has no local header", name));
        const uint64_t data = local + 30 + r.u16(local + 26) + r.u16(local + 28);
        r.need(data, compressed);
        if (!out.emplace(name, ZipEntry{r.at(data), static_cast<size_t>(compressed)}).second) {
            r.fail(fmt::format("entry '{}' appears twice", name));
        }
        at += 46 + static_cast<uint64_t>(name_length) + extra_length + comment_length;
    }
    return out;
}

}  // namespace attnscope::io
