#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "attnscope/model.h"
#include "attnscope/workspace.h"
#include "model/bert_weights.h"

namespace attnscope::model {

struct Model::Impl {
    Impl(BertConfig c, ModelInfo i, tokenizer::Tokenizer t, BertWeights w)
        : config(std::move(c)), info(std::move(i)), tokenizer(std::move(t)), weights(std::move(w)) {}

    BertConfig config;
    ModelInfo info;
    tokenizer::Tokenizer tokenizer;
    BertWeights weights;

    // Workspaces for callers that bring none: taken for one call, given back after it. At most kKeptIdle
    // stay between calls (the server runs two forwards at once; a batch loop runs one).
    static constexpr size_t kKeptIdle = 2;
    std::mutex workspace_mutex;
    std::vector<std::unique_ptr<Workspace>> idle_workspaces;

    std::unique_ptr<Workspace> take_workspace() {
        std::lock_guard lock(workspace_mutex);
        if (idle_workspaces.empty()) return std::make_unique<Workspace>();
        auto w = std::move(idle_workspaces.back());
        idle_workspaces.pop_back();
        return w;
    }
    void give_back(std::unique_ptr<Workspace> w) {
        std::lock_guard lock(workspace_mutex);
        if (idle_workspaces.size() < kKeptIdle) idle_workspaces.push_back(std::move(w));
    }
};

}  // namespace attnscope::model
