#include "io/pickle.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "attnscope/error.h"

namespace attnscope::io::pickle {
namespace {

using Kind = Value::Kind;

// The most values the stack may hold at once. A state dict's deepest moment is one SETITEMS batch
// (Python's pickler writes 1,000 pairs per batch: ~2,000 values); the bound stops a file of a million
// EMPTY_LISTs before it costs hundreds of megabytes.
constexpr size_t kMaxStack = 100000;

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::None:
            return "None";
        case Kind::Bool:
            return "bool";
        case Kind::Int:
            return "int";
        case Kind::Float:
            return "float";
        case Kind::String:
            return "str";
        case Kind::Bytes:
            return "bytes";
        case Kind::Tuple:
            return "tuple";
        case Kind::List:
            return "list";
        case Kind::Dict:
            return "dict";
        case Kind::Global:
            return "global";
        case Kind::Storage:
            return "storage";
        case Kind::Tensor:
            return "tensor";
        case Kind::Mark:
            return "mark";
    }
    return "?";
}

// The globals a plain state dict needs. Everything else is refused before it could be called.
enum class Callable {
    OrderedDict,
    RebuildTensorV2,
    RebuildTensor,
    RebuildParameter,
    RebuildParameterWithState,
    StorageClass
};

bool allowed_global(const std::string& module, const std::string& name, Callable* what) {
    if (module == "collections" && name == "OrderedDict") return *what = Callable::OrderedDict, true;
    if (module == "torch._utils") {
        if (name == "_rebuild_tensor_v2") return *what = Callable::RebuildTensorV2, true;
        if (name == "_rebuild_tensor") return *what = Callable::RebuildTensor, true;
        if (name == "_rebuild_parameter") return *what = Callable::RebuildParameter, true;
        if (name == "_rebuild_parameter_with_state") return *what = Callable::RebuildParameterWithState, true;
    }
    if (module == "torch" && storage_type(name).dtype != DType::OTHER) return *what = Callable::StorageClass, true;
    return false;
}

class Machine {
  public:
    Machine(Arena& arena, const uint8_t* p, size_t n, const PersistentLoad& pl, const std::string& source)
        : arena_(arena), p_(p), n_(n), persistent_load_(pl), source_(source) {}

