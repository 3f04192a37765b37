#include "attnscope/ablation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "attnscope/error.h"

namespace attnscope::analysis {

std::vector<MaskPredictions> fill_mask(const model::Model& model, const tokenizer::Encoding& e, size_t top_k,
                                       const ForwardOptions& options) {
    if (!model.has_mlm_head()) {
        throw Error(
            "this checkpoint has no masked-LM head (cls.predictions.*): fill-mask needs a BertForMaskedLM or "
            "BertForPreTraining checkpoint");
    }
    const auto& tok = model.tokenizer();
    const int32_t mask_id = tok.token_to_id(tok.config().mask_token);
    std::vector<size_t> positions;
    for (size_t i = 0; i < e.ids.size(); ++i)
        if (e.ids[i] == mask_id) positions.push_back(i);
    if (positions.empty()) throw Error(fmt::format("the text has no {} token to predict", tok.config().mask_token));
    Trace trace = model.forward(e, options);
    const std::vector<float> logits = model.mlm_logits(trace);
    const size_t V = static_cast<size_t>(model.config().vocab_size);
    std::vector<MaskPredictions> out;
    for (size_t pos : positions) {
        const float* row = logits.data() + pos * V;
        const float m = *std::max_element(row, row + V);
        double z = 0;
        for (size_t v = 0; v < V; ++v) z += std::exp(static_cast<double>(row[v]) - m);
        std::vector<size_t> idx(V);
        std::iota(idx.begin(), idx.end(), 0);
        const size_t k = std::min(top_k, V);
        std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(k), idx.end(),
                          [&](size_t a, size_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
        MaskPredictions mp{pos, {}};
        for (size_t r = 0; r < k; ++r) {
            const int32_t id = static_cast<int32_t>(idx[r]);
            mp.top.push_back(
                {id, tok.id_to_token(id), static_cast<float>(std::exp(static_cast<double>(row[idx[r]]) - m) / z)});
        }
        out.push_back(std::move(mp));
    }
    return out;
}

std::vector<double> hidden_state_change(const Trace& base, const Trace& changed) {
    const size_t n = base.seq_len, D = static_cast<size_t>(base.hidden_size);
    std::vector<double> out(n, 0.0);
    for (size_t i = 0; i < n; ++i) {
        double diff = 0, norm = 0;
        for (size_t c = 0; c < D; ++c) {
            const double a = base.last_hidden_state[i * D + c], b = changed.last_hidden_state[i * D + c];
            diff += (a - b) * (a - b);
            norm += a * a;
        }
        out[i] = norm > 0 ? std::sqrt(diff / norm) : 0.0;
    }
    return out;
}

std::vector<float> parse_head_list(const std::string& spec, int layers, int heads) {
    std::vector<float> mask(static_cast<size_t>(layers * heads), 1.0f);
    std::stringstream ss(spec);
    std::string item;
    bool any = false;
    while (std::getline(ss, item, ',')) {
        if (item.empty()) continue;
        const auto colon = item.find(':');
        if (colon == std::string::npos) {
            throw Error(fmt::format("heads '{}': expected layer:head pairs such as 3:4 or 3:* (0-based)", item));
        }
        int layer = -1, head = -1;
        try {
            size_t used = 0;
            layer = std::stoi(item.substr(0, colon), &used);
            if (used != colon) throw std::invalid_argument("layer");
            const std::string h = item.substr(colon + 1);
            if (h != "*") {
                head = std::stoi(h, &used);
                if (used != h.size()) throw std::invalid_argument("head");
            }
        } catch (const std::exception&) {
            throw Error(fmt::format("heads '{}': expected layer:head pairs such as 3:4 or 3:* (0-based)", item));
        }
        if (layer < 0 || layer >= layers || head < -1 || head >= heads) {
            throw Error(
                fmt::format("heads '{}': this model has layers 0-{} and heads 0-{}", item, layers - 1, heads - 1));
        }
        for (int hh = 0; hh < heads; ++hh)
            if (head < 0 || hh == head) mask[static_cast<size_t>(layer * heads + hh)] = 0.0f;
        any = true;
    }
    if (!any) throw Error("the head list is empty: name at least one layer:head");
    return mask;
}

std::vector<float> mean_head_outputs(const std::vector<Trace>& traces) {
    if (traces.empty()) return {};
    const Trace& f = traces.front();
    const size_t L = static_cast<size_t>(f.num_layers), D = static_cast<size_t>(f.hidden_size);
    std::vector<double> sum(L * D, 0.0);
    size_t tokens = 0;
    for (const Trace& t : traces) {
        if (t.contexts.empty())
            throw Error("mean ablation needs traces captured with their head outputs (capture.context)");
        for (size_t l = 0; l < L; ++l)
            for (size_t i = 0; i < t.seq_len; ++i)
                for (size_t c = 0; c < D; ++c) sum[l * D + c] += t.contexts[(l * t.seq_len + i) * D + c];
        tokens += t.seq_len;
    }
    // [L][D] is [L][H][d]: the heads' slices are consecutive.
    std::vector<float> out(L * D);
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(sum[i] / static_cast<double>(tokens));
    return out;
}

std::vector<double> head_importance(const model::Model& model, const std::vector<tokenizer::Encoding>& inputs,
                                    HeadAblation mode, const std::vector<float>& mean_context, int threads) {
    const int L = model.config().num_hidden_layers, H = model.config().num_attention_heads;
    std::vector<double> out(static_cast<size_t>(L * H), 0.0);
    if (inputs.empty()) return out;
    ForwardOptions opt;
    opt.threads = threads;
    const auto base = model.forward_batch(inputs, opt);
    size_t tokens = 0;
    for (const auto& e : inputs) tokens += e.size();
    opt.ablation = mode;
    opt.mean_context = mean_context;
    std::vector<Trace> ablated;
    for (int head = 0; head < L * H; ++head) {
        opt.head_mask.assign(static_cast<size_t>(L * H), 1.0f);
        opt.head_mask[static_cast<size_t>(head)] = 0.0f;
        model.forward_batch_into(inputs, ablated, opt);
        double total = 0;
        for (size_t s = 0; s < inputs.size(); ++s) {
            for (double c : hidden_state_change(base[s], ablated[s])) total += c;
        }
        out[static_cast<size_t>(head)] = total / static_cast<double>(tokens);
    }
    return out;
}

}  // namespace attnscope::analysis
