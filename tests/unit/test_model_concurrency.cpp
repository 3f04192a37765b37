// State per call, not per process: a repeated forward of one shape allocates nothing (its activations
// live in a reused Workspace), and forwards running at once on one Model — each with its own thread
// count — give exactly the bits they give one after the other.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <new>
#include <thread>
#include <vector>

#include "attnscope/error.h"
#include "attnscope/model.h"
#include "tiny_model.h"

namespace {

// Every operator new of the test program is counted while `g_counting` is set.
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

}  // namespace

// malloc/free under replaced operator new/delete: GCC cannot see they pair up.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
    if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    return ::operator new(size);
}
void* operator new(std::size_t size, std::align_val_t align) {
    if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
    const size_t a = static_cast<size_t>(align);
    if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) {
    return ::operator new(size, align);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
#pragma GCC diagnostic pop

using attnscope::ForwardOptions;
using attnscope::Trace;
using attnscope::Workspace;
using attnscope::model::Model;
using attnscope::tokenizer::Encoding;
namespace t = attnscope::testing;

namespace {

Encoding make_encoding(size_t n, int seed, bool padded = false) {
    Encoding e;
    for (size_t i = 0; i < n; ++i) e.ids.push_back(static_cast<int32_t>((seed * 7 + static_cast<int>(i) * 13) % 40));
    e.type_ids.assign(n, 0);
    e.attention_mask.assign(n, 1);
    if (padded) e.attention_mask.back() = 0;
    return e;
}

class WorkspaceModel : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        t::TinyModelSpec spec;
        spec.hidden = 64;
        spec.heads = 4;
        spec.intermediate = 96;
        spec.layers = 3;
        const auto dir = t::temp_dir("workspace");
        t::write_tiny_model(dir, spec, t::tiny_weights(spec));
        model_ = Model::load(dir);
    }
    static std::shared_ptr<const Model> model_;
};
std::shared_ptr<const Model> WorkspaceModel::model_;

long allocations_during(const std::function<void()>& fn) {
    g_allocations.store(0);
    g_counting.store(true);
    fn();
    g_counting.store(false);
    return g_allocations.load();
}

}  // namespace

TEST_F(WorkspaceModel, SecondCallOfTheSameShapeAllocatesNothing) {
    const std::vector<Encoding> batch{make_encoding(9, 1), make_encoding(17, 2, true), make_encoding(3, 3)};
    for (bool own_workspace : {true, false}) {
        Workspace workspace;
        ForwardOptions options;
        options.threads = 2;
        options.capture.qkv = true;
        options.capture.hidden_states = true;
        if (own_workspace) options.workspace = &workspace;
        std::vector<Trace> traces;
        const long first = allocations_during([&] { model_->forward_batch_into(batch, traces, options); });
        const long second = allocations_during([&] { model_->forward_batch_into(batch, traces, options); });
        // A smaller call fits in what the first one grew.
        const std::vector<Encoding> smaller{batch[0], batch[1]};
        std::vector<Trace> small_traces(2);
        model_->forward_batch_into(smaller, small_traces, options);
        const long third = allocations_during([&] { model_->forward_batch_into(smaller, small_traces, options); });
        std::printf(
            "%s workspace: %ld allocations in the first call, %ld in the second, %ld in a smaller repeat; "
            "%zu bytes held\n",
            own_workspace ? "caller's" : "the model's", first, second, third, workspace.bytes());
        EXPECT_GT(first, 0);
        EXPECT_EQ(second, 0);
        EXPECT_EQ(third, 0);
        if (own_workspace) {
            EXPECT_GT(workspace.bytes(), 0u);
        }
    }
}

TEST_F(WorkspaceModel, ConcurrentForwardsWithDifferentThreadCountsGiveTheSequentialBits) {
    std::vector<std::vector<Encoding>> jobs;
    for (int j = 0; j < 4; ++j)
        jobs.push_back({make_encoding(5 + 6 * j, j), make_encoding(40 - 3 * j, j + 9, j % 2 == 1)});
    const int threads_of[] = {1, 2, 3, 2};
    std::vector<std::vector<Trace>> expected(jobs.size());
    for (size_t j = 0; j < jobs.size(); ++j) {
        ForwardOptions o;
        o.threads = 1;
        expected[j] = model_->forward_batch(jobs[j], o);
    }
    std::atomic<int> mismatches{0};
    std::vector<std::thread> workers;
    for (size_t j = 0; j < jobs.size(); ++j) {
        workers.emplace_back([&, j] {
            ForwardOptions o;
            o.threads = threads_of[j];
            o.capture.hidden_states = true;
            std::vector<Trace> traces;
            for (int rep = 0; rep < 25; ++rep) {
                model_->forward_batch_into(jobs[j], traces, o);
                for (size_t s = 0; s < traces.size(); ++s) {
                    if (traces[s].attentions != expected[j][s].attentions ||
                        traces[s].last_hidden_state != expected[j][s].last_hidden_state) {
                        mismatches.fetch_add(1);
                    }
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    EXPECT_EQ(mismatches.load(), 0) << "forwards running at once differ from the same forwards one after the other";
}

TEST_F(WorkspaceModel, ThreadCountsOutsideTheRangeAreRefused) {
    const std::vector<Encoding> one{make_encoding(4, 1)};
    for (int threads : {-1, attnscope::kMaxThreads + 1, 100000}) {
        ForwardOptions o;
        o.threads = threads;
        try {
            model_->forward_batch(one, o);
            ADD_FAILURE() << "threads " << threads << " was accepted";
        } catch (const attnscope::Error& e) {
            EXPECT_NE(std::string(e.what()).find("threads"), std::string::npos) << e.what();
        }
    }
    ForwardOptions most;
    most.threads = attnscope::kMaxThreads;
    EXPECT_EQ(model_->forward_batch(one, most).size(), 1u);
}