    ValuePtr run(size_t* consumed) {
        while (true) {
            const uint8_t op = byte();
            switch (op) {
                case 0x80:
                    byte();
                    break;  // PROTO
                case 0x95:
                    take(8);
                    break;   // FRAME (protocol 4): a length hint
                case '.': {  // STOP
                    if (consumed) *consumed = pos_;
                    ValuePtr v = pop();
                    return v;
                }
                case '(':
                    push(make(Kind::Mark));
                    break;
                case '}':
                    push(make(Kind::Dict));
                    break;
                case ']':
                    push(make(Kind::List));
                    break;
                case ')':
                    push(make(Kind::Tuple));
                    break;
                case 't': {
                    auto t = make(Kind::Tuple);
                    for (auto v : pop_to_mark()) t->items.push_back(attach(t, v));
                    push(t);
                    break;
                }
                case 0x85:
                case 0x86:
                case 0x87: {  // TUPLE1..3
                    const size_t k = static_cast<size_t>(op - 0x84);
                    auto t = make(Kind::Tuple);
                    t->items.resize(k);
                    for (size_t i = k; i-- > 0;) t->items[i] = attach(t, pop());
                    push(t);
                    break;
                }
                case 'l': {
                    auto l = make(Kind::List);
                    for (auto v : pop_to_mark()) l->items.push_back(attach(l, v));
                    push(l);
                    break;
                }
                case 'd': {
                    auto d = make(Kind::Dict);
                    auto items = pop_to_mark();
                    if (items.size() % 2) fail("DICT with an odd number of items");
                    for (size_t i = 0; i < items.size(); i += 2)
                        d->dict.emplace_back(attach(d, items[i]), attach(d, items[i + 1]));
                    push(d);
                    break;
                }
                case 'X':
                    push_string(Kind::String, u32());
                    break;  // BINUNICODE
                case 0x8c:
                    push_string(Kind::String, byte());
                    break;  // SHORT_BINUNICODE
                case 0x8d:
                    push_string(Kind::String, u64());
                    break;  // BINUNICODE8
                case 'B':
                    push_string(Kind::Bytes, u32());
                    break;  // BINBYTES
                case 'C':
                    push_string(Kind::Bytes, byte());
                    break;  // SHORT_BINBYTES
                case 'J':
                    push_int(static_cast<int32_t>(u32()));
                    break;  // BININT
                case 'K':
                    push_int(byte());
                    break;   // BININT1
                case 'M': {  // BININT2
                    const int64_t lo = byte();
                    push_int(lo | (static_cast<int64_t>(byte()) << 8));
                    break;
                }
                case 0x8a:
                    push_long(byte());
                    break;  // LONG1
                case 0x8b:
                    push_long(u32());
                    break;   // LONG4
                case 'G': {  // BINFLOAT, big-endian
                    uint64_t bits = 0;
                    for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();
                    auto v = make(Kind::Float);
                    std::memcpy(&v->f, &bits, 8);
                    push(v);
                    break;
                }
                case 0x88:
                case 0x89: {  // NEWTRUE, NEWFALSE
                    auto v = make(Kind::Bool);
                    v->b = op == 0x88;
                    push(v);
                    break;
                }
                case 'N':
                    push(make(Kind::None));
                    break;
                case 'c': {  // GLOBAL module\nname\n
                    const std::string module = line(), name = line();
                    push_global(module, name);
                    break;
                }
                case 0x93: {  // STACK_GLOBAL
                    auto name = pop(), module = pop();
                    if (module->kind != Kind::String || name->kind != Kind::String)
                        fail("STACK_GLOBAL without strings");
                    push_global(module->s, name->s);
                    break;
                }
                case 'R':
                    reduce();
                    break;
                case 'b': {  // BUILD: obj.__setstate__(state)
                    pop();   // the state, which is not applied (below)
                    auto obj = top();
                    // OrderedDict's state is {'_metadata': ...} (module versions) and a parameter's state
                    // its Python attributes: neither changes the tensors.
                    if (obj->kind != Kind::Dict && obj->kind != Kind::Tensor) {
                        fail(fmt::format("BUILD on a {}, which a state dict does not contain", kind_name(obj->kind)));
                    }
                    break;
                }
                case 'q':
                    memo_[byte()] = top();
                    break;  // BINPUT
                case 'r':
                    memo_[u32()] = top();
                    break;  // LONG_BINPUT
                case 0x94:
                    memo_[static_cast<uint32_t>(memo_.size())] = top();
                    break;  // MEMOIZE
                case 'h':
                    push_memo(byte());
                    break;  // BINGET
                case 'j':
                    push_memo(u32());
                    break;   // LONG_BINGET
                case 's': {  // SETITEM
                    auto value = pop(), key = pop();
                    auto d = top();
                    dict_of(d).emplace_back(attach(d, key), attach(d, value));
                    break;
                }
                case 'u': {  // SETITEMS
                    auto items = pop_to_mark();
                    if (items.size() % 2) fail("SETITEMS with an odd number of items");
                    auto target = top();
                    auto& d = dict_of(target);
                    for (size_t i = 0; i < items.size(); i += 2)
                        d.emplace_back(attach(target, items[i]), attach(target, items[i + 1]));
                    break;
                }
                case 'a': {  // APPEND
                    auto v = pop();
                    auto l = top();
                    list_of(l).push_back(attach(l, v));
                    break;
                }
                case 'e': {  // APPENDS
                    auto items = pop_to_mark();
                    auto target = top();
                    auto& l = list_of(target);
                    for (auto v : items) l.push_back(attach(target, v));
                    break;
                }
                case 'Q': {  // BINPERSID
                    auto pid = pop();
                    if (!persistent_load_) fail("a persistent id where none is expected");
                    auto v = make(Kind::Storage);
                    v->storage = persistent_load_(*pid);
                    push(v);
                    break;
                }
                case '0':
                    pop();
                    break;  // POP
                case '1':
                    pop_to_mark();
                    break;  // POP_MARK
                case '2':
                    push(top());
                    break;  // DUP
                default:
                    fail(fmt::format("opcode 0x{:02x} ('{}') is not used by plain state dicts", op,
                                     op >= 32 && op < 127 ? static_cast<char>(op) : '?'));
            }
        }
    }

