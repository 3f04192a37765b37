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
    if (n > static_cast<size_t>(c.max_position_embeddings)) {
        throw Error(fmt::format("{}: {} tokens (with special tokens) is longer than the model's maximum of {}; "
                                "shorten the text or enable truncation",
                                where(), n, c.max_position_embeddings));
    }
    if (e.type_ids.size() != n || e.attention_mask.size() != n) {
        throw Error(fmt::format("{}: ids, token type ids and attention mask differ in length", where()));
    }
    for (size_t i = 0; i < n; ++i) {
        if (e.ids[i] < 0 || e.ids[i] >= c.vocab_size) {
            throw Error(fmt::format("{}: token id {} at position {} is outside the model's vocabulary of {}", where(),
                                    e.ids[i], i, c.vocab_size));
        }
        if (e.type_ids[i] < 0 || e.type_ids[i] >= c.type_vocab_size) {
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
    const BertConfig& c = impl_->config;
    const BertWeights& w = impl_->weights;
    const size_t S = encodings.size();
    if (S == 0) return {};
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

    std::vector<Trace> traces(S);
    for (size_t s = 0; s < S; ++s) {
        Trace& t = traces[s];
        const size_t n = encodings[s].size();
        t.num_layers = L;
        t.num_heads = H;
        t.head_dim = static_cast<int>(d);
        t.hidden_size = static_cast<int>(D);
        t.seq_len = n;
        t.attentions.assign(static_cast<size_t>(L * H) * n * n, 0.f);
        if (options.capture.qkv) {
            t.queries.assign(static_cast<size_t>(L * H) * n * d, 0.f);
            t.keys.assign(t.queries.size(), 0.f);
            t.values.assign(t.queries.size(), 0.f);
        }
        if (options.capture.scores) t.scores.assign(t.attentions.size(), 0.f);
        if (options.capture.hidden_states) t.hidden_states.assign(static_cast<size_t>(L + 1) * n * D, 0.f);
    }

    // Activations of all packed tokens: x [T][D] is the layer input, a [T][D] the attention block output.
    std::vector<float> x(T * D), q(T * D), k(T * D), v(T * D), ctx(T * D), a(T * D), inter(T * I);
    std::vector<std::vector<float>> key_t(static_cast<size_t>(nt), std::vector<float>(d * max_n));

    // Embeddings: (word + type) + position, then LayerNorm — torch's summation order.
    for (size_t s = 0; s < S; ++s) {
        const auto& e = encodings[s];
        for (size_t i = 0; i < e.size(); ++i) {
            float* row = x.data() + (offset[s] + i) * D;
            const float* we = w.word_embeddings + static_cast<size_t>(e.ids[i]) * D;
            const float* te = w.token_type_embeddings + static_cast<size_t>(e.type_ids[i]) * D;
            const float* pe = w.position_embeddings + i * D;
            for (size_t j = 0; j < D; ++j) row[j] = (we[j] + te[j]) + pe[j];
        }
    }
    kernels::add_layer_norm(x.data(), nullptr, T, D, w.embedding_norm.weight, w.embedding_norm.bias, c.layer_norm_eps);
    auto capture_hidden = [&](int index) {
        if (!options.capture.hidden_states) return;
        for (size_t s = 0; s < S; ++s) {
            const size_t n = encodings[s].size();
            std::memcpy(traces[s].hidden_states.data() + static_cast<size_t>(index) * n * D, x.data() + offset[s] * D,
                        n * D * sizeof(float));
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
    // The additive key mask of eager attention: finfo(float32).min, added (not assigned) to the scores.
    const float mask_value = -FLT_MAX;

    for (int l = 0; l < L; ++l) {
        const EncoderLayerWeights& lw = w.layers[static_cast<size_t>(l)];
        const kernels::LinearOp qkv[3] = {{lw.query.weight, lw.query.bias, D, q.data(), D},
                                          {lw.key.weight, lw.key.bias, D, k.data(), D},
                                          {lw.value.weight, lw.value.bias, D, v.data(), D}};
        kernels::linear(x.data(), T, D, D, qkv, 3);

        const long tasks = static_cast<long>(S * static_cast<size_t>(H));
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
        for (long task = 0; task < tasks; ++task) {
            const size_t s = static_cast<size_t>(task) / static_cast<size_t>(H);
            const int h = static_cast<int>(static_cast<size_t>(task) % static_cast<size_t>(H));
            const size_t n = encodings[s].size(), o = offset[s];
            Trace& t = traces[s];
            float* kt = key_t[static_cast<size_t>(omp_get_thread_num())].data();
            const float* qh = q.data() + o * D + static_cast<size_t>(h) * d;
            const float* kh = k.data() + o * D + static_cast<size_t>(h) * d;
            const float* vh = v.data() + o * D + static_cast<size_t>(h) * d;
            float* ch = ctx.data() + o * D + static_cast<size_t>(h) * d;
            float* p = t.attentions.data() + (static_cast<size_t>(l) * H + h) * n * n;

            for (size_t j = 0; j < n; ++j)
                for (size_t kk = 0; kk < d; ++kk) kt[kk * n + j] = kh[j * D + kk];
            kernels::gemm_nn(n, n, d, scale, qh, D, kt, n, p, n);
            if (has_padding[s]) {
                const auto& m = encodings[s].attention_mask;
                for (size_t i = 0; i < n; ++i)
                    for (size_t j = 0; j < n; ++j)
                        if (m[j] == 0) p[i * n + j] += mask_value;
            }
            if (options.capture.scores) std::memcpy(t.scores.data() + (static_cast<size_t>(l) * H + h) * n * n, p, n * n * sizeof(float));
            kernels::softmax_rows(p, n, n, n);

            bool ablated = false;
            if (!options.head_mask.empty()) {
                const float gate = options.head_mask[static_cast<size_t>(l * H + h)];
                if (gate != 1.0f) {
                    ablated = true;
                    if (options.ablation == HeadAblation::Zero) {
                        // transformers 4.x head_mask: probabilities times the gate, and outputs.attentions shows it.
                        for (size_t i = 0; i < n * n; ++i) p[i] *= gate;
                    } else if (options.ablation == HeadAblation::Uniform) {
                        // Kovaleva et al.: the head attends uniformly to every real token.
                        const auto& m = encodings[s].attention_mask;
                        size_t real = static_cast<size_t>(std::count(m.begin(), m.end(), 1));
                        for (size_t i = 0; i < n; ++i)
                            for (size_t j = 0; j < n; ++j)
                                p[i * n + j] = m[j] ? 1.0f / static_cast<float>(real ? real : n) : 0.0f;
                        if (real == 0) std::fill(p, p + n * n, 1.0f / static_cast<float>(n));
                    }
                }
            }
            if (ablated && options.ablation == HeadAblation::Mean) {
                // Mean ablation: the head's output is replaced by its mean context vector.
                const float* mean = options.mean_context.data() + static_cast<size_t>(l * H + h) * d;
                for (size_t i = 0; i < n; ++i) std::memcpy(ch + i * D, mean, d * sizeof(float));
            } else {
                kernels::gemm_nn(n, d, n, 1.0f, p, n, vh, D, ch, D);
            }
            if (options.capture.qkv) {
                const size_t base = (static_cast<size_t>(l) * H + h) * n * d;
                for (size_t i = 0; i < n; ++i) {
                    std::memcpy(t.queries.data() + base + i * d, qh + i * D, d * sizeof(float));
                    std::memcpy(t.keys.data() + base + i * d, kh + i * D, d * sizeof(float));
                    std::memcpy(t.values.data() + base + i * d, vh + i * D, d * sizeof(float));
                }
            }
        }

        kernels::linear(ctx.data(), T, D, lw.attention_output.weight, lw.attention_output.bias, D, a.data());
        kernels::add_layer_norm(a.data(), x.data(), T, D, lw.attention_norm.weight, lw.attention_norm.bias,
                                c.layer_norm_eps);
        kernels::linear(a.data(), T, D, lw.intermediate.weight, lw.intermediate.bias, I, inter.data());
        kernels::activation(inter.data(), T * I, kernel_activation(c.activation));
        kernels::linear(inter.data(), T, I, lw.output.weight, lw.output.bias, D, x.data());
        kernels::add_layer_norm(x.data(), a.data(), T, D, lw.output_norm.weight, lw.output_norm.bias, c.layer_norm_eps);
        capture_hidden(l + 1);
        if (observer) {
            for (size_t s = 0; s < S; ++s) observer(s, l, traces[s]);
        }
    }

    for (size_t s = 0; s < S; ++s) {
        const size_t n = encodings[s].size();
        traces[s].last_hidden_state.assign(x.data() + offset[s] * D, x.data() + (offset[s] + n) * D);
    }
    return traces;
}

Trace Model::forward(const tokenizer::Encoding& encoding, const ForwardOptions& options,
                     const LayerObserver& observer) const {
    auto traces = forward_batch({encoding}, options, observer);
    return std::move(traces.front());
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
