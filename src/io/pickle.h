// A restricted unpickler for PyTorch state dicts (pytorch_model.bin). It never executes code: it is a
// small stack machine over the opcodes a plain state dict uses, and the only "globals" it accepts are the
// ones such a file needs (collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter
// and the torch storage types). Anything else — os.system, builtins.eval, any other class or function —
// is refused with an Error that names it, before anything is called.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/tensor_view.h"

namespace attnscope::io::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// A storage's element type, from its pickled class (torch.FloatStorage, ...).
struct StorageType {
    DType dtype = DType::OTHER;
    size_t element_size = 0;
    std::string name;  // "FloatStorage"
};

// What persistent_load returns for a storage: its bytes (owned by the caller of the unpickler).
struct Storage {
    StorageType type;
    const uint8_t* data = nullptr;
    size_t bytes = 0;
};

// A tensor as _rebuild_tensor_v2 describes it: a view into a storage, in elements.
struct Tensor {
    std::shared_ptr<Storage> storage;
    int64_t offset = 0;
    std::vector<int64_t> size, stride;
};

struct Value {
    enum class Kind { None, Bool, Int, Float, String, Bytes, Tuple, List, Dict, Global, Storage, Tensor, Mark };
    Kind kind = Kind::None;
    bool b = false;
    int64_t i = 0;                 // Int; wider integers (LONG1 > 8 bytes) keep their bytes in s
    double f = 0;
    std::string s;                 // String, Bytes, and Global ("module.name")
    std::vector<ValuePtr> items;   // Tuple, List
    std::vector<std::pair<ValuePtr, ValuePtr>> dict;  // Dict, in insertion order
    std::shared_ptr<Storage> storage;
    std::shared_ptr<Tensor> tensor;
};

// Called for BINPERSID with the persistent id (a tuple); returns the storage it names.
using PersistentLoad = std::function<std::shared_ptr<Storage>(const Value& pid)>;

// Runs one pickle from bytes[0..size); *consumed receives the length of the pickle (up to and including
// STOP), so several pickles written back to back (the legacy format) can be read in turn. `source`
// names the file in errors.
ValuePtr load(const uint8_t* bytes, size_t size, const PersistentLoad& persistent_load, const std::string& source,
              size_t* consumed = nullptr);

// torch.<Name>Storage → its dtype; OTHER for unknown names.
StorageType storage_type(const std::string& class_name);

}  // namespace attnscope::io::pickle