  private:
    ValuePtr make(Kind k) { return arena_.make(k); }
    void push(ValuePtr v) {
        if (stack_.size() >= kMaxStack) fail(fmt::format("more than {} values on the stack", kMaxStack));
        stack_.push_back(v);
    }
    // Puts `child` into `container` (returns child): the depth bound and the rule that keeps depths true
    // and cycles out — a container is filled only while no other container holds it.
    ValuePtr attach(ValuePtr container, ValuePtr child) {
        if (container->contained || container == child) {
            fail(
                fmt::format("a {} is changed after it was put inside another container (a recursive structure, "
                            "which a state dict never has)",
                            kind_name(container->kind)));
        }
        if (child->depth + 1 > kMaxDepth) fail(fmt::format("containers nested deeper than {}", kMaxDepth));
        container->depth = std::max(container->depth, child->depth + 1);
        child->contained = true;
        return child;
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw Error(fmt::format("{}: cannot read the pickle at byte {}: {}", source_, pos_, what));
    }

    uint8_t byte() {
        if (pos_ >= n_) fail("it ends early (the file is truncated)");
        return p_[pos_++];
    }
    const uint8_t* take(size_t k) {
        if (k > n_ - pos_) fail("it ends early (the file is truncated)");
        const uint8_t* at = p_ + pos_;
        pos_ += k;
        return at;
    }
    uint32_t u32() {
        const uint8_t* b = take(4);
        return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) | (static_cast<uint32_t>(b[2]) << 16) |
               (static_cast<uint32_t>(b[3]) << 24);
    }
    uint64_t u64() {
        const uint64_t lo = u32();
        return lo | (static_cast<uint64_t>(u32()) << 32);
    }
    std::string line() {
        std::string s;
        while (true) {
            const char c = static_cast<char>(byte());
            if (c == '\n') return s;
            s += c;
            if (s.size() > 256) fail("a GLOBAL name longer than 256 bytes");
        }
    }

    ValuePtr pop() {
        if (stack_.empty()) fail("the stack is empty");
        auto v = stack_.back();
        stack_.pop_back();
        if (v->kind == Kind::Mark) fail("a MARK where a value is expected");
        return v;
    }
    ValuePtr top() {
        if (stack_.empty() || stack_.back()->kind == Kind::Mark) fail("the stack is empty");
        return stack_.back();
    }
    std::vector<ValuePtr> pop_to_mark() {
        std::vector<ValuePtr> items;
        while (true) {
            if (stack_.empty()) fail("no MARK on the stack");
            auto v = stack_.back();
            stack_.pop_back();
            if (v->kind == Kind::Mark) break;
            items.push_back(v);
        }
        return {items.rbegin(), items.rend()};
    }
    std::vector<std::pair<ValuePtr, ValuePtr>>& dict_of(const ValuePtr& v) {
        if (v->kind != Kind::Dict) fail(fmt::format("SETITEM on a {}", kind_name(v->kind)));
        return v->dict;
    }
    std::vector<ValuePtr>& list_of(const ValuePtr& v) {
        if (v->kind != Kind::List) fail(fmt::format("APPEND on a {}", kind_name(v->kind)));
        return v->items;
    }

    void push_string(Kind k, uint64_t length) {
        if (length > n_ - pos_) fail("a string runs past the end (the file is truncated)");
        auto v = make(k);
        v->s.assign(reinterpret_cast<const char*>(take(static_cast<size_t>(length))), static_cast<size_t>(length));
        push(v);
    }
    void push_int(int64_t i) {
        auto v = make(Kind::Int);
        v->i = i;
        push(v);
    }
    void push_long(uint64_t length) {
        if (length > 64) fail("an integer wider than 512 bits");
        const uint8_t* b = take(static_cast<size_t>(length));
        if (length > 8) {
            // Only the legacy format's magic number is this wide: keep its bytes (little-endian) in s.
            auto v = make(Kind::Int);
            v->s.assign(reinterpret_cast<const char*>(b), static_cast<size_t>(length));
            push(v);
            return;
        }
        uint64_t u = 0;
        for (size_t i = 0; i < length; ++i) u |= static_cast<uint64_t>(b[i]) << (8 * i);
        if (length > 0 && length < 8 && (b[length - 1] & 0x80)) u |= ~uint64_t{0} << (8 * length);  // sign-extend
        push_int(static_cast<int64_t>(u));
    }
    void push_memo(uint32_t key) {
        auto it = memo_.find(key);
        if (it == memo_.end()) fail(fmt::format("memo key {} was never stored", key));
        push(it->second);
    }
    void push_global(const std::string& module, const std::string& name) {
        Callable what;
        if (!allowed_global(module, name, &what)) {
            throw Error(
                fmt::format("{}: refusing to load: the pickle refers to {}.{}, which a plain state dict never "
                            "needs (attnscope does not run code from checkpoints; convert trusted files to "
                            "model.safetensors)",
                            source_, module, name));
        }
        auto v = make(Kind::Global);
        v->s = module + "." + name;
        v->i = static_cast<int64_t>(what);
        push(v);
    }

    std::vector<int64_t> int_tuple(const ValuePtr& v, const char* what) {
        if (v->kind != Kind::Tuple) fail(fmt::format("{} is a {}, not a tuple", what, kind_name(v->kind)));
        std::vector<int64_t> out;
        for (const auto& x : v->items) {
            if (!is_int64(*x) || x->i < 0) {
                fail(fmt::format("{} holds a {}", what,
                                 is_int64(*x)           ? "negative int"
                                 : x->kind == Kind::Int ? "wide int"
                                                        : kind_name(x->kind)));
            }
            out.push_back(x->i);
        }
        return out;
    }

    void reduce() {
        auto args = pop();
        auto fn = pop();
        if (fn->kind != Kind::Global) fail(fmt::format("REDUCE calls a {}", kind_name(fn->kind)));
        if (args->kind != Kind::Tuple) fail("REDUCE without an argument tuple");
        const auto& a = args->items;
        switch (static_cast<Callable>(fn->i)) {
            case Callable::OrderedDict:
                if (!a.empty()) fail("OrderedDict called with arguments");
                push(make(Kind::Dict));
                return;
            case Callable::RebuildTensorV2:
            case Callable::RebuildTensor: {
                if (a.size() < 4 || a[0]->kind != Kind::Storage || !is_int64(*a[1])) {
                    fail(fmt::format("{} with unexpected arguments", fn->s));
                }
                auto t = std::make_shared<Tensor>();
                t->storage = a[0]->storage;
                t->offset = a[1]->i;
                if (t->offset < 0) fail(fmt::format("{} with a negative storage offset {}", fn->s, t->offset));
                t->size = int_tuple(a[2], "the tensor size");
                t->stride = int_tuple(a[3], "the tensor stride");
                if (t->size.size() != t->stride.size()) fail("size and stride differ in length");
                auto v = make(Kind::Tensor);
                v->tensor = t;
                push(v);
                return;
            }
            case Callable::RebuildParameter:
            case Callable::RebuildParameterWithState:
                if (a.empty() || a[0]->kind != Kind::Tensor) fail(fmt::format("{} without a tensor", fn->s));
                push(a[0]);
                return;
            case Callable::StorageClass:
                fail(fmt::format("{} is called, not used as a storage type", fn->s));
        }
    }

    Arena& arena_;
    const uint8_t* p_;
    size_t n_;
    size_t pos_ = 0;
    const PersistentLoad& persistent_load_;
    const std::string& source_;
    std::vector<ValuePtr> stack_;
    std::unordered_map<uint32_t, ValuePtr> memo_;
};

}  // namespace

