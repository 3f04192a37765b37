// The encoder forward pass, fp32, identical in meaning to eager `BertModel` in eval mode: the layer loop
// over the blocks of encoder_blocks.h, with the options checked, the traces sized, the captures copied out
// and the observer called after every layer.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <mutex>

#include "attnscope/error.h"
#include "attnscope/model.h"
#include "kernels/forward_ops.h"
#include "kernels/threads.h"
#include "model/encoder_blocks.h"
#include "model/model_impl.h"

namespace attnscope::model {
namespace {

void validate(const tokenizer::Encoding& e, size_t index, const BertConfig& c) {
    const size_t n = e.ids.size();
    auto where = [&] { return index == 0 ? std::string("input") : fmt::format("input {}", index + 1); };
    if (n == 0) throw Error(fmt::format("{}: empty input (no tokens to run)", where()));
    if (n > c.max_tokens()) {
        throw Error(
            fmt::format("{}: {} tokens (with special tokens) is longer than the model's maximum of {}; "
                        "shorten the text or enable truncation",
                        where(), n, c.max_tokens()));
    }
    if (e.type_ids.size() != n || e.attention_mask.size() != n) {
        throw Error(fmt::format("{}: ids, token type ids and attention mask differ in length", where()));
    }
    for (size_t i = 0; i < n; ++i) {
        if (e.ids[i] < 0 || e.ids[i] >= c.vocab_size) {
            throw Error(fmt::format("{}: token id {} at position {} is outside the model's vocabulary of {}", where(),
                                    e.ids[i], i, c.vocab_size));
        }
        if (c.type_vocab_size > 0 && (e.type_ids[i] < 0 || e.type_ids[i] >= c.type_vocab_size)) {
            throw Error(fmt::format("{}: token type id {} at position {} is outside the model's {} types", where(),
                                    e.type_ids[i], i, c.type_vocab_size));
        }
    }
}

void validate_options(const ForwardOptions& options, const BertConfig& c) {
    if (options.threads < 0 || options.threads > kMaxThreads) {
        throw Error(fmt::format("threads {}: expected 0 (one per core) to {}", options.threads, kMaxThreads));
    }
    const size_t heads = static_cast<size_t>(c.num_hidden_layers) * static_cast<size_t>(c.num_attention_heads);
    if (!options.head_mask.empty() && options.head_mask.size() != heads) {
        throw Error(fmt::format("head_mask has {} entries; this model has {} layers x {} heads",
                                options.head_mask.size(), c.num_hidden_layers, c.num_attention_heads));
    }
    if (options.ablation == HeadAblation::Mean && !options.head_mask.empty() &&
        options.mean_context.size() != heads * static_cast<size_t>(c.head_dim())) {
        throw Error("mean ablation needs a mean context vector for every head");
    }
}

// Sizes a trace for n tokens. A buffer of the right size (reused, or borrowed from the caller) is kept
// as it is: every element is written by the pass. A new one starts at zero, so an observer reads 0 for
// the layers not yet done. A borrowed buffer of the wrong size is an Error; one not captured is dropped.
void size_trace(Trace& t, const BertConfig& c, size_t n, const CaptureOptions& capture) {
    const size_t L = static_cast<size_t>(c.num_hidden_layers), H = static_cast<size_t>(c.num_attention_heads);
    const size_t D = static_cast<size_t>(c.hidden_size), d = static_cast<size_t>(c.head_dim());
    auto fit = [](FloatBuffer& v, size_t size, bool wanted) {
        if (!wanted) {
            if (!v.borrowed()) v.clear();
        } else if (v.size() != size) {
            v.assign(size, 0.f);
        }
    };
    t.num_layers = c.num_hidden_layers;
    t.num_heads = c.num_attention_heads;
    t.head_dim = c.head_dim();
    t.hidden_size = c.hidden_size;
    t.seq_len = n;
    fit(t.attentions, L * H * n * n, true);
    fit(t.queries, L * H * n * d, capture.qkv);
    fit(t.keys, L * H * n * d, capture.qkv);
    fit(t.values, L * H * n * d, capture.qkv);
    fit(t.scores, L * H * n * n, capture.scores);
    fit(t.hidden_states, (L + 1) * n * D, capture.hidden_states);
    fit(t.contexts, L * n * D, capture.context);
    fit(t.last_hidden_state, n * D, true);
}

// Copies rows [offset[s], offset[s] + n) of a [T][ld] activation into a trace's dense [n][D] slot.
void copy_rows(const float* from, size_t ld, size_t first_row, size_t n, size_t D, float* to) {
    for (size_t i = 0; i < n; ++i) std::memcpy(to + i * D, from + (first_row + i) * ld, D * sizeof(float));
}

}  // namespace

std::vector<Trace> Model::forward_batch(const std::vector<tokenizer::Encoding>& encodings,
                                        const ForwardOptions& options, const LayerObserver& observer) const {
    std::vector<Trace> traces;
    forward_batch_into(encodings, traces, options, observer);
    return traces;
}

void Model::forward_batch_into(const std::vector<tokenizer::Encoding>& encodings, std::vector<Trace>& traces,
                               const ForwardOptions& options, const LayerObserver& observer) const {
    const BertConfig& c = impl_->config;
    const BertWeights& w = impl_->weights;
    const size_t S = encodings.size();
    validate_options(options, c);
    for (size_t s = 0; s < S; ++s) validate(encodings[s], S == 1 ? 0 : s, c);
    traces.resize(S);
    if (S == 0) return;
    for (size_t s = 0; s < S; ++s) size_trace(traces[s], c, encodings[s].size(), options.capture);

    // The caller's workspace, or one of the model's own, given back when the call ends (however it ends).
    std::unique_ptr<Workspace> own;
    struct GiveBack {
        Impl& impl;
        std::unique_ptr<Workspace>& workspace;
        ~GiveBack() {
            if (workspace) impl.give_back(std::move(workspace));
        }
    } give_back{*impl_, own};
    Workspace* workspace = options.workspace;
    if (!workspace) {
        own = impl_->take_workspace();
        workspace = own.get();
    }
    WorkspaceBuffers& ws = *workspace->buffers_;
    const BlockContext ctx = prepare_workspace(c, encodings, options, kernels::resolve_threads(options.threads), ws);
    const size_t D = static_cast<size_t>(c.hidden_size);
    auto capture_rows = [&](const std::vector<float>& from, size_t s, FloatBuffer& to, size_t slot) {
        const size_t n = encodings[s].size();
        copy_rows(from.data(), ctx.ld, ws.offset[s], n, D, to.data() + slot * n * D);
    };

    embed(ctx, w, ws);
    if (options.capture.hidden_states) {
        for (size_t s = 0; s < S; ++s) capture_rows(ws.x, s, traces[s].hidden_states, 0);
    }
    // One parallel region for the whole layer loop: the threads go from one block to the next without a
    // fork and join per operation, and wait for each other only where a block reads rows another thread
    // wrote (encoder_blocks.h). The observer runs on the calling thread (thread 0) while the team waits, so
    // it sees whole layers; what it throws is rethrown after the region.
    const long sequences = static_cast<long>(S);
    const bool sync_each_layer = static_cast<bool>(observer) || options.cancel != nullptr;
    bool stop = false;
    std::exception_ptr failure;
#pragma omp parallel num_threads(ctx.threads) if (ctx.threads > 1)
    for (int l = 0; l < c.num_hidden_layers; ++l) {
        const EncoderLayerWeights& lw = w.layers[static_cast<size_t>(l)];
        attention_block(ctx, lw, l, ws, traces);
        if (options.capture.context) {
#pragma omp for schedule(static)
            for (long s = 0; s < sequences; ++s)
                capture_rows(ws.ctx, static_cast<size_t>(s), traces[static_cast<size_t>(s)].contexts,
                             static_cast<size_t>(l));
        }
        ffn_block(ctx, lw, ws);
        if (options.capture.hidden_states) {
#pragma omp for schedule(static)
            for (long s = 0; s < sequences; ++s)
                capture_rows(ws.x, static_cast<size_t>(s), traces[static_cast<size_t>(s)].hidden_states,
                             static_cast<size_t>(l) + 1);
        }
        if (sync_each_layer) {
#pragma omp masked
            {
                try {
                    if (observer) {
                        for (size_t s = 0; s < S; ++s) observer(s, l, traces[s]);
                    }
                    if (options.cancel && options.cancel->load()) stop = true;
                } catch (...) {
                    failure = std::current_exception();
                    stop = true;
                }
            }
#pragma omp barrier
            if (stop) break;
        }
    }
    if (failure) std::rethrow_exception(failure);
    if (stop) return;
    for (size_t s = 0; s < S; ++s) capture_rows(ws.x, s, traces[s].last_hidden_state, 0);
}

Trace Model::forward(const tokenizer::Encoding& encoding, const ForwardOptions& options,
                     const LayerObserver& observer) const {
    std::vector<Trace> traces;
    std::vector<tokenizer::Encoding> one{encoding};
    forward_batch_into(one, traces, options, observer);
    return std::move(traces.front());
}

std::vector<float> Model::output_projection(int layer, int head) const {
    const BertConfig& c = impl_->config;
    if (layer < 0 || layer >= c.num_hidden_layers || head < 0 || head >= c.num_attention_heads) {
        throw Error(fmt::format("layer {} head {} is outside this model ({} × {})", layer, head, c.num_hidden_layers,
                                c.num_attention_heads));
    }
    const size_t D = static_cast<size_t>(c.hidden_size), d = static_cast<size_t>(c.head_dim());
    const kernels::PackedB& b = impl_->weights.layers[static_cast<size_t>(layer)].attention_output_packed.b();
    std::vector<float> out(d * D);
    for (size_t k = 0; k < d; ++k)
        for (size_t col = 0; col < D; ++col)
            out[k * D + col] = kernels::packed_element(b, static_cast<size_t>(head) * d + k, col);
    return out;
}

std::vector<float> Model::mlm_logits(const Trace& trace, const std::vector<size_t>& positions, int threads) const {
    const BertConfig& c = impl_->config;
    const BertWeights& w = impl_->weights;
    if (!w.has_mlm_head) throw Error("this checkpoint has no masked-LM head (cls.predictions.*)");
    if (threads < 0 || threads > kMaxThreads) {
        throw Error(fmt::format("threads {}: expected 0 (one per core) to {}", threads, kMaxThreads));
    }
    const int nt = kernels::resolve_threads(threads);
    const size_t D = static_cast<size_t>(c.hidden_size), V = static_cast<size_t>(c.vocab_size);
    std::vector<size_t> rows = positions;
    if (rows.empty()) {
        rows.resize(trace.seq_len);
        for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
    }
    const size_t m = rows.size();
    std::vector<float> h(m * D), t(m * D), logits(m * V);
    for (size_t r = 0; r < m; ++r) {
        if (rows[r] >= trace.seq_len) {
            throw Error(fmt::format("position {} is outside the input's {} tokens", rows[r], trace.seq_len));
        }
        std::memcpy(h.data() + r * D, trace.last_hidden_state.data() + rows[r] * D, D * sizeof(float));
    }
    // BertLMPredictionHead: dense → activation → LayerNorm → decoder (tied to the word embeddings).
    kernels::linear_rows(h.data(), m, D, D, w.mlm.transform.weight, w.mlm.transform.bias, D, t.data(), D, nt);
    kernels::activation(t.data(), m * D, c.activation, nt);
    kernels::add_layer_norm(t.data(), nullptr, m, D, w.mlm.transform_norm.weight, w.mlm.transform_norm.bias,
                            c.layer_norm_eps, D, nt);
    kernels::linear_rows(t.data(), m, D, D, w.mlm.decoder_weight, w.mlm.decoder_bias, V, logits.data(), V, nt);
    return logits;
}

}  // namespace attnscope::model
