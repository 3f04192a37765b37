// The encoder forward pass, fp32, identical in meaning to eager `BertModel` in eval mode:
//   embeddings: LN(word[id] + type[tt] + pos[p])
//   per layer:  Q,K,V = xW^T + b;  P = softmax(QK^T · d^-1/2 + mask);  ctx = P V
//               a = LN(ctx Wo^T + bo + x);  x' = LN(act(a Wi^T + bi) Wout^T + bout + a)
// Tokens of all sequences in a call are packed row after row for the linear layers (no padding);
// attention runs per (sequence, head), so sequences never see each other.
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "attnscope/error.h"
#include "attnscope/model.h"
#include "kernels/kernels.h"
#include "kernels/packed_gemm.h"
#include "model/attention.h"
#include "model/model_impl.h"

namespace attnscope::model {
namespace {

kernels::Activation kernel_activation(Activation a) {
    switch (a) {
        case Activation::GeluErf: return kernels::Activation::GeluErf;
        case Activation::GeluTanh: return kernels::Activation::GeluTanh;
        case Activation::Relu: return kernels::Activation::Relu;
        case Activation::Silu: return kernels::Activation::Silu;
    }
    return kernels::Activation::GeluErf;
}

void validate(const tokenizer::Encoding& e, size_t index, const BertConfig& c) {
    const size_t n = e.ids.size();
    auto where = [&] { return index == 0 ? std::string("input") : fmt::format("input {}", index + 1); };
    if (n == 0) throw Error(fmt::format("{}: empty input (no tokens to run)", where()));
    if (n > c.max_tokens()) {
        throw Error(fmt::format("{}: {} tokens (with special tokens) is longer than the model's maximum of {}; "
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

class ThreadScope {
public:
    explicit ThreadScope(int threads) : previous_(kernels::num_threads()), changed_(threads > 0) {
        if (changed_) kernels::set_num_threads(threads);
    }
    ~ThreadScope() {
        if (changed_) kernels::set_num_threads(previous_);
    }

private:
    int previous_;
    bool changed_;
};

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
    traces.resize(S);
    if (S == 0) return;
    for (size_t s = 0; s < S; ++s) validate(encodings[s], S == 1 ? 0 : s, c);
    const int L = c.num_hidden_layers, H = c.num_attention_heads;
    const size_t D = static_cast<size_t>(c.hidden_size), I = static_cast<size_t>(c.intermediate_size);
    const size_t d = static_cast<size_t>(c.head_dim());
    if (!options.head_mask.empty() && options.head_mask.size() != static_cast<size_t>(L * H)) {
        throw Error(fmt::format("head_mask has {} entries; this model has {} layers x {} heads", options.head_mask.size(),
                                L, H));
    }
    if (options.ablation == HeadAblation::Mean && !options.head_mask.empty() &&
        options.mean_context.size() != static_cast<size_t>(L * H) * d) {
        throw Error("mean ablation needs a mean context vector for every head");
    }
    ThreadScope thread_scope(options.threads);
    const int nt = kernels::num_threads();

    std::vector<size_t> offset(S + 1, 0);
    size_t max_n = 0;
    for (size_t s = 0; s < S; ++s) {
        offset[s + 1] = offset[s] + encodings[s].size();
        max_n = std::max(max_n, encodings[s].size());
    }
    const size_t T = offset[S];

    // Every element of these buffers is written by the forward pass (later layers are zero until then only
    // for a fresh trace), so a reused trace is resized without clearing.
    auto fit = [](std::vector<float>& v, size_t size, bool wanted) {
        if (!wanted) {
            v.clear();
        } else if (v.size() != size) {
            v.assign(size, 0.f);
        }
    };
    for (size_t s = 0; s < S; ++s) {
        Trace& t = traces[s];
        const size_t n = encodings[s].size();
        t.num_layers = L;
        t.num_heads = H;
        t.head_dim = static_cast<int>(d);
        t.hidden_size = static_cast<int>(D);
        t.seq_len = n;
        fit(t.attentions, static_cast<size_t>(L * H) * n * n, true);
        fit(t.queries, static_cast<size_t>(L * H) * n * d, options.capture.qkv);
        fit(t.keys, static_cast<size_t>(L * H) * n * d, options.capture.qkv);
        fit(t.values, static_cast<size_t>(L * H) * n * d, options.capture.qkv);
        fit(t.scores, static_cast<size_t>(L * H) * n * n, options.capture.scores);
        fit(t.hidden_states, static_cast<size_t>(L + 1) * n * D, options.capture.hidden_states);
        fit(t.contexts, static_cast<size_t>(L) * n * D, options.capture.context);
    }

    // Activations of all packed tokens: x [T][D] is the layer input, qkv [T][3D] the projections side by
    // side, ctx [T][D] the heads' outputs, a [T][D] the attention block output, inter [T][I] the MLP's
    // hidden layer. The GEMMs read x, ctx, a and inter as A: rows a multiple of 4 KB long get 64 bytes of
    // padding (kernels::activation_stride) — bert-base's I = 3072, bert-large's D = 1024 and I = 4096.
    const size_t ld = kernels::activation_stride(D), ld_inter = kernels::activation_stride(I);
    std::vector<float> x(T * ld), qkv(T * 3 * D), ctx(T * ld), a(T * ld), inter(T * ld_inter);
    const size_t ld_qkv = 3 * D;
    std::vector<HeadScratch> scratch;
    for (int i = 0; i < nt; ++i) scratch.emplace_back(max_n, d);

    // Embeddings: (word + type) + position, then LayerNorm — torch's summation order. DistilBERT has no
    // token types; RoBERTa counts positions from padding_idx + 1, skipping padding tokens (which get
    // padding_idx); ELECTRA's embeddings are E wide and projected to D when E < D.
    const size_t E = static_cast<size_t>(c.embedding_size);
    std::vector<float> embedded(w.embedding_projection_packed.bias.empty() ? 0 : T * E);
    float* emb = embedded.empty() ? x.data() : embedded.data();
    const size_t ld_emb = embedded.empty() ? ld : E;
    for (size_t s = 0; s < S; ++s) {
        const auto& e = encodings[s];
        size_t counted = 0;
        for (size_t i = 0; i < e.size(); ++i) {
            float* row = emb + (offset[s] + i) * ld_emb;
            size_t position = i;
            if (c.family == Family::Roberta) {
                const bool pad = e.ids[i] == c.pad_token_id;
                position = pad ? static_cast<size_t>(c.pad_token_id) : ++counted + static_cast<size_t>(c.pad_token_id);
            }
            const float* we = w.word_embeddings + static_cast<size_t>(e.ids[i]) * E;
            const float* pe = w.position_embeddings + position * E;
            if (w.token_type_embeddings) {
                const float* te = w.token_type_embeddings + static_cast<size_t>(e.type_ids[i]) * E;
                for (size_t j = 0; j < E; ++j) row[j] = (we[j] + te[j]) + pe[j];
            } else {
                for (size_t j = 0; j < E; ++j) row[j] = we[j] + pe[j];
            }
        }
    }
    kernels::add_layer_norm(emb, nullptr, T, E, w.embedding_norm.weight, w.embedding_norm.bias, c.layer_norm_eps,
                            ld_emb);
    if (!embedded.empty()) {
        kernels::Epilogue proj;
        proj.bias = w.embedding_projection_packed.bias.data();
        kernels::gemm_packed_parallel(T, embedded.data(), E, w.embedding_projection_packed.b(), x.data(), ld, proj);
    }
    // Copies rows [offset[s], offset[s] + n) of a [T][ld] activation into a trace's dense [n][D] slot.
    auto copy_rows = [&](const float* from, size_t s, float* to) {
        for (size_t i = 0; i < encodings[s].size(); ++i) std::memcpy(to + i * D, from + (offset[s] + i) * ld, D * sizeof(float));
    };
    auto capture_hidden = [&](int index) {
        if (!options.capture.hidden_states) return;
        for (size_t s = 0; s < S; ++s) {
            copy_rows(x.data(), s, traces[s].hidden_states.data() + static_cast<size_t>(index) * encodings[s].size() * D);
        }
    };
    capture_hidden(0);

    std::vector<uint8_t> has_padding(S, 0);
    for (size_t s = 0; s < S; ++s) {
        const auto& m = encodings[s].attention_mask;
        has_padding[s] = std::any_of(m.begin(), m.end(), [](int32_t v) { return v == 0; });
    }
    // torch multiplies the matmul result by the Python float d**-0.5, rounded to fp32.
    const float scale = static_cast<float>(std::pow(static_cast<double>(d), -0.5));

    for (int l = 0; l < L; ++l) {
        const EncoderLayerWeights& lw = w.layers[static_cast<size_t>(l)];
        kernels::Epilogue qkv_ep;
        qkv_ep.bias = lw.qkv.bias.data();
        kernels::gemm_packed_parallel(T, x.data(), ld, lw.qkv.b(), qkv.data(), ld_qkv, qkv_ep);

        const long tasks = static_cast<long>(S * static_cast<size_t>(H));
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
        for (long task = 0; task < tasks; ++task) {
            const size_t s = static_cast<size_t>(task) / static_cast<size_t>(H);
            const int h = static_cast<int>(static_cast<size_t>(task) % static_cast<size_t>(H));
            const size_t n = encodings[s].size(), o = offset[s];
            Trace& t = traces[s];
            const size_t thread = static_cast<size_t>(omp_get_thread_num());
            const float* qh = qkv.data() + o * ld_qkv + static_cast<size_t>(h) * d;
            const float* kh = qh + D;
            const float* vh = qh + 2 * D;
            const size_t head = static_cast<size_t>(l) * H + static_cast<size_t>(h);
            HeadInputs in{qh, kh, vh, ld_qkv, n, d, has_padding[s] ? encodings[s].attention_mask.data() : nullptr, scale};
            HeadOutputs out{t.attentions.data() + head * n * n,
                            options.capture.scores ? t.scores.data() + head * n * n : nullptr,
                            ctx.data() + o * ld + static_cast<size_t>(h) * d, ld};
            HeadAblationSpec ab;
            if (!options.head_mask.empty() && options.head_mask[head] != 1.0f) {
                ab.active = true;
                ab.mode = options.ablation;
                ab.gate = options.head_mask[head];
                if (ab.mode == HeadAblation::Mean) ab.mean_context = options.mean_context.data() + head * d;
            }
            attend_head(in, out, ab, scratch[thread]);
            if (options.capture.qkv) {
                const size_t base = (static_cast<size_t>(l) * H + h) * n * d;
                for (size_t i = 0; i < n; ++i) {
                    std::memcpy(t.queries.data() + base + i * d, qh + i * ld_qkv, d * sizeof(float));
                    std::memcpy(t.keys.data() + base + i * d, kh + i * ld_qkv, d * sizeof(float));
                    std::memcpy(t.values.data() + base + i * d, vh + i * ld_qkv, d * sizeof(float));
                }
            }
        }

        if (options.capture.context) {
            for (size_t s = 0; s < S; ++s) {
                copy_rows(ctx.data(), s, traces[s].contexts.data() + static_cast<size_t>(l) * encodings[s].size() * D);
            }
        }
        // Fused epilogues: bias + residual before each LayerNorm, bias + activation after the intermediate.
        kernels::Epilogue ao_ep;
        ao_ep.bias = lw.attention_output_packed.bias.data();
        ao_ep.residual = x.data();
        ao_ep.ldr = ld;
        kernels::gemm_packed_parallel(T, ctx.data(), ld, lw.attention_output_packed.b(), a.data(), ld, ao_ep);
        kernels::add_layer_norm(a.data(), nullptr, T, D, lw.attention_norm.weight, lw.attention_norm.bias, c.layer_norm_eps,
                                ld);
        kernels::Epilogue in_ep;
        in_ep.bias = lw.intermediate_packed.bias.data();
        in_ep.activate = true;
        in_ep.activation = kernel_activation(c.activation);
        kernels::gemm_packed_parallel(T, a.data(), ld, lw.intermediate_packed.b(), inter.data(), ld_inter, in_ep);
        kernels::Epilogue out_ep;
        out_ep.bias = lw.output_packed.bias.data();
        out_ep.residual = a.data();
        out_ep.ldr = ld;
        kernels::gemm_packed_parallel(T, inter.data(), ld_inter, lw.output_packed.b(), x.data(), ld, out_ep);
        kernels::add_layer_norm(x.data(), nullptr, T, D, lw.output_norm.weight, lw.output_norm.bias, c.layer_norm_eps,
                                ld);
        capture_hidden(l + 1);
        if (observer) {
            for (size_t s = 0; s < S; ++s) observer(s, l, traces[s]);
        }
        if (options.cancel && options.cancel->load()) return;
    }

    for (size_t s = 0; s < S; ++s) {
        const size_t n = encodings[s].size();
        traces[s].last_hidden_state.resize(n * D);
        copy_rows(x.data(), s, traces[s].last_hidden_state.data());
    }
}

Trace Model::forward(const tokenizer::Encoding& encoding, const ForwardOptions& options,
                     const LayerObserver& observer) const {
    auto traces = forward_batch({encoding}, options, observer);
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
        for (size_t col = 0; col < D; ++col) out[k * D + col] = kernels::packed_element(b, static_cast<size_t>(head) * d + k, col);
    return out;
}

std::vector<float> Model::mlm_logits(const Trace& trace) const {
    const BertConfig& c = impl_->config;
    const BertWeights& w = impl_->weights;
    if (!w.has_mlm_head) throw Error("this checkpoint has no masked-LM head (cls.predictions.*)");
    const size_t n = trace.seq_len, D = static_cast<size_t>(c.hidden_size), V = static_cast<size_t>(c.vocab_size);
    std::vector<float> t(n * D), logits(n * V);
    kernels::linear(trace.last_hidden_state.data(), n, D, w.mlm.transform.weight, w.mlm.transform.bias, D, t.data());
    kernels::activation(t.data(), n * D, kernel_activation(c.activation));
    kernels::add_layer_norm(t.data(), nullptr, n, D, w.mlm.transform_norm.weight, w.mlm.transform_norm.bias,
                            c.layer_norm_eps);
    kernels::linear(t.data(), n, D, w.mlm.decoder_weight, w.mlm.decoder_bias, V, logits.data());
    return logits;
}

}  // namespace attnscope::model