StorageType storage_type(const std::string& name) {
    static const std::pair<const char*, StorageType> kTypes[] = {
        {"FloatStorage", {DType::F32, 4, "FloatStorage"}},        {"HalfStorage", {DType::F16, 2, "HalfStorage"}},
        {"BFloat16Storage", {DType::BF16, 2, "BFloat16Storage"}}, {"DoubleStorage", {DType::F64, 8, "DoubleStorage"}},
        {"LongStorage", {DType::I64, 8, "LongStorage"}},          {"IntStorage", {DType::I32, 4, "IntStorage"}},
        {"ShortStorage", {DType::I16, 2, "ShortStorage"}},        {"CharStorage", {DType::I8, 1, "CharStorage"}},
        {"ByteStorage", {DType::U8, 1, "ByteStorage"}},           {"BoolStorage", {DType::BOOL, 1, "BoolStorage"}},
    };
    for (const auto& [n, t] : kTypes) {
        if (name == n) return t;
    }
    return {};
}

ValuePtr Arena::make(Value::Kind kind) {
    Value& v = values_.emplace_back();
    v.kind = kind;
    return &v;
}

ValuePtr load(Arena& arena, const uint8_t* bytes, size_t size, const PersistentLoad& persistent_load,
              const std::string& source, size_t* consumed) {
    Machine m(arena, bytes, size, persistent_load, source);
    return m.run(consumed);
}

}  // namespace attnscope::io::pickle
