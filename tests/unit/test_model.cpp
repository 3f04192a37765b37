// The forward pass on a tiny random checkpoint: against a double-precision reference, batches without
// cross-talk, mask semantics, the layer observer, captures, storage dtypes, shards and key variants.
#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/error.h"
#include "attnscope/model.h"
#include "tiny_model.h"

using attnscope::ForwardOptions;
using attnscope::Trace;
using attnscope::model::Model;
using attnscope::tokenizer::Encoding;
namespace t = attnscope::testing;

namespace {

Encoding make_encoding(const std::vector<int>& ids, std::vector<int> mask = {}, std::vector<int> types = {}) {
    Encoding e;
    e.ids.assign(ids.begin(), ids.end());
    e.attention_mask =
        mask.empty() ? std::vector<int32_t>(ids.size(), 1) : std::vector<int32_t>(mask.begin(), mask.end());
    e.type_ids = types.empty() ? std::vector<int32_t>(ids.size(), 0) : std::vector<int32_t>(types.begin(), types.end());
    return e;
}

double max_diff(const attnscope::FloatBuffer& a, const std::vector<double>& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

double max_diff(const attnscope::FloatBuffer& a, const attnscope::FloatBuffer& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    return m;
}

class TinyModel : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        spec_ = t::TinyModelSpec{};
        weights_ = t::tiny_weights(spec_);
        dir_ = t::temp_dir("tiny");
        t::write_tiny_model(dir_, spec_, weights_);
        model_ = Model::load(dir_);
    }
    static t::TinyModelSpec spec_;
    static t::TinyWeights weights_;
    static std::filesystem::path dir_;
    static std::shared_ptr<const Model> model_;
};
t::TinyModelSpec TinyModel::spec_;
t::TinyWeights TinyModel::weights_;
std::filesystem::path TinyModel::dir_;
std::shared_ptr<const Model> TinyModel::model_;

}  // namespace

TEST_F(TinyModel, MatchesDoublePrecisionReference) {
    for (size_t n : {1u, 2u, 7u, 30u, 64u}) {
        std::vector<int> ids, types, mask(n, 1);
        for (size_t i = 0; i < n; ++i) {
            ids.push_back(static_cast<int>((i * 7 + 3) % 40));
            types.push_back(i >= n / 2 ? 1 : 0);
        }
        Trace tr = model_->forward(make_encoding(ids, mask, types));
        auto ref = t::reference_forward(spec_, weights_, ids, types, mask);
        EXPECT_LE(max_diff(tr.attentions, ref.attentions), 2e-6) << "n=" << n;
        EXPECT_LE(max_diff(tr.last_hidden_state, ref.last_hidden), 2e-5) << "n=" << n;
    }
}

TEST_F(TinyModel, PaddingMaskIsAdditiveOnKeysOnly) {
    std::vector<int> ids{2, 9, 10, 11, 3, 0, 0}, mask{1, 1, 1, 1, 1, 0, 0}, types(7, 0);
    Trace tr = model_->forward(make_encoding(ids, mask));
    auto ref = t::reference_forward(spec_, weights_, ids, types, mask);
    EXPECT_LE(max_diff(tr.attentions, ref.attentions), 2e-6);
    const size_t n = 7;
    for (int l = 0; l < spec_.layers; ++l)
        for (int h = 0; h < spec_.heads; ++h)
            for (size_t i = 0; i < n; ++i) {
                EXPECT_EQ(tr.attention(l, h, i, 5), 0.f);  // masked keys get nothing
                EXPECT_EQ(tr.attention(l, h, i, 6), 0.f);
            }
    // Padded query rows still attend normally to the real keys (HF semantics).
    double row_sum = 0;
    for (size_t j = 0; j < n; ++j) row_sum += tr.attention(0, 0, 6, j);
    EXPECT_NEAR(row_sum, 1.0, 1e-6);
}

TEST_F(TinyModel, FullyMaskedSequenceGivesUniformRows) {
    Trace tr = model_->forward(make_encoding({2, 9, 3}, {0, 0, 0}));
    for (size_t j = 0; j < 3; ++j) EXPECT_NEAR(tr.attention(1, 2, 0, j), 1.0 / 3.0, 1e-7);
}

