// Abnar & Zuidema 2020: attention rollout and attention flow over the layers, with the residual
// connection modelled as Â_l = (Ā_l + I) / rowsum (Ā_l the mean over heads), as their code does.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>

#include "attnscope/analysis.h"
#include "attnscope/error.h"
#include "kernels/packed_gemm.h"

namespace attnscope::analysis {
namespace {

// Â for one layer, [n][n].
std::vector<float> residual_attention(const Trace& t, int layer) {
    const size_t n = t.seq_len;
    std::vector<float> out(n * n, 0.0f);
    for (int h = 0; h < t.num_heads; ++h) {
        const float* a = t.attention(layer, h);
        for (size_t i = 0; i < n * n; ++i) out[i] += a[i];
    }
    const float inv_h = 1.0f / static_cast<float>(t.num_heads);
    for (size_t i = 0; i < n; ++i) {
        double sum = 0;
        for (size_t j = 0; j < n; ++j) {
            out[i * n + j] = out[i * n + j] * inv_h + (i == j ? 1.0f : 0.0f);
            sum += out[i * n + j];
        }
        for (size_t j = 0; j < n; ++j) out[i * n + j] = static_cast<float>(out[i * n + j] / sum);
    }
    return out;
}

// Dinic's max-flow on a small dense-ish graph with double capacities.
class MaxFlow {
  public:
    explicit MaxFlow(size_t nodes) : head_(nodes, -1), level_(nodes), it_(nodes) {}
    void add_edge(size_t u, size_t v, double cap) {
        edges_.push_back({v, head_[u], cap});
        head_[u] = static_cast<int>(edges_.size() - 1);
        edges_.push_back({u, head_[v], 0.0});
        head_[v] = static_cast<int>(edges_.size() - 1);
    }
    void reset() {
        for (size_t e = 0; e < edges_.size(); e += 2) {
            edges_[e].cap += edges_[e + 1].cap;
            edges_[e + 1].cap = 0;
        }
    }
    double run(size_t s, size_t t) {
        double flow = 0;
        while (bfs(s, t)) {
            for (size_t i = 0; i < it_.size(); ++i) it_[i] = head_[i];
            double f;
            while ((f = dfs(s, t, std::numeric_limits<double>::infinity())) > kEps) flow += f;
        }
        return flow;
    }

  private:
    static constexpr double kEps = 1e-12;
    struct Edge {
        size_t to;
        int next;
        double cap;
    };
    bool bfs(size_t s, size_t t) {
        std::fill(level_.begin(), level_.end(), -1);
        std::queue<size_t> q;
        level_[s] = 0;
        q.push(s);
        while (!q.empty()) {
            size_t u = q.front();
            q.pop();
            for (int e = head_[u]; e >= 0; e = edges_[static_cast<size_t>(e)].next) {
                const Edge& ed = edges_[static_cast<size_t>(e)];
                if (ed.cap > kEps && level_[ed.to] < 0) {
                    level_[ed.to] = level_[u] + 1;
                    q.push(ed.to);
                }
            }
        }
        return level_[t] >= 0;
    }
    double dfs(size_t u, size_t t, double pushed) {
        if (u == t) return pushed;
        for (int& e = it_[u]; e >= 0; e = edges_[static_cast<size_t>(e)].next) {
            Edge& ed = edges_[static_cast<size_t>(e)];
            if (ed.cap > kEps && level_[ed.to] == level_[u] + 1) {
                double f = dfs(ed.to, t, std::min(pushed, ed.cap));
                if (f > kEps) {
                    ed.cap -= f;
                    edges_[static_cast<size_t>(e) ^ 1].cap += f;
                    return f;
                }
            }
        }
        return 0;
    }
    std::vector<Edge> edges_;
    std::vector<int> head_, level_, it_;
};

}  // namespace

std::vector<float> attention_rollout(const Trace& t) {
    const size_t n = t.seq_len;
    const size_t L = static_cast<size_t>(t.num_layers);
    std::vector<float> out(L * n * n);
    std::vector<float> current = residual_attention(t, 0);
    std::copy(current.begin(), current.end(), out.begin());
    kernels::AlignedFloats packed(kernels::packed_floats(n, n));
    for (size_t l = 1; l < L; ++l) {
        // R_l = Â_l · R_{l-1}
        std::vector<float> a = residual_attention(t, static_cast<int>(l));
        kernels::pack_rows(current.data(), n, n, n, packed.data());
        const kernels::PackedB b{packed.data(), n, n};
        kernels::gemm_packed(n, a.data(), n, b, 0, b.panels(), out.data() + l * n * n, n, {});
        std::copy(out.begin() + static_cast<long>(l * n * n), out.begin() + static_cast<long>((l + 1) * n * n),
                  current.begin());
    }
    return out;
}

std::vector<float> attention_flow(const Trace& t, int layer) {
    const size_t n = t.seq_len;
    if (n > kMaxFlowTokens) {
        throw Error(
            fmt::format("attention flow needs n² max-flow runs and is limited to {} tokens; this input has {} "
                        "(use rollout, or a shorter text)",
                        kMaxFlowTokens, n));
    }
    if (layer < 1 || layer > t.num_layers) {
        throw Error(fmt::format("flow layer {} is outside 1..{}", layer, t.num_layers));
    }
    const size_t top = static_cast<size_t>(layer);
    // Node (l, i) = l·n + i for l = 0 (inputs) .. top; edges (l, i) → (l−1, j) with capacity Â_l[i][j].
    MaxFlow graph((top + 1) * n);
    for (size_t l = 1; l <= top; ++l) {
        std::vector<float> a = residual_attention(t, static_cast<int>(l - 1));
        for (size_t i = 0; i < n; ++i)
            for (size_t j = 0; j < n; ++j)
                if (a[i * n + j] > 0) graph.add_edge(l * n + i, (l - 1) * n + j, a[i * n + j]);
    }
    std::vector<float> out(n * n);
    for (size_t i = 0; i < n; ++i) {
        double total = 0;
        for (size_t j = 0; j < n; ++j) {
            graph.reset();
            const double f = graph.run(top * n + i, j);
            out[i * n + j] = static_cast<float>(f);
            total += f;
        }
        if (total > 0)
            for (size_t j = 0; j < n; ++j) out[i * n + j] = static_cast<float>(out[i * n + j] / total);
    }
    return out;
}

}  // namespace attnscope::analysis
