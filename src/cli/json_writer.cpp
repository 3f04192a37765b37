#include "json_writer.h"

namespace attnscope::cli {

nlohmann::json model_json(const LoadedModel& m) {
    const auto& c = m.model->config();
    nlohmann::json j;
    j["name"] = m.location.name;
    j["path"] = m.location.directory.string();
    j["resolved_by"] = m.location.resolved_by;
    j["num_layers"] = c.num_hidden_layers;
    j["num_heads"] = c.num_attention_heads;
    j["hidden_size"] = c.hidden_size;
    j["head_dim"] = c.head_dim();
    return j;
}

void append_matrix(fmt::memory_buffer& out, const float* m, size_t rows, size_t cols) {
    auto it = std::back_inserter(out);
    out.push_back('[');
    for (size_t i = 0; i < rows; ++i) {
        if (i) out.push_back(',');
        out.push_back('[');
        for (size_t j = 0; j < cols; ++j) {
            if (j) out.push_back(',');
            fmt::format_to(it, "{}", m[i * cols + j]);
        }
        out.push_back(']');
    }
    out.push_back(']');
}

void append_tensor3(fmt::memory_buffer& out, const float* t, size_t count, size_t rows, size_t cols) {
    out.push_back('[');
    for (size_t b = 0; b < count; ++b) {
        if (b) out.push_back(',');
        append_matrix(out, t + b * rows * cols, rows, cols);
    }
    out.push_back(']');
}

void append_tensor4(fmt::memory_buffer& out, const float* t, size_t outer, size_t inner, size_t rows, size_t cols) {
    out.push_back('[');
    for (size_t a = 0; a < outer; ++a) {
        if (a) out.push_back(',');
        append_tensor3(out, t + a * inner * rows * cols, inner, rows, cols);
    }
    out.push_back(']');
}

}  // namespace attnscope::cli
