#include "io/npy.h"

#include <fmt/format.h>

#include <cstring>
#include <regex>

#include "attnscope/error.h"
#include "util/checked_math.h"
#include "util/files.h"

namespace attnscope::io {

namespace {
constexpr size_t kMaxHeader = 10000;
}  // namespace

NpyArray read_npy(const std::filesystem::path& path) {
    const std::string bytes = util::read_text_file(path);
    const std::string src = path.string();
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
        throw Error(fmt::format("{}: not a .npy file", src));
    const int major = static_cast<unsigned char>(bytes[6]);
    size_t header_len = 0, offset = 0;
    if (major == 1) {
        header_len =
            static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw Error(fmt::format("{}: truncated header", src));
        for (int i = 0; i < 4; ++i)
            header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + static_cast<size_t>(i)])) << (8 * i);
        offset = 12;
    } else {
        throw Error(fmt::format("{}: unsupported .npy version {}", src, major));
    }
    // numpy itself refuses headers over 10,000 bytes (max_header_size) for the same reason: the header is
    // untrusted text that is parsed (here with std::regex, whose matcher recurses per character).
    if (header_len > kMaxHeader) {
        throw Error(
            fmt::format("{}: a {}-byte header is more than the {} bytes numpy writes", src, header_len, kMaxHeader));
    }
    if (!util::range_inside(offset, header_len, bytes.size())) throw Error(fmt::format("{}: truncated header", src));
    const std::string header = bytes.substr(offset, header_len);
    std::smatch m;
    static const std::regex descr_re(R"('descr'\s*:\s*'([^']*)')"), order_re(R"('fortran_order'\s*:\s*(True|False))"),
        shape_re(R"('shape'\s*:\s*\(([^)]*)\))");
    if (!std::regex_search(header, m, descr_re)) throw Error(fmt::format("{}: no dtype in the header", src));
    const std::string descr = m[1];
    if (descr != "<f4" && descr != "<f8")
        throw Error(fmt::format("{}: dtype {} (expected little-endian float32 or float64)", src, descr));
    if (std::regex_search(header, m, order_re) && m[1] == "True")
        throw Error(fmt::format("{}: Fortran order is not supported", src));
    if (!std::regex_search(header, m, shape_re)) throw Error(fmt::format("{}: no shape in the header", src));
    NpyArray out;
    const std::string dims = m[1];
    static const std::regex num_re(R"(\d+)");
    for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num_re); it != std::sregex_iterator(); ++it) {
        // std::stoull would throw std::out_of_range on 30 digits; a dimension that large fits no file anyway.
        const std::string digits = it->str();
        if (digits.size() > 18) throw Error(fmt::format("{}: dimension {} is too large", src, digits));
        out.shape.push_back(static_cast<size_t>(std::stoull(digits)));
    }
    const size_t width = descr == "<f4" ? 4 : 8;
    const size_t data_at = offset + header_len;
    // Overflow-checked: a shape whose product wraps to the data size would otherwise pass.
    const auto count_checked = util::checked_product(out.shape);
    const auto data_bytes = count_checked ? util::checked_mul(*count_checked, width) : std::nullopt;
    if (!data_bytes) throw Error(fmt::format("{}: the shape's element count does not fit in 64 bits", src));
    const size_t count = static_cast<size_t>(*count_checked);
    if (bytes.size() - data_at != *data_bytes) {
        throw Error(fmt::format("{}: {} bytes of data for shape with {} elements of {} bytes (truncated?)", src,
                                bytes.size() - data_at, count, width));
    }
    out.data.resize(count);
    if (width == 4) {
        if (count > 0)  // an empty vector's data() may be null, which memcpy must not get (found by fuzz_npy)
            std::memcpy(out.data.data(), bytes.data() + data_at, count * 4);
    } else {
        for (size_t i = 0; i < count; ++i) {
            double d;
            std::memcpy(&d, bytes.data() + data_at + i * 8, 8);
            out.data[i] = static_cast<float>(d);
        }
    }
    return out;
}

}  // namespace attnscope::io
