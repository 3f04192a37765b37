// pytorch_model.bin: a state dict written by torch.save, in the zip format (PyTorch ≥ 1.6) or the legacy
// pre-1.6 stream, read without Python and without running any code (io/pickle.h). Contiguous tensors are
// zero-copy views into the memory map; strided views are gathered into owned buffers.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/mapped_file.h"
#include "io/tensor_file.h"

namespace attnscope::io {

class TorchCheckpoint : public TensorFile {
  public:
    // Throws Error naming the file and the defect: not a checkpoint, truncated, a pickle that refers to
    // anything but a plain state dict, storages that do not hold the tensors they claim.
    explicit TorchCheckpoint(const std::filesystem::path& path);

    const std::map<std::string, TensorView>& tensors() const override { return tensors_; }
    const MappedFile& file() const override { return *file_; }
    const std::string& format() const { return format_; }  // "zip" or "legacy"

  private:
    void read_zip();
    void read_legacy();
    struct Collected;
    void collect(const Collected& state_dict);

    std::unique_ptr<MappedFile> file_;
    std::string source_;
    std::string format_;
    std::map<std::string, TensorView> tensors_;
    std::vector<std::vector<uint8_t>> owned_;  // gathered strided views
};

}  // namespace attnscope::io
