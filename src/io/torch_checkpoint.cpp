#include "io/torch_checkpoint.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <optional>

#include "attnscope/error.h"
#include "io/pickle.h"
#include "io/zip_archive.h"
#include "util/checked_math.h"

namespace attnscope::io {

namespace {

using pickle::Value;
using Kind = pickle::Value::Kind;

// The legacy format starts with this number, pickled (torch/serialization.py MAGIC_NUMBER).
constexpr uint8_t kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kLegacyProtocol = 1001;

bool starts_with(const uint8_t* p, size_t n, const char* prefix) {
    const size_t k = std::strlen(prefix);
    return n >= k && std::memcmp(p, prefix, k) == 0;
}

const std::string* string_item(const Value& tuple, size_t i) {
    if (tuple.kind != Kind::Tuple || tuple.items.size() <= i || tuple.items[i]->kind != Kind::String) return nullptr;
    return &tuple.items[i]->s;
}

}  // namespace

struct TorchCheckpoint::Collected {
    pickle::Arena arena;  // owns every value of the pickles; freed flat when reading is done
    pickle::ValuePtr root = nullptr;
};

TorchCheckpoint::TorchCheckpoint(const std::filesystem::path& path)
    : file_(std::make_unique<MappedFile>(path)), source_(path.string()) {
    const uint8_t* p = file_->data();
    const size_t n = file_->size();
    if (starts_with(p, n, "PK\x03\x04")) {
        format_ = "zip";
        read_zip();
    } else if (n > 2 && p[0] == 0x80 && p[1] == 0x02) {
        format_ = "legacy";
        read_legacy();
    } else {
        throw Error(
            fmt::format("{}: not a PyTorch checkpoint (neither a torch.save zip nor the legacy format)", source_));
    }
}

void TorchCheckpoint::read_zip() {
    const auto entries = read_stored_zip(file_->data(), file_->size(), source_);
    // One top-level folder with an arbitrary name ("archive", the file stem, ...): find data.pkl.
    std::string prefix;
    const ZipEntry* pkl = nullptr;
    for (const auto& [name, entry] : entries) {
        const std::string tail = "data.pkl";
        if (name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0 &&
            name.find('/') == name.size() - tail.size() - 1) {
            prefix = name.substr(0, name.size() - tail.size());
            pkl = &entry;
        }
    }
    if (!pkl) throw Error(fmt::format("{}: a zip without <folder>/data.pkl is not a torch.save checkpoint", source_));
    if (auto it = entries.find(prefix + "byteorder"); it != entries.end()) {
        if (std::string(reinterpret_cast<const char*>(it->second.data), it->second.size) != "little") {
            throw Error(fmt::format("{}: a big-endian checkpoint; attnscope reads little-endian ones", source_));
        }
    }
    std::map<std::string, std::shared_ptr<pickle::Storage>> storages;
    auto persistent_load = [&](const Value& pid) {
        // ('storage', torch.<Type>Storage, key, location, numel)
        const std::string* tag = string_item(pid, 0);
        const std::string* key = string_item(pid, 2);
        if (!tag || *tag != "storage" || !key || pid.items.size() < 5 || pid.items[1]->kind != Kind::Global ||
            !pickle::is_int64(*pid.items[4])) {
            throw Error(fmt::format("{}: data.pkl has a persistent id that is not a storage", source_));
        }
        if (auto it = storages.find(*key); it != storages.end()) return it->second;
        auto s = std::make_shared<pickle::Storage>();
        s->type = pickle::storage_type(pid.items[1]->s.substr(pid.items[1]->s.rfind('.') + 1));
        auto rec = entries.find(prefix + "data/" + *key);
        if (rec == entries.end())
            throw Error(fmt::format("{}: storage '{}' is missing from the archive", source_, *key));
        const uint64_t numel = static_cast<uint64_t>(pid.items[4]->i);
        if (numel > rec->second.size / std::max<size_t>(1, s->type.element_size)) {
            throw Error(fmt::format("{}: storage '{}' should hold {} elements but has {} bytes", source_, *key, numel,
                                    rec->second.size));
        }
        s->data = rec->second.data;
        s->bytes = static_cast<size_t>(numel) * s->type.element_size;
        storages.emplace(*key, s);
        return s;
    };
    Collected c;
    c.root = pickle::load(c.arena, pkl->data, pkl->size, persistent_load, source_ + " (data.pkl)");
    collect(c);
}

void TorchCheckpoint::read_legacy() {
    const uint8_t* p = file_->data();
    const size_t n = file_->size();
    size_t pos = 0;
    Collected c;
    auto next = [&](const pickle::PersistentLoad& pl) {
        size_t used = 0;
        auto v = pickle::load(c.arena, p + pos, n - pos, pl, source_, &used);
        pos += used;
        return v;
    };
    auto magic = next(nullptr);
    if (magic->kind != Kind::Int || magic->s.size() != sizeof(kLegacyMagic) ||
        std::memcmp(magic->s.data(), kLegacyMagic, sizeof(kLegacyMagic)) != 0) {
        throw Error(fmt::format("{}: not a PyTorch checkpoint (the legacy format's magic number is missing)", source_));
    }
    auto protocol = next(nullptr);
    if (protocol->kind != Kind::Int || protocol->i != kLegacyProtocol) {
        throw Error(fmt::format("{}: unsupported legacy protocol version", source_));
    }
    auto sys_info = next(nullptr);
    if (sys_info->kind == Kind::Dict) {
        for (const auto& [k, v] : sys_info->dict) {
            if (k->kind == Kind::String && k->s == "little_endian" && v->kind == Kind::Bool && !v->b) {
                throw Error(fmt::format("{}: a big-endian checkpoint; attnscope reads little-endian ones", source_));
            }
        }
    }
    // ('storage', type, root_key, location, numel, view_metadata): the bytes come after the pickles.
    struct View {
        std::shared_ptr<pickle::Storage> storage;
        std::string root;
        int64_t offset = 0, size = 0;
    };
    std::map<std::string, std::shared_ptr<pickle::Storage>> roots;
    std::vector<View> views;
    auto persistent_load = [&](const Value& pid) -> std::shared_ptr<pickle::Storage> {
        const std::string* tag = string_item(pid, 0);
        const std::string* key = string_item(pid, 2);
        if (!tag || *tag != "storage" || !key || pid.items.size() < 6 || pid.items[1]->kind != Kind::Global) {
            throw Error(fmt::format("{}: the pickle has a persistent id that is not a storage", source_));
        }
        auto& root = roots[*key];
        if (!root) {
            root = std::make_shared<pickle::Storage>();
            root->type = pickle::storage_type(pid.items[1]->s.substr(pid.items[1]->s.rfind('.') + 1));
        }
        const Value& view = *pid.items[5];
        if (view.kind == Kind::None) return root;
        // (view_key, offset, size): a storage that is a slice of the root (files from PyTorch < 1.0).
        if (view.kind != Kind::Tuple || view.items.size() != 3 || !pickle::is_int64(*view.items[1]) ||
            !pickle::is_int64(*view.items[2])) {
            throw Error(fmt::format("{}: a storage view the legacy format does not define", source_));
        }
        auto s = std::make_shared<pickle::Storage>();
        s->type = root->type;
        views.push_back({s, *key, view.items[1]->i, view.items[2]->i});
        return s;
    };
    c.root = next(persistent_load);
    auto keys = next(nullptr);
    if (keys->kind != Kind::List) throw Error(fmt::format("{}: the list of storages is missing", source_));
    for (const auto& k : keys->items) {
        if (k->kind != Kind::String) throw Error(fmt::format("{}: a storage key that is not a string", source_));
        auto it = roots.find(k->s);
        if (it == roots.end()) throw Error(fmt::format("{}: storage '{}' is not used by any tensor", source_, k->s));
        if (n - pos < 8) throw Error(fmt::format("{}: the file ends before storage '{}' (truncated)", source_, k->s));
        uint64_t count = 0;
        std::memcpy(&count, p + pos, 8);
        pos += 8;
        const size_t es = std::max<size_t>(1, it->second->type.element_size);
        if (count > (n - pos) / es)
            throw Error(fmt::format("{}: the file ends inside storage '{}' (truncated)", source_, k->s));
        it->second->data = p + pos;
        it->second->bytes = static_cast<size_t>(count) * es;
        pos += it->second->bytes;
    }
    for (const auto& [key, root] : roots) {
        bool listed = false;
        for (const auto& k : keys->items) listed = listed || k->s == key;
        if (!listed) throw Error(fmt::format("{}: storage '{}' has no data in the file", source_, key));
    }
    for (auto& v : views) {
        const auto& root = roots.at(v.root);
        const size_t es = std::max<size_t>(1, root->type.element_size);
        // In elements, so that neither offset + size nor offset × element size can wrap.
        if (v.offset < 0 || v.size < 0 ||
            !util::range_inside(static_cast<uint64_t>(v.offset), static_cast<uint64_t>(v.size), root->bytes / es)) {
            throw Error(fmt::format("{}: a storage view runs past storage '{}'", source_, v.root));
        }
        v.storage->data = root->data + static_cast<size_t>(v.offset) * es;
        v.storage->bytes = static_cast<size_t>(v.size) * es;
    }
    collect(c);
}

void TorchCheckpoint::collect(const Collected& c) {
    if (c.root->kind != Kind::Dict) {
        throw Error(fmt::format("{}: the checkpoint holds a {} rather than a state dict", source_,
                                c.root->kind == Kind::Tensor ? "single tensor" : "non-dict object"));
    }
    for (const auto& [k, v] : c.root->dict) {
        if (k->kind != Kind::String) throw Error(fmt::format("{}: a state-dict key that is not a string", source_));
        if (v->kind == Kind::None) continue;
        if (v->kind != Kind::Tensor) {
            throw Error(
                fmt::format("{}: '{}' is not a tensor (is this a training checkpoint with a nested state dict? "
                            "save model.state_dict() instead)",
                            source_, k->s));
        }
        const pickle::Tensor& t = *v->tensor;
        const auto& st = *t.storage;
        if (st.type.dtype == DType::OTHER)
            throw Error(fmt::format("{}: '{}' has an unknown storage type", source_, k->s));
        const size_t es = st.type.element_size;
        const uint64_t storage_elements = st.bytes / es;
        TensorView view;
        view.name = k->s;
        view.dtype = st.type.dtype;
        view.dtype_name = dtype_name(st.type.dtype);
        view.shape = t.size;
        view.file = &file_->path();
        // Every size, stride and offset comes from the file: each product and sum below is overflow-checked
        // (a size × stride that wraps would pass the bounds check and read outside the storage).
        if (t.offset < 0) throw Error(fmt::format("{}: tensor '{}' has a negative storage offset", source_, k->s));
        const auto numel = util::checked_product(t.size);
        const auto nbytes = numel ? util::checked_mul(*numel, es) : std::nullopt;
        if (!nbytes || *nbytes > SIZE_MAX / 2) {
            throw Error(fmt::format("{}: tensor '{}' has a shape too large to address", source_, k->s));
        }
        view.nbytes = static_cast<size_t>(*nbytes);
        if (*numel == 0) {
            view.data = st.data;
            tensors_.emplace(view.name, std::move(view));
            continue;
        }
        // The largest element index the view touches must lie inside the storage.
        uint64_t last = static_cast<uint64_t>(t.offset);
        bool contiguous = true;
        uint64_t expected = 1;  // a suffix product of a non-empty shape: at most numel, so it cannot wrap
        for (size_t d = t.size.size(); d-- > 0;) {
            const uint64_t size = static_cast<uint64_t>(t.size[d]), stride = static_cast<uint64_t>(t.stride[d]);
            if (size > 1 && stride != expected) contiguous = false;
            expected *= size;
            const auto step = util::checked_mul(size - 1, stride);
            const auto next = step ? util::checked_add(last, *step) : std::nullopt;
            if (!next) throw Error(fmt::format("{}: tensor '{}' reaches past the end of any storage", source_, k->s));
            last = *next;
        }
        if (last >= storage_elements) {
            throw Error(fmt::format("{}: tensor '{}' reaches element {} of a storage with {}", source_, k->s, last,
                                    storage_elements));
        }
        // A strided view is gathered into a buffer of its own; one that claims more elements than its storage
        // holds overlaps itself (stride 0, an expanded tensor), which a saved state dict does not do and which
        // would let a tiny file ask for an arbitrarily large buffer.
        if (!contiguous && *numel > storage_elements) {
            throw Error(
                fmt::format("{}: tensor '{}' is a view of {} elements over a storage of {} (overlapping "
                            "strides are not supported)",
                            source_, k->s, *numel, storage_elements));
        }
        if (contiguous) {
            view.data = st.data + static_cast<size_t>(t.offset) * es;
        } else {
            // A strided view (e.g. a transposed or sliced tensor): gather it in C order.
            auto& buf = owned_.emplace_back(view.nbytes);
            std::vector<int64_t> index(t.size.size(), 0);
            for (size_t e = 0; e < *numel; ++e) {
                int64_t src = t.offset;
                for (size_t d = 0; d < index.size(); ++d) src += index[d] * t.stride[d];
                std::memcpy(buf.data() + e * es, st.data + static_cast<size_t>(src) * es, es);
                for (size_t d = index.size(); d-- > 0;) {
                    if (++index[d] < t.size[d]) break;
                    index[d] = 0;
                }
            }
            view.data = buf.data();
        }
        tensors_.emplace(view.name, std::move(view));
    }
}

}  // namespace attnscope::io
