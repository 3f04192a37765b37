#include "io/npy.h"

#include <fmt/format.h>

#include <cstring>
#include <regex>

#include "attnscope/error.h"
#include "util/files.h"

namespace attnscope::io {

NpyArray read_npy(const std::filesystem::path& path) {
    const std::string bytes = util::read_text_file(path);
    const std::string src = path.string();
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw Error(fmt::format("{}: not a .npy file", src));
    const int major = static_cast<unsigned char>(bytes[6]);
    size_t header_len = 0, offset = 0;
    if (major == 1) {
        header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw Error(fmt::format("{}: truncated header", src));
        for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + static_cast<size_t>(i)])) << (8 * i);
        offset = 12;
    } else {
        throw Error(fmt::format("{}: unsupported .npy version {}", src, major));
    }
    if (offset + header_len > bytes.size()) throw Error(fmt::format("{}: truncated header", src));
    const std::string header = bytes.substr(offset, header_len);
    std::smatch m;
    static const std::regex descr_re(R"('descr'\s*:\s*'([^']*)')"), order_re(R"('fortran_order'\s*:\s*(True|False))"),
        shape_re(R"('shape'\s*:\s*\(([^)]*)\))");
    if (!std::regex_search(header, m, descr_re)) throw Error(fmt::format("{}: no dtype in the header", src));
    const std::string descr = m[1];
    if (descr != "<f4" && descr != "<f8") throw Error(fmt::format("{}: dtype {} (expected little-endian float32 or float64)", src, descr));
    if (std::regex_search(header, m, order_re) && m[1] == "True") throw Error(fmt::format("{}: Fortran order is not supported", src));
    if (!std::regex_search(header, m, shape_re)) throw Error(fmt::format("{}: no shape in the header", src));
    NpyArray out;
    const std::string dims = m[1];
    static const std::regex num_re(R"(\d+)");
    size_t count = 1;
    for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num_re); it != std::sregex_iterator(); ++it) {
        out.shape.push_back(std::stoull(it->str()));
        count *= out.shape.back();
    }
    const size_t width = descr == "<f4" ? 4 : 8;
    const size_t data_at = offset + header_len;
    if (bytes.size() - data_at != count * width) {
        throw Error(fmt::format("{}: {} bytes of data for shape with {} elements of {} bytes (truncated?)", src,
                                bytes.size() - data_at, count, width));
    }
    out.data.resize(count);
    if (width == 4) {
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
