// The model: loading (a folder or a hub id through locate_model), its config and info, and the forward
// pass into NumPy arrays the engine writes straight into (no copy): each array's memory is allocated here,
// owned by a capsule, and borrowed by the Trace (FloatBuffer::borrow) for the duration of the call. The
// GIL is released while the engine runs, so other Python threads (and other calls on the same model, each
// with its own workspace) run meanwhile.
#include <fmt/format.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>

#include "attnscope/error.h"
#include "attnscope/hub.h"
#include "attnscope/model_analyses.h"
#include "bindings.h"

namespace attnscope::python {

namespace fs = std::filesystem;
using IdArray = nb::ndarray<const int32_t, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

namespace {

// A float32 NumPy array of `shape`, uninitialised (the forward writes every element), owned by a capsule.
nb::object new_array(std::vector<size_t> shape, float** data) {
    size_t count = 1;
    for (size_t s : shape) count *= s;
    float* p = new float[count];
    nb::capsule owner(p, [](void* q) noexcept { delete[] static_cast<float*>(q); });
    *data = p;
    return nb::cast(nb::ndarray<nb::numpy, float>(p, shape.size(), shape.data(), owner));
}

nb::dict config_dict(const model::BertConfig& c) {
    nb::dict d;
    d["model_type"] = c.model_type;
    d["family"] = model::family_name(c.family);
    d["architectures"] = c.architectures;
    d["vocab_size"] = c.vocab_size;
    d["hidden_size"] = c.hidden_size;
    d["embedding_size"] = c.embedding_size;
    d["num_hidden_layers"] = c.num_hidden_layers;
    d["num_attention_heads"] = c.num_attention_heads;
    d["intermediate_size"] = c.intermediate_size;
    d["max_position_embeddings"] = c.max_position_embeddings;
    d["type_vocab_size"] = c.type_vocab_size;
    d["pad_token_id"] = c.pad_token_id;
    d["layer_norm_eps"] = c.layer_norm_eps;
    d["hidden_act"] = c.hidden_act;
    d["position_embedding_type"] = c.position_embedding_type;
    d["head_dim"] = c.head_dim();
    d["max_tokens"] = c.max_tokens();
    return d;
}

nb::dict info_dict(const model::ModelInfo& i) {
    nb::dict d;
    d["directory"] = i.directory.string();
    std::vector<std::string> files;
    for (const auto& f : i.weight_files) files.push_back(f.string());
    d["weight_files"] = files;
    d["format"] = i.format;
    d["dtype"] = i.dtype;
    d["key_prefix"] = i.key_prefix;
    d["has_mlm_head"] = i.has_mlm_head;
    d["parameter_count"] = i.parameter_count;
    d["zero_copy_bytes"] = i.zero_copy_bytes;
    d["converted_bytes"] = i.converted_bytes;
    d["packed_bytes"] = i.packed_bytes;
    d["weight_storage"] = i.weight_storage;
    d["pack_ms"] = i.pack_ms;
    return d;
}

ModelDownloader downloader_of(nb::handle downloader) {
    // Python's downloader (huggingface_hub) when given, else the library's own. The handle is borrowed:
    // the caller's frame keeps it alive, and it is only touched with the GIL held.
    ModelDownloader download = hub::download_model;
    if (!downloader.is_none()) {
        download = [downloader](const std::string& id, const std::string& revision) {
            nb::gil_scoped_acquire gil;
            nb::object path = downloader(id, revision);
            return fs::path(nb::cast<std::string>(nb::str(path)));
        };
    }
    return download;
}

PyModel load(const std::string& spec, nb::handle downloader, const std::string& weights, int threads) {
    model::LoadOptions options;
    options.weights = model::parse_weight_storage(weights);
    options.threads = threads;
    const ModelDownloader download = downloader_of(downloader);
    nb::gil_scoped_release release;
    ModelLocation where = locate_model(spec, download);
    auto model = model::Model::load(where.directory, options);
    return PyModel{std::move(model), std::move(where)};
}

// forward(ids [B][n], type_ids [B][n], mask [B][n], ...) → {"attentions": [B][L][H][n][n], ...}.
nb::dict forward(const PyModel& pm, IdArray ids, IdArray type_ids, IdArray mask, bool qkv, bool scores,
                 bool hidden_states, bool context, int threads, nb::object head_mask, const std::string& ablation,
                 nb::object callback) {
    const auto& c = pm.model->config();
    const size_t B = ids.shape(0), n = ids.shape(1);
    if (type_ids.shape(0) != B || type_ids.shape(1) != n || mask.shape(0) != B || mask.shape(1) != n) {
        throw Error(fmt::format("input_ids is {}x{} but token_type_ids is {}x{} and attention_mask {}x{}", B, n,
                                type_ids.shape(0), type_ids.shape(1), mask.shape(0), mask.shape(1)));
    }
    if (B == 0) throw Error("empty batch: no inputs to run");
    std::vector<tokenizer::Encoding> encodings(B);
    for (size_t b = 0; b < B; ++b) {
        encodings[b].ids.assign(ids.data() + b * n, ids.data() + (b + 1) * n);
        encodings[b].type_ids.assign(type_ids.data() + b * n, type_ids.data() + (b + 1) * n);
        encodings[b].attention_mask.assign(mask.data() + b * n, mask.data() + (b + 1) * n);
    }
    ForwardOptions options;
    options.threads = threads;
    options.capture = {qkv, scores, hidden_states, context};
    if (!head_mask.is_none()) {
        auto hm = nb::cast<nb::ndarray<const float, nb::c_contig, nb::device::cpu>>(head_mask);
        options.head_mask.assign(hm.data(), hm.data() + hm.size());
        options.ablation = analysis::parse_ablation_mode(ablation);
    }

    const size_t L = static_cast<size_t>(c.num_hidden_layers), H = static_cast<size_t>(c.num_attention_heads);
    const size_t D = static_cast<size_t>(c.hidden_size), d = static_cast<size_t>(c.head_dim());
    std::vector<Trace> traces(B);
    nb::dict out;
    // One block per tensor, [B][...]: sequence b's trace borrows its contiguous slice.
    auto block = [&](const char* name, std::vector<size_t> per_sequence, FloatBuffer Trace::*member) {
        std::vector<size_t> shape{B};
        shape.insert(shape.end(), per_sequence.begin(), per_sequence.end());
        size_t count = 1;
        for (size_t s : per_sequence) count *= s;
        float* data = nullptr;
        out[name] = new_array(shape, &data);
        for (size_t b = 0; b < B; ++b) (traces[b].*member).borrow(data + b * count, count);
    };
    block("attentions", {L, H, n, n}, &Trace::attentions);
    block("last_hidden_state", {n, D}, &Trace::last_hidden_state);
    if (qkv) {
        block("queries", {L, H, n, d}, &Trace::queries);
        block("keys", {L, H, n, d}, &Trace::keys);
        block("values", {L, H, n, d}, &Trace::values);
    }
    if (scores) block("scores", {L, H, n, n}, &Trace::scores);
    if (hidden_states) block("hidden_states", {L + 1, n, D}, &Trace::hidden_states);
    if (context) block("contexts", {L, n, D}, &Trace::contexts);

    // The observer runs on this thread without the GIL; Python hears of each layer once every sequence of
    // the batch has it. A callback that returns False (the stream's consumer went away) stops the pass; one
    // that raises stops it and its exception is raised here.
    std::atomic<bool> cancel{false};
    bool callback_failed = false;
    LayerObserver observer;
    nb::object attentions = out["attentions"];
    if (!callback.is_none()) {
        options.cancel = &cancel;
        observer = [&](size_t sequence, int layer, const Trace&) {
            if (sequence + 1 != B) return;
            nb::gil_scoped_acquire gil;
            try {
                if (!nb::cast<bool>(callback(layer, attentions))) cancel = true;
            } catch (nb::python_error& e) {
                e.restore();
                callback_failed = true;
                cancel = true;
            }
        };
    }
    std::chrono::nanoseconds engine{};
    {
        auto model = pm.model;
        nb::gil_scoped_release release;
        const auto start = std::chrono::steady_clock::now();
        model->forward_batch_into(encodings, traces, options, observer);
        engine = std::chrono::steady_clock::now() - start;
    }
    if (callback_failed) throw nb::python_error();
    out["cancelled"] = cancel.load();
    // The engine's own time (bench/python_api.py: the binding's overhead is the rest of a call).
    out["_forward_ns"] = static_cast<int64_t>(engine.count());
    // Where the engine wrote sequence 0's attentions: the zero-copy check compares it with the array's memory.
    out["_attentions_address"] = reinterpret_cast<uintptr_t>(traces[0].attentions.data());
    return out;
}

}  // namespace

void bind_model(nb::module_& m) {
    nb::class_<PyModel>(m, "Model")
        .def_static(
            "load", &load, nb::arg("spec"), nb::arg("downloader") = nb::none(), nb::arg("weights") = "fp32",
            nb::arg("threads") = 0,
            "Locates (folder, hub cache, download) and loads a model; `downloader(repo_id, revision) -> folder`.")
        .def_static(
            "locate_model",
            [](const std::string& spec, nb::handle downloader) {
                const ModelDownloader download = downloader_of(downloader);
                nb::gil_scoped_release release;
                ModelLocation w = locate_model(spec, download);
                return std::tuple{w.directory.string(), w.name, w.resolved_by};
            },
            nb::arg("spec"), nb::arg("downloader") = nb::none())
        .def("forward", &forward, nb::arg("input_ids"), nb::arg("token_type_ids"), nb::arg("attention_mask"),
             nb::arg("qkv") = false, nb::arg("scores") = false, nb::arg("hidden_states") = false,
             nb::arg("context") = false, nb::arg("threads") = 0, nb::arg("head_mask") = nb::none(),
             nb::arg("ablation") = "zero", nb::arg("callback") = nb::none())
        .def_prop_ro("config", [](const PyModel& pm) { return config_dict(pm.model->config()); })
        .def_prop_ro("info", [](const PyModel& pm) { return info_dict(pm.model->info()); })
        .def_prop_ro("name", [](const PyModel& pm) { return pm.location.name; })
        .def_prop_ro("directory", [](const PyModel& pm) { return pm.location.directory.string(); })
        .def_prop_ro("resolved_by", [](const PyModel& pm) { return pm.location.resolved_by; })
        .def_prop_ro("has_mlm_head", [](const PyModel& pm) { return pm.model->has_mlm_head(); })
        .def_prop_ro("tokenizer", [](const PyModel& pm) {
            return PyTokenizer{pm.model, &pm.model->tokenizer()};
        });
}

}  // namespace attnscope::python
