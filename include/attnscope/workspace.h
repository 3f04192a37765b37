// The activation buffers one forward pass works in, kept for the next: a loop that passes the same
// Workspace (and reuses its Traces) allocates nothing after its first call of a given size.
#pragma once

#include <cstddef>
#include <memory>

namespace attnscope {

namespace model {
class Model;
struct WorkspaceBuffers;
}  // namespace model

class Workspace {
  public:
    Workspace();
    ~Workspace();
    Workspace(Workspace&&) noexcept;
    Workspace& operator=(Workspace&&) noexcept;
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    // Bytes held now (grows to the largest call's shape, never shrinks).
    size_t bytes() const;

  private:
    friend class model::Model;
    std::unique_ptr<model::WorkspaceBuffers> buffers_;
};

}  // namespace attnscope