TEST_F(TinyModel, BatchEqualsSeparateCallsWithoutCrossTalk) {
    std::vector<Encoding> batch = {make_encoding({2, 5, 6, 3}), make_encoding({2, 7, 8, 9, 10, 11, 12, 13, 14, 3}),
                                   make_encoding({2, 3}), make_encoding(std::vector<int>(40, 17))};
    auto together = model_->forward_batch(batch);
    ASSERT_EQ(together.size(), batch.size());
    for (size_t s = 0; s < batch.size(); ++s) {
        Trace alone = model_->forward(batch[s]);
        EXPECT_EQ(together[s].seq_len, batch[s].size());
        // Packed rows go through the same kernels; a different row count may pick another GEMM path.
        EXPECT_LE(max_diff(together[s].attentions, alone.attentions), 1e-6) << s;
        EXPECT_LE(max_diff(together[s].last_hidden_state, alone.last_hidden_state), 1e-5) << s;
    }
    // Changing one sequence leaves the others exactly as they were.
    std::vector<Encoding> changed = batch;
    changed[1] = make_encoding({2, 30, 31, 32, 3});
    auto again = model_->forward_batch(changed);
    EXPECT_EQ(again[0].attentions, together[0].attentions);
    EXPECT_EQ(again[2].attentions, together[2].attentions);
}

TEST_F(TinyModel, ObserverSeesEachLayerComplete) {
    std::vector<std::pair<size_t, int>> calls;
    ForwardOptions opt;
    auto tr = model_->forward_batch({make_encoding({2, 5, 3}), make_encoding({2, 6, 7, 3})}, opt,
                                    [&](size_t s, int layer, const Trace& trace) {
                                        calls.emplace_back(s, layer);
                                        // rows of this layer are already softmax-normalised
                                        double sum = 0;
                                        for (size_t j = 0; j < trace.seq_len; ++j)
                                            sum += trace.attention(layer, 0, 0, j);
                                        EXPECT_NEAR(sum, 1.0, 1e-6);
                                        if (layer + 1 < trace.num_layers) {
                                            EXPECT_EQ(trace.attention(layer + 1, 0, 0, 0), 0.f);
                                        }
                                    });
    std::vector<std::pair<size_t, int>> expected = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
    EXPECT_EQ(calls, expected);
}

TEST_F(TinyModel, CapturesHaveTheirShapesAndReproduceAttention) {
    ForwardOptions opt;
    opt.capture = {true, true, true};
    const size_t n = 5, d = 8;
    Trace tr = model_->forward(make_encoding({2, 5, 6, 7, 3}), opt);
    ASSERT_EQ(tr.queries.size(), static_cast<size_t>(spec_.layers * spec_.heads) * n * d);
    ASSERT_EQ(tr.hidden_states.size(), static_cast<size_t>(spec_.layers + 1) * n * 32);
    ASSERT_EQ(tr.scores.size(), tr.attentions.size());
    // scores = q·k/√d, and the last hidden state is the last captured one.
    const float* q = tr.query(1, 3);
    const float* k = tr.key(1, 3);
    double dot = 0;
    for (size_t e = 0; e < d; ++e) dot += static_cast<double>(q[2 * d + e]) * k[4 * d + e];
    EXPECT_NEAR(tr.score(1, 3)[2 * n + 4], dot / std::sqrt(8.0), 1e-5);
    EXPECT_EQ(std::vector<float>(tr.hidden_state(spec_.layers), tr.hidden_state(spec_.layers) + n * 32),
              tr.last_hidden_state);
}

TEST_F(TinyModel, HeadMaskZeroesTheHeadLikeTransformers4) {
    ForwardOptions opt;
    opt.head_mask.assign(static_cast<size_t>(spec_.layers * spec_.heads), 1.f);
    opt.head_mask[1 * spec_.heads + 2] = 0.f;
    auto e = make_encoding({2, 5, 6, 3});
    Trace masked = model_->forward(e, opt);
    Trace plain = model_->forward(e);
    for (size_t i = 0; i < 16; ++i) EXPECT_EQ(masked.attention(1, 2)[i], 0.f);
    EXPECT_EQ(std::vector<float>(masked.attention(0, 0), masked.attention(0, 0) + 16),
              std::vector<float>(plain.attention(0, 0), plain.attention(0, 0) + 16));
    EXPECT_GT(max_diff(masked.last_hidden_state, plain.last_hidden_state), 1e-3);
}

