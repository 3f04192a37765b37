// What one forward pass returns: every attention matrix, and on request the tensors behind them.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <vector>

namespace attnscope {

class Workspace;

// The most threads one call may use: more would not make a forward faster on any machine attnscope runs
// on, and OpenMP runtimes fail (or crash) when asked for tens of thousands.
inline constexpr int kMaxThreads = 256;

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
    // Worker threads for this call; 0 = one per core, at most kMaxThreads.
    int threads = 0;
    // Optional [L][H] mask of heads to ablate (1 = keep, 0 = ablate); empty = none.
    std::vector<float> head_mask;
    HeadAblation ablation = HeadAblation::Zero;
    // For HeadAblation::Mean: [L][H][d] mean context vector per head (e.g. averaged over a corpus).
    std::vector<float> mean_context;
    // Checked after every layer: when it becomes true the pass stops early (a client went away); the
    // traces then hold only the layers already computed.
    const std::atomic<bool>* cancel = nullptr;
    // Where the activations live during the call; null = one of the model's own, kept between calls.
    // A Workspace serves one call at a time.
    Workspace* workspace = nullptr;
};

// A trace's tensor: floats the trace owns, or borrows from its caller — a NumPy array the Python binding
// hands in, so that the engine writes its results straight into the memory the user gets (no copy).
// Vector-like; a borrowed buffer has a fixed size, and copying one gives an owning copy.
class FloatBuffer {
  public:
    FloatBuffer() = default;
    FloatBuffer(std::vector<float> v) : owned_(std::move(v)) { point_at_owned(); }  // NOLINT: implicit on purpose
    FloatBuffer(const FloatBuffer& o) : owned_(o.begin(), o.end()) { point_at_owned(); }
    FloatBuffer(FloatBuffer&& o) noexcept { *this = std::move(o); }
    FloatBuffer& operator=(const FloatBuffer& o) {
        if (this != &o) *this = FloatBuffer(o);
        return *this;
    }
    FloatBuffer& operator=(FloatBuffer&& o) noexcept {
        owned_ = std::move(o.owned_);
        borrowed_ = o.borrowed_;
        data_ = borrowed_ ? o.data_ : owned_.data();
        size_ = o.size_;
        o.data_ = nullptr;
        o.size_ = 0;
        o.borrowed_ = false;
        o.owned_.clear();
        return *this;
    }

    // From now on the trace writes into [data, data + size), which the caller keeps alive.
    void borrow(float* data, size_t size) {
        owned_ = {};
        borrowed_ = true;
        data_ = data;
        size_ = size;
    }
    bool borrowed() const { return borrowed_; }

    float* data() { return data_; }
    const float* data() const { return data_; }
    size_t size() const { return size_; }
    // The floats it can hold without allocating (a reused trace keeps its buffers when it shrinks).
    size_t capacity() const { return borrowed_ ? size_ : owned_.capacity(); }
    bool empty() const { return size_ == 0; }
    float& operator[](size_t i) { return data_[i]; }
    const float& operator[](size_t i) const { return data_[i]; }
    float* begin() { return data_; }
    float* end() { return data_ + size_; }
    const float* begin() const { return data_; }
    const float* end() const { return data_ + size_; }

    // Owned buffers resize; a borrowed one keeps its memory and must already have the size asked for.
    void resize(size_t n);
    void assign(size_t n, float value);
    void clear();
    std::vector<float> to_vector() const { return {begin(), end()}; }
    bool operator==(const FloatBuffer& o) const;

  private:
    void point_at_owned() {
        data_ = owned_.data();
        size_ = owned_.size();
    }
    std::vector<float> owned_;
    float* data_ = nullptr;
    size_t size_ = 0;
    bool borrowed_ = false;
};

struct Trace {
    int num_layers = 0;
    int num_heads = 0;
    int head_dim = 0;
    int hidden_size = 0;
    size_t seq_len = 0;

    FloatBuffer attentions;         // [L][H][n][n], row = query, column = key; rows sum to 1
    FloatBuffer last_hidden_state;  // [n][D], always
    FloatBuffer queries;            // [L][H][n][d]    (capture.qkv)
    FloatBuffer keys;               // [L][H][n][d]    (capture.qkv)
    FloatBuffer values;             // [L][H][n][d]    (capture.qkv)
    FloatBuffer scores;             // [L][H][n][n]    (capture.scores)
    FloatBuffer hidden_states;      // [L+1][n][D]     (capture.hidden_states; 0 = embeddings)
    FloatBuffer contexts;           // [L][n][D]       (capture.context; head h in columns h·d..)

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
    const float* head_slice(const FloatBuffer& v, int layer, int head) const {
        return v.data() + (static_cast<size_t>(layer) * num_heads + head) * seq_len * head_dim;
    }
};

// Called on the calling thread once a layer is finished, for every sequence of the call (in order),
// before the next layer starts: streaming outputs are observers, not a second code path.
// `trace` holds layers 0..layer complete; later layers are still zero.
using LayerObserver = std::function<void(size_t sequence, int layer, const Trace& trace)>;

}  // namespace attnscope
