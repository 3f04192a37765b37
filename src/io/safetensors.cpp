#include "io/safetensors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "attnscope/error.h"
#include "util/checked_math.h"

namespace attnscope::io {
namespace {

struct DTypeInfo {
    const char* name;
    DType dtype;
    size_t bits;
};

// Every dtype the reference format defines; we can read F32/F16/BF16 (and skip integer buffers).
constexpr DTypeInfo kDTypes[] = {
    {"BOOL", DType::BOOL, 8},
    {"F4", DType::OTHER, 4},
    {"F6_E2M3", DType::OTHER, 6},
    {"F6_E3M2", DType::OTHER, 6},
    {"U8", DType::U8, 8},
    {"I8", DType::I8, 8},
    {"F8_E5M2", DType::F8_E5M2, 8},
    {"F8_E4M3", DType::F8_E4M3, 8},
    {"F8_E8M0", DType::OTHER, 8},
    {"F8_E4M3FNUZ", DType::OTHER, 8},
    {"F8_E5M2FNUZ", DType::OTHER, 8},
    {"I16", DType::I16, 16},
    {"U16", DType::U16, 16},
    {"F16", DType::F16, 16},
    {"BF16", DType::BF16, 16},
    {"I32", DType::I32, 32},
    {"U32", DType::U32, 32},
    {"F32", DType::F32, 32},
    {"C64", DType::OTHER, 64},
    {"F64", DType::F64, 64},
    {"I64", DType::I64, 64},
    {"U64", DType::U64, 64},
};

const DTypeInfo* lookup_dtype(const std::string& name) {
    for (const auto& d : kDTypes) {
        if (name == d.name) return &d;
    }
    return nullptr;
}

uint64_t read_u64_le(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

std::string shape_string(const std::vector<int64_t>& shape) {
    return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace

const char* dtype_name(DType d) {
    for (const auto& info : kDTypes) {
        if (info.dtype == d && d != DType::OTHER) return info.name;
    }
    return "OTHER";
}

size_t dtype_bits(DType d) {
    for (const auto& info : kDTypes) {
        if (info.dtype == d && d != DType::OTHER) return info.bits;
    }
    return 0;
}

void validate_safetensors_bytes(const uint8_t* bytes, size_t size, const std::string& source,
                                std::map<std::string, TensorView>* tensors_out,
                                std::map<std::string, std::string>* metadata_out) {
    using nlohmann::json;
    if (size < 8) {
        throw Error(fmt::format(
            "{}: {} bytes is too short for a safetensors file (it starts with an 8-byte header length)", source, size));
    }
    const uint64_t header_len = read_u64_le(bytes);
    if (header_len > SafetensorsFile::kMaxHeaderSize) {
        throw Error(fmt::format("{}: header length {} exceeds the {}-byte limit (not a safetensors file?)", source,
                                header_len, SafetensorsFile::kMaxHeaderSize));
    }
    if (header_len > size - 8) {
        throw Error(fmt::format("{}: header length {} runs past the end of the {}-byte file (truncated file?)", source,
                                header_len, size));
    }
    const char* header = reinterpret_cast<const char*>(bytes + 8);
    if (header_len == 0 || header[0] != '{') {
        throw Error(fmt::format("{}: the header is not a JSON object", source));
    }

    // nlohmann keeps the last of duplicate keys silently; the reference refuses them, so watch the parse.
    std::set<std::string> seen;
    std::string duplicate;
    json::parser_callback_t watch = [&](int depth, json::parse_event_t event, json& parsed) {
        if (depth == 1 && event == json::parse_event_t::key) {
            auto key = parsed.get<std::string>();
            if (!seen.insert(key).second && duplicate.empty()) duplicate = key;
        }
        return true;
    };
    json j;
    try {
        j = json::parse(header, header + header_len, watch);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers such as 1e512
        std::string what = e.what();
        auto pos = what.find("] ");
        throw Error(fmt::format("{}: the header is not valid JSON: {}", source,
                                pos == std::string::npos ? what : what.substr(pos + 2)));
    }
    if (!duplicate.empty()) throw Error(fmt::format("{}: tensor '{}' appears twice in the header", source, duplicate));
    if (!j.is_object()) throw Error(fmt::format("{}: the header is not a JSON object", source));

    const uint8_t* data = bytes + 8 + header_len;
    const uint64_t data_size = size - 8 - header_len;
    std::vector<TensorView> list;
    for (auto& [name, entry] : j.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) throw Error(fmt::format("{}: __metadata__ must be an object of strings", source));
            for (auto& [k, v] : entry.items()) {
                if (!v.is_string()) throw Error(fmt::format("{}: __metadata__ value '{}' is not a string", source, k));
                if (metadata_out) (*metadata_out)[k] = v.get<std::string>();
            }
            continue;
        }
        if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
            !entry.contains("data_offsets")) {
            throw Error(fmt::format("{}: tensor '{}' needs dtype, shape and data_offsets", source, name));
        }
        TensorView t;
        t.name = name;
        if (!entry["dtype"].is_string())
            throw Error(fmt::format("{}: tensor '{}': dtype is not a string", source, name));
        t.dtype_name = entry["dtype"].get<std::string>();
        const DTypeInfo* info = lookup_dtype(t.dtype_name);
        if (!info) throw Error(fmt::format("{}: tensor '{}' has unknown dtype '{}'", source, name, t.dtype_name));
        t.dtype = info->dtype;
        const json& shape = entry["shape"];
        if (!shape.is_array()) throw Error(fmt::format("{}: tensor '{}': shape is not a list", source, name));
        uint64_t numel = 1;
        for (const auto& d : shape) {
            if (!d.is_number_unsigned()) {
                throw Error(fmt::format("{}: tensor '{}': shape entries must be non-negative integers", source, name));
            }
            uint64_t dim = d.get<uint64_t>();
            // Bounded so that numel × bits (≤ 64) below cannot wrap either.
            const auto next = util::checked_mul(numel, dim);
            if (!next || *next > std::numeric_limits<uint64_t>::max() / 64) {
                throw Error(fmt::format("{}: tensor '{}': shape is too large", source, name));
            }
            numel = *next;
            t.shape.push_back(static_cast<int64_t>(dim));
        }
        const json& off = entry["data_offsets"];
        if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
            throw Error(fmt::format("{}: tensor '{}': data_offsets must be two non-negative integers", source, name));
        }
        uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
        if (end < begin) throw Error(fmt::format("{}: tensor '{}': data_offsets end before they begin", source, name));
        uint64_t bits = numel * info->bits;
        if (bits % 8 != 0) {
            throw Error(fmt::format("{}: tensor '{}': {} elements of {} do not fill whole bytes", source, name, numel,
                                    t.dtype_name));
        }
        if (end - begin != bits / 8) {
            throw Error(fmt::format("{}: tensor '{}': {} with shape {} needs {} bytes but data_offsets span {}", source,
                                    name, t.dtype_name, shape_string(t.shape), bits / 8, end - begin));
        }
        if (!util::range_inside(begin, end - begin, data_size)) {
            throw Error(fmt::format("{}: tensor '{}' ends at byte {} of a {}-byte data section (truncated file?)",
                                    source, name, end, data_size));
        }
        t.data = data + begin;
        t.nbytes = end - begin;
        list.push_back(std::move(t));
    }
    std::vector<const TensorView*> sorted;
    for (const auto& t : list) sorted.push_back(&t);
    std::sort(sorted.begin(), sorted.end(), [](const TensorView* a, const TensorView* b) {
        return a->data != b->data ? a->data < b->data : a->nbytes < b->nbytes;
    });
    uint64_t expected = 0;
    const TensorView* prev = nullptr;
    for (const TensorView* t : sorted) {
        uint64_t begin = static_cast<uint64_t>(t->data - data);
        if (begin < expected) {
            throw Error(fmt::format("{}: tensors '{}' and '{}' overlap", source, prev->name, t->name));
        }
        if (begin > expected) {
            throw Error(fmt::format("{}: {} unused bytes before tensor '{}' (offsets must be contiguous)", source,
                                    begin - expected, t->name));
        }
        expected = begin + t->nbytes;
        prev = t;
    }
    if (expected != data_size) {
        throw Error(fmt::format("{}: the data section is {} bytes but the tensors cover {} (truncated or padded file)",
                                source, data_size, expected));
    }
    if (tensors_out) {
        for (auto& t : list) tensors_out->emplace(t.name, std::move(t));
    }
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : file_(std::make_unique<MappedFile>(path)) {
    validate_safetensors_bytes(file_->data(), file_->size(), path.string(), &tensors_, &metadata_);
    for (auto& [name, t] : tensors_) t.file = &file_->path();
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace attnscope::io