TEST_F(TinyModel, RefusesInputsThatDoNotFit) {
    EXPECT_THROW(model_->forward(make_encoding({})), attnscope::Error);
    EXPECT_THROW(model_->forward(make_encoding(std::vector<int>(65, 5))), attnscope::Error);
    EXPECT_THROW(model_->forward(make_encoding({2, 40, 3})), attnscope::Error);
    EXPECT_THROW(model_->forward(make_encoding({2, 5, 3}, {}, {0, 2, 0})), attnscope::Error);
    try {
        model_->forward(make_encoding(std::vector<int>(65, 5)));
    } catch (const attnscope::Error& e) {
        EXPECT_NE(
            std::string(e.what()).find("65 tokens (with special tokens) is longer than the model's maximum of 64"),
            std::string::npos);
    }
}

TEST(ModelVariants, KeyNamesShardsAndDtypesLoadTheSameModel) {
    t::TinyModelSpec spec;
    auto w = t::tiny_weights(spec);
    auto base_dir = t::temp_dir("variant-base");
    t::write_tiny_model(base_dir, spec, w);
    auto e = make_encoding({2, 5, 6, 7, 3});
    Trace base = Model::load(base_dir)->forward(e);

    auto bert_dir = t::temp_dir("variant-bert-gamma");
    t::write_tiny_model(bert_dir, spec, w, "F32", "bert.", true);
    auto m = Model::load(bert_dir);
    EXPECT_EQ(m->info().key_prefix, "bert.");
    EXPECT_EQ(m->info().layer_norm_names, "gamma/beta");
    EXPECT_EQ(m->forward(e).attentions, base.attentions);

    auto shard_dir = t::temp_dir("variant-shards");
    t::write_tiny_model(shard_dir, spec, w, "F32", "", false, 3);
    auto ms = Model::load(shard_dir);
    EXPECT_EQ(ms->info().weight_files.size(), 3u);
    EXPECT_EQ(ms->info().format, "safetensors (sharded)");
    EXPECT_EQ(ms->forward(e).attentions, base.attentions);

    for (const char* dtype : {"F16", "BF16"}) {
        auto dir = t::temp_dir(std::string("variant-") + dtype);
        t::write_tiny_model(dir, spec, w, dtype);
        auto md = Model::load(dir);
        EXPECT_EQ(md->info().dtype, dtype);
        EXPECT_GT(md->info().converted_bytes, 0u);
        EXPECT_EQ(md->info().zero_copy_bytes, 0u);
        // Same model up to the storage rounding of the weights.
        double diff = max_diff(md->forward(e).attentions, base.attentions);
        EXPECT_LT(diff, std::string(dtype) == "F16" ? 5e-3 : 3e-2) << dtype;
        EXPECT_GT(diff, 0.0) << dtype;
    }
}

TEST(ModelVariants, ZeroCopyForF32) {
    t::TinyModelSpec spec;
    auto dir = t::temp_dir("zero-copy");
    t::write_tiny_model(dir, spec, t::tiny_weights(spec));
    auto m = Model::load(dir);
    EXPECT_EQ(m->info().converted_bytes, 0u);
    EXPECT_GT(m->info().zero_copy_bytes, 0u);
}

TEST(ModelVariants, ActivationFromConfig) {
    t::TinyModelSpec spec;
    spec.act = "gelu_new";
    auto dir = t::temp_dir("gelu-new");
    t::write_tiny_model(dir, spec, t::tiny_weights(spec));
    EXPECT_EQ(Model::load(dir)->config().activation, attnscope::model::Activation::GeluTanh);
    spec.act = "swishy";
    auto bad = t::temp_dir("bad-act");
    t::write_tiny_model(bad, spec, t::tiny_weights(spec));
    EXPECT_THROW(Model::load(bad), attnscope::Error);
}

// assign writes only what is not already the value: a reused buffer's old values are overwritten, a grown
// one's new elements are zero, and a non-zero value reaches every element.
TEST(FloatBuffer, AssignOverwritesOldValuesAndZeroesNewOnes) {
    attnscope::FloatBuffer b(std::vector<float>(10, 1.0f));
    b.assign(20, 0.0f);
    for (float x : b) EXPECT_EQ(x, 0.0f);
    b.assign(20, 3.0f);
    b.assign(7, 0.0f);
    EXPECT_EQ(b.size(), 7u);
    for (float x : b) EXPECT_EQ(x, 0.0f);
    b.assign(12, 2.5f);
    for (float x : b) EXPECT_EQ(x, 2.5f);
    b.assign(30, -0.0f);
    for (float x : b) EXPECT_TRUE(x == 0.0f && std::signbit(x));
}
