#include "npy_writer.h"

#include <fmt/format.h>

#include "output.h"

namespace attnscope::cli {

std::string npy_header(const std::vector<size_t>& shape) {
    std::string dims;
    for (size_t i = 0; i < shape.size(); ++i) dims += fmt::format("{}{}", i ? ", " : "", shape[i]);
    if (shape.size() == 1) dims += ",";
    std::string dict = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims);
    // Magic (6) + version (2) + length (2) + dict + padding + '\n' is a multiple of 64 (numpy's alignment).
    size_t total = 10 + dict.size() + 1;
    size_t padded = (total + 63) / 64 * 64;
    dict.append(padded - total, ' ');
    dict.push_back('\n');
    std::string header("\x93NUMPY\x01\x00", 8);
    header.push_back(static_cast<char>(dict.size() & 0xFF));
    header.push_back(static_cast<char>((dict.size() >> 8) & 0xFF));
    return header + dict;
}

void write_npy(const std::string& path, const float* data, const std::vector<size_t>& shape) {
    size_t count = 1;
    for (size_t d : shape) count *= d;
    Output out(path, true);
    out.write(npy_header(shape));
    out.write(std::string_view(reinterpret_cast<const char*>(data), count * sizeof(float)));
    out.commit();
}

}  // namespace attnscope::cli
