#include "model/encoder_blocks.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/forward_ops.h"
#include "kernels/packed_gemm.h"
#include "model/attention.h"

namespace attnscope::model {

namespace {

// This thread's even share of the T packed rows, then a barrier: LayerNorm reads whole rows, which the
// GEMM before it wrote by panels, and the GEMM after it reads every row.
void layer_norm(const BlockContext& ctx, float* x, size_t dim, const LayerNormWeights& norm) {
    const size_t t = static_cast<size_t>(omp_get_thread_num()), nt = static_cast<size_t>(omp_get_num_threads());
    const size_t begin = ctx.tokens * t / nt, end = ctx.tokens * (t + 1) / nt;
    if (end > begin) {
        kernels::add_layer_norm(x + begin * ctx.ld, nullptr, end - begin, dim, norm.weight, norm.bias,
                                ctx.config.layer_norm_eps, ctx.ld, 1);
    }
#pragma omp barrier
}

}  // namespace

BlockContext prepare_workspace(const BertConfig& c, const std::vector<tokenizer::Encoding>& encodings,
                               const ForwardOptions& options, int threads, WorkspaceBuffers& ws) {
    const size_t S = encodings.size();
    const size_t D = static_cast<size_t>(c.hidden_size), I = static_cast<size_t>(c.intermediate_size);
    const size_t E = static_cast<size_t>(c.embedding_size), d = static_cast<size_t>(c.head_dim());
    ws.offset.resize(S + 1);
    ws.has_padding.resize(S);
    ws.offset[0] = 0;
    size_t max_n = 0;
    for (size_t s = 0; s < S; ++s) {
        const auto& e = encodings[s];
        ws.offset[s + 1] = ws.offset[s] + e.size();
        max_n = std::max(max_n, e.size());
        ws.has_padding[s] =
            std::any_of(e.attention_mask.begin(), e.attention_mask.end(), [](int32_t v) { return v == 0; });
    }
    BlockContext ctx{c, encodings, options};
    ctx.tokens = ws.offset[S];
    ctx.threads = threads;
    // The GEMMs read x, ctx, a and inter as A: rows a multiple of 4 KB long get 64 bytes of padding
    // (kernels::activation_stride) — bert-base's I = 3072, bert-large's D = 1024 and I = 4096.
    ctx.ld = kernels::activation_stride(D);
    ctx.ld_inter = kernels::activation_stride(I);
    ctx.ld_qkv = 3 * D;
    const size_t T = ctx.tokens;
    ensure_size(ws.x, T * ctx.ld);
    ensure_size(ws.qkv, T * ctx.ld_qkv);
    ensure_size(ws.ctx, T * ctx.ld);
    ensure_size(ws.a, T * ctx.ld);
    ensure_size(ws.inter, T * ctx.ld_inter);
    if (E != D) ensure_size(ws.embedded, T * E);
    if (ws.heads.size() < static_cast<size_t>(threads)) ws.heads.resize(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) ws.heads[static_cast<size_t>(t)].reserve(max_n, d);
    return ctx;
}

void embed(const BlockContext& ctx, const BertWeights& w, WorkspaceBuffers& ws) {
    // (word + type) + position, then LayerNorm — torch's summation order. DistilBERT has no token types;
    // RoBERTa counts positions from padding_idx + 1, skipping padding tokens (which get padding_idx);
    // ELECTRA's embeddings are E wide and projected to D when E < D.
    const BertConfig& c = ctx.config;
    const size_t E = static_cast<size_t>(c.embedding_size);
    const bool projected = !w.embedding_projection_packed.bias.empty();
    float* emb = projected ? ws.embedded.data() : ws.x.data();
    const size_t ld_emb = projected ? E : ctx.ld;
    for (size_t s = 0; s < ctx.encodings.size(); ++s) {
        const auto& e = ctx.encodings[s];
        size_t counted = 0;
        for (size_t i = 0; i < e.size(); ++i) {
            float* row = emb + (ws.offset[s] + i) * ld_emb;
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
    kernels::add_layer_norm(emb, nullptr, ctx.tokens, E, w.embedding_norm.weight, w.embedding_norm.bias,
                            c.layer_norm_eps, ld_emb, ctx.threads);
    if (projected) {
        kernels::Epilogue proj;
        proj.bias = w.embedding_projection_packed.bias.data();
        kernels::gemm_packed_parallel(ctx.tokens, emb, E, w.embedding_projection_packed.b(), ws.x.data(), ctx.ld, proj,
                                      ctx.threads);
    }
}

void attention_block(const BlockContext& ctx, const EncoderLayerWeights& lw, int layer, WorkspaceBuffers& ws,
                     std::vector<Trace>& traces) {
    const BertConfig& c = ctx.config;
    const ForwardOptions& options = ctx.options;
    const int H = c.num_attention_heads;
    const size_t D = static_cast<size_t>(c.hidden_size), d = static_cast<size_t>(c.head_dim());
    const size_t ld = ctx.ld, ld_qkv = ctx.ld_qkv;
    kernels::Epilogue qkv_ep;
    qkv_ep.bias = lw.qkv.bias.data();
    kernels::gemm_packed_team(ctx.tokens, ws.x.data(), ld, lw.qkv.b(), ws.qkv.data(), ld_qkv, qkv_ep);

    // torch multiplies the matmul result by the Python float d**-0.5, rounded to fp32.
    const float scale = static_cast<float>(std::pow(static_cast<double>(d), -0.5));
    const long tasks = static_cast<long>(ctx.encodings.size() * static_cast<size_t>(H));
    // (The loop ends on the team's barrier: the output projection reads every head of its rows.)
#pragma omp for schedule(dynamic, 1)
    for (long task = 0; task < tasks; ++task) {
        const size_t s = static_cast<size_t>(task) / static_cast<size_t>(H);
        const int h = static_cast<int>(static_cast<size_t>(task) % static_cast<size_t>(H));
        const size_t n = ctx.encodings[s].size(), o = ws.offset[s];
        Trace& t = traces[s];
        const float* qh = ws.qkv.data() + o * ld_qkv + static_cast<size_t>(h) * d;  // [n][d], rows ld_qkv apart
        const float* kh = qh + D;
        const float* vh = qh + 2 * D;
        const size_t head = static_cast<size_t>(layer) * static_cast<size_t>(H) + static_cast<size_t>(h);
        HeadInputs in{qh,   kh, vh, ld_qkv, n, d, ws.has_padding[s] ? ctx.encodings[s].attention_mask.data() : nullptr,
                      scale};
        HeadOutputs out{t.attentions.data() + head * n * n,
                        options.capture.scores ? t.scores.data() + head * n * n : nullptr,
                        ws.ctx.data() + o * ld + static_cast<size_t>(h) * d, ld};
        HeadAblationSpec ab;
        if (!options.head_mask.empty() && options.head_mask[head] != 1.0f) {
            ab.active = true;
            ab.mode = options.ablation;
            ab.gate = options.head_mask[head];
            if (ab.mode == HeadAblation::Mean) ab.mean_context = options.mean_context.data() + head * d;
        }
        attend_head(in, out, ab, ws.heads[static_cast<size_t>(omp_get_thread_num())]);
        if (options.capture.qkv) {
            const size_t base = head * n * d;  // [L][H][n][d]
            for (size_t i = 0; i < n; ++i) {
                std::memcpy(t.queries.data() + base + i * d, qh + i * ld_qkv, d * sizeof(float));
                std::memcpy(t.keys.data() + base + i * d, kh + i * ld_qkv, d * sizeof(float));
                std::memcpy(t.values.data() + base + i * d, vh + i * ld_qkv, d * sizeof(float));
            }
        }
    }

    // The output projection with bias and residual fused into the GEMM's epilogue, then LayerNorm.
    kernels::Epilogue ao_ep;
    ao_ep.bias = lw.attention_output_packed.bias.data();
    ao_ep.residual = ws.x.data();
    ao_ep.ldr = ld;
    kernels::gemm_packed_team(ctx.tokens, ws.ctx.data(), ld, lw.attention_output_packed.b(), ws.a.data(), ld, ao_ep);
    layer_norm(ctx, ws.a.data(), D, lw.attention_norm);
}

void ffn_block(const BlockContext& ctx, const EncoderLayerWeights& lw, WorkspaceBuffers& ws) {
    const BertConfig& c = ctx.config;
    const size_t D = static_cast<size_t>(c.hidden_size);
    kernels::Epilogue in_ep;
    in_ep.bias = lw.intermediate_packed.bias.data();
    in_ep.activate = true;
    in_ep.activation = c.activation;
    kernels::gemm_packed_team(ctx.tokens, ws.a.data(), ctx.ld, lw.intermediate_packed.b(), ws.inter.data(),
                              ctx.ld_inter, in_ep);
    kernels::Epilogue out_ep;
    out_ep.bias = lw.output_packed.bias.data();
    out_ep.residual = ws.a.data();
    out_ep.ldr = ctx.ld;
    kernels::gemm_packed_team(ctx.tokens, ws.inter.data(), ctx.ld_inter, lw.output_packed.b(), ws.x.data(), ctx.ld,
                              out_ep);
    layer_norm(ctx, ws.x.data(), D, lw.output_norm);
}

}  // namespace attnscope::model
