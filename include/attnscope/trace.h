// What one forward pass returns: every attention matrix, and on request the tensors behind them.
#pragma once

#include <cstddef>
#include <atomic>
#include <functional>
#include <vector>

namespace attnscope {

// Capture is opt-in: attention probabilities are always returned; the rest costs memory.
struct CaptureOptions {
    bool qkv = false;            // per-head query/key/value vectors
    bool scores = false;         // pre-softmax scores: Q K^T / sqrt(d) + additive mask
    bool hidden_states = false;  // embedding output and every layer's output
    bool context = false;        // each layer's head outputs (Σ_j α_ij v_j), before the output projection
};

// How a head is ablated (issue: head analysis). Zero is transformers 4.x `head_mask` semantics.
enum class HeadAblation { Zero, Uniform, Mean };

struct ForwardOptions {
    CaptureOptions capture;
    // Worker threads; 0 = one per core.
    int threads = 0;
    // Optional [L][H] mask of heads to ablate (1 = keep, 0 = ablate); empty = none.
    std::vector<float> head_mask;
    HeadAblation ablation = HeadAblation::Zero;
    // For HeadAblation::Mean: [L][H][d] mean context vector per head (e.g. averaged over a corpus).
    std::vector<float> mean_context;
    // Checked after every layer: when it becomes true the pass stops early (a client went away); the
    // traces then hold only the layers already computed.
    const std::atomic<bool>* cancel = nullptr;
};

struct Trace {
    int num_layers = 0;
    int num_heads = 0;
    int head_dim = 0;
    int hidden_size = 0;
    size_t seq_len = 0;

    std::vector<float> attentions;         // [L][H][n][n], row = query, column = key; rows sum to 1
    std::vector<float> last_hidden_state;  // [n][D], always
    std::vector<float> queries;            // [L][H][n][d]    (capture.qkv)
    std::vector<float> keys;               // [L][H][n][d]    (capture.qkv)
    std::vector<float> values;             // [L][H][n][d]    (capture.qkv)
    std::vector<float> scores;             // [L][H][n][n]    (capture.scores)
    std::vector<float> hidden_states;      // [L+1][n][D]     (capture.hidden_states; 0 = embeddings)
    std::vector<float> contexts;           // [L][n][D]       (capture.context; head h in columns h·d..)

    size_t matrix_size() const { return seq_len * seq_len; }
    const float* attention(int layer, int head) const {
        return attentions.data() + (static_cast<size_t>(layer) * num_heads + head) * matrix_size();
    }
    float attention(int layer, int head, size_t query, size_t key) const {
        return attention(layer, head)[query * seq_len + key];
    }
    const float* query(int layer, int head) const { return head_slice(queries, layer, head); }
    const float* key(int layer, int head) const { return head_slice(keys, layer, head); }
    const float* value(int layer, int head) const { return head_slice(values, layer, head); }
    const float* score(int layer, int head) const {
        return scores.data() + (static_cast<size_t>(layer) * num_heads + head) * matrix_size();
    }
    const float* hidden_state(int index) const {
        return hidden_states.data() + static_cast<size_t>(index) * seq_len * hidden_size;
    }

private:
    const float* head_slice(const std::vector<float>& v, int layer, int head) const {
        return v.data() + (static_cast<size_t>(layer) * num_heads + head) * seq_len * head_dim;
    }
};

// Called on the calling thread once a layer is finished, for every sequence of the call (in order),
// before the next layer starts: streaming outputs are observers, not a second code path.
// `trace` holds layers 0..layer complete; later layers are still zero.
using LayerObserver = std::function<void(size_t sequence, int layer, const Trace& trace)>;

}  // namespace attnscope
