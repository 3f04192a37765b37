// A checkpoint file whose tensors the weight loader reads: model.safetensors or pytorch_model.bin.
#pragma once

#include <map>
#include <string>

#include "io/mapped_file.h"
#include "io/tensor_view.h"

namespace attnscope::io {

class TensorFile {
  public:
    virtual ~TensorFile() = default;
    // Views into the memory map (or into buffers the file object owns), by state-dict key.
    virtual const std::map<std::string, TensorView>& tensors() const = 0;
    virtual const MappedFile& file() const = 0;
};

}  // namespace attnscope::io
