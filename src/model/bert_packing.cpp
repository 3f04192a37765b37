// Repacking the encoder's matmul weights once at load time for the GEMM kernel (kernels/packed_gemm.h).
// Every forward then streams each weight exactly once in the order the kernel reads it, whatever the
// number of tokens. The memory-mapped source pages are released afterwards, so the weights are resident
// once: as packed fp32, plus the embedding rows actually used.
#include <chrono>
#include <set>

#include "model/bert_weights.h"

namespace attnscope::model {
namespace {

void pack(PackedLinear& out, std::vector<const float*> rows, size_t k, std::vector<float> bias, WeightStorage storage,
          int threads) {
    out.weights = kernels::pack_weights(rows.data(), rows.size(), k, storage, threads);
    out.bias = std::move(bias);
}

void add_rows(std::vector<const float*>& rows, const LinearWeights& l) {
    for (int o = 0; o < l.out; ++o) rows.push_back(l.weight + static_cast<size_t>(o) * static_cast<size_t>(l.in));
}

void add_bias(std::vector<float>& bias, const LinearWeights& l) {
    bias.insert(bias.end(), l.bias, l.bias + l.out);
}

PackedLinear packed_from(const LinearWeights& l, WeightStorage storage, int threads) {
    PackedLinear p;
    std::vector<const float*> rows;
    std::vector<float> bias;
    add_rows(rows, l);
    add_bias(bias, l);
    pack(p, std::move(rows), static_cast<size_t>(l.in), std::move(bias), storage, threads);
    return p;
}

}  // namespace

void pack_encoder_weights(BertWeights& w, const BertConfig& c, ModelInfo& info, WeightStorage storage, int threads) {
    const auto t0 = std::chrono::steady_clock::now();
    const size_t D = static_cast<size_t>(c.hidden_size);
    std::set<const void*> packed_sources;
    for (auto& layer : w.layers) {
        std::vector<const float*> rows;
        std::vector<float> bias;
        for (const LinearWeights* l : {&layer.query, &layer.key, &layer.value}) {
            add_rows(rows, *l);
            add_bias(bias, *l);
        }
        pack(layer.qkv, std::move(rows), D, std::move(bias), storage, threads);
        layer.attention_output_packed = packed_from(layer.attention_output, storage, threads);
        layer.intermediate_packed = packed_from(layer.intermediate, storage, threads);
        layer.output_packed = packed_from(layer.output, storage, threads);
        for (const PackedLinear* p :
             {&layer.qkv, &layer.attention_output_packed, &layer.intermediate_packed, &layer.output_packed}) {
            info.packed_bytes += p->weights.storage.bytes();
        }
        for (const LinearWeights* l :
             {&layer.query, &layer.key, &layer.value, &layer.attention_output, &layer.intermediate, &layer.output}) {
            packed_sources.insert(l->weight);
            // The layer's pages of the memory map go as soon as it is packed, not after the last layer: the
            // load's peak was every mapped weight plus every packed copy (684 MB for bert-base, whatever the
            // input), now the packed copies plus one layer's pages. A later layer sharing the tensor (ALBERT)
            // reads it back from the file; the conversions of F16/BF16 tensors are freed at the end.
            const auto it = w.sources.find(l->weight);
            if (it != w.sources.end() && it->second.file && !it->second.converted) {
                it->second.file->release(it->second.view->data, it->second.view->nbytes);
            }
        }
    }
    if (w.embedding_projection.weight) {
        // Small and run once per forward: kept exact (fp32) in every storage mode.
        w.embedding_projection_packed = packed_from(w.embedding_projection, WeightStorage::F32, threads);
        info.packed_bytes += w.embedding_projection_packed.weights.storage.bytes();
    }
    // Release what was copied: pages of the memory map, and fp32 conversions of F16/BF16 tensors.
    for (const void* ptr : packed_sources) {
        auto it = w.sources.find(static_cast<const float*>(ptr));
        if (it == w.sources.end()) continue;
        const auto& src = it->second;
        if (src.file) src.file->release(src.view->data, src.view->nbytes);
        if (!src.converted) info.zero_copy_bytes -= src.view->nbytes;
    }
    for (auto& buf : w.converted) {
        if (packed_sources.count(buf.data())) {
            info.converted_bytes -= buf.size() * sizeof(float);
            std::vector<float>().swap(buf);
        }
    }
    for (auto& layer : w.layers) {
        // The unpacked pointers must not be used from here on (they may point into freed conversions).
        for (LinearWeights* l :
             {&layer.query, &layer.key, &layer.value, &layer.attention_output, &layer.intermediate, &layer.output}) {
            l->weight = nullptr;
            l->bias = nullptr;
        }
    }
    info.weight_storage = weight_storage_name(storage);
    info.pack_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace attnscope::model
