#include "attnscope/workspace.h"

#include "model/workspace_buffers.h"

namespace attnscope {

Workspace::Workspace() : buffers_(std::make_unique<model::WorkspaceBuffers>()) {}
Workspace::~Workspace() = default;
Workspace::Workspace(Workspace&&) noexcept = default;
Workspace& Workspace::operator=(Workspace&&) noexcept = default;

size_t Workspace::bytes() const {
    return buffers_ ? buffers_->bytes() : 0;
}

namespace model {

size_t WorkspaceBuffers::bytes() const {
    size_t floats =
        x.capacity() + qkv.capacity() + ctx.capacity() + a.capacity() + inter.capacity() + embedded.capacity();
    for (const auto& h : heads) floats += h.keys.size() + h.values.size();
    return floats * sizeof(float) + offset.capacity() * sizeof(size_t) + has_padding.capacity();
}

void ensure_size(std::vector<float>& v, size_t count) {
    if (v.size() < count) v.resize(count);
}

}  // namespace model

}  // namespace attnscope
