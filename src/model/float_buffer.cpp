#include <fmt/format.h>

#include <algorithm>

#include "attnscope/error.h"
#include "attnscope/trace.h"

namespace attnscope {

void FloatBuffer::resize(size_t n) {
    if (borrowed_) {
        if (n != size_) {
            throw Error(fmt::format("an output array of {} floats was given where {} are needed", size_, n));
        }
        return;
    }
    owned_.resize(n);
    point_at_owned();
}

void FloatBuffer::assign(size_t n, float value) {
    resize(n);
    std::fill(begin(), end(), value);
}

void FloatBuffer::clear() {
    owned_ = {};
    borrowed_ = false;
    data_ = nullptr;
    size_ = 0;
}

bool FloatBuffer::operator==(const FloatBuffer& o) const {
    return std::equal(begin(), end(), o.begin(), o.end());
}

}  // namespace attnscope
