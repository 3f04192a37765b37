// A restricted unpickler for PyTorch state dicts (pytorch_model.bin). It never executes code: it is a
// small stack machine over the opcodes a plain state dict uses, and the only "globals" it accepts are the
// ones such a file needs (collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter
// and the torch storage types). Anything else — os.system, builtins.eval, any other class or function —
// is refused with an Error that names it, before anything is called.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/tensor_view.h"

namespace attnscope::io::pickle {

struct Value;
// Values are owned by an Arena and point at each other with plain pointers: freeing a pickle nested two
// million deep is then one flat loop over the arena, never a recursive destructor (shared_ptr children
// overflowed the stack), and a reference cycle cannot leak.
using ValuePtr = Value*;

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
    int64_t i = 0;  // Int; wider integers (LONG1 > 8 bytes) keep their bytes in s
    double f = 0;
    std::string s;                                    // String, Bytes, and Global ("module.name")
    std::vector<ValuePtr> items;                      // Tuple, List
    std::vector<std::pair<ValuePtr, ValuePtr>> dict;  // Dict, in insertion order
    std::shared_ptr<Storage> storage;
    std::shared_ptr<Tensor> tensor;
    // Containers: 1 + the depth of the deepest child (0 for scalars). A container that is already inside
    // another one is never changed again (load() refuses that), so the depth stays true and no cycle forms.
    size_t depth = 0;
    bool contained = false;
};

// An Int that fits in int64 (wider ones keep their bytes in s and must not be read as i).
inline bool is_int64(const Value& v) {
    return v.kind == Value::Kind::Int && v.s.empty();
}

// Owns every Value one or more load() calls create; they live as long as the arena.
class Arena {
  public:
    ValuePtr make(Value::Kind kind);
    size_t size() const { return values_.size(); }

  private:
    std::deque<Value> values_;  // a deque: growing it never moves the values pointers refer to
};

// The deepest nesting of containers load() accepts. A state dict needs four (dict → REDUCE arguments →
// size tuple → int); Python's own unpickler would overflow its C stack near 100,000.
constexpr size_t kMaxDepth = 1000;

// Called for BINPERSID with the persistent id (a tuple); returns the storage it names.
using PersistentLoad = std::function<std::shared_ptr<Storage>(const Value& pid)>;

// Runs one pickle from bytes[0..size); *consumed receives the length of the pickle (up to and including
// STOP), so several pickles written back to back (the legacy format) can be read in turn. `source`
// names the file in errors.
// The values live in `arena`.
ValuePtr load(Arena& arena, const uint8_t* bytes, size_t size, const PersistentLoad& persistent_load,
              const std::string& source, size_t* consumed = nullptr);

// torch.<Name>Storage → its dtype; OTHER for unknown names.
StorageType storage_type(const std::string& class_name);

}  // namespace attnscope::io::pickle
