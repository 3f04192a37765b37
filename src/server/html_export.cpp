#include "html_export.h"

#include <fmt/format.h>

#include <cctype>

#include "assets.h"
#include "attnscope/error.h"
#include "frames.h"
#include "schema_json.h"

namespace attnscope::server {

namespace {

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
    const auto pos = s.find(from);
    if (pos == std::string::npos) throw Error(fmt::format("offline export: the page has no {}", from));
    return s.replace(pos, from.size(), to);
}

// JSON inside <script>: "</" must not end the element; in JSON it can only occur inside strings, where
// "<\/" means the same.
std::string json_in_script(const std::string& json) {
    std::string out;
    out.reserve(json.size());
    for (size_t i = 0; i < json.size(); ++i) {
        out += json[i];
        if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') out += '\\';
    }
    return out;
}

// Code inside <script>: only "</script" (any case) ends the element early. Rewriting every "</" would
// break regular-expression literals such as /</g, so only that sequence is escaped.
std::string code_in_script(const std::string& code) {
    std::string out;
    out.reserve(code.size());
    for (size_t i = 0; i < code.size(); ++i) {
        out += code[i];
        if (code[i] == '<' && i + 8 <= code.size() && code[i + 1] == '/') {
            std::string tag = code.substr(i + 2, 6);
            for (auto& ch : tag) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (tag == "script") out += '\\';
        }
    }
    return out;
}

}  // namespace

std::string offline_html(const model::Model& model, const ModelLocation& where, const tokenizer::Encoding& enc,
                         const Trace& trace, const std::string& text, const std::optional<std::string>& pair) {
    const Asset* page = find_asset("/index.html");
    const Asset* script = find_asset("/app.js");
    const Asset* style = find_asset("/app.css");
    if (!page || !script || !style) throw Error("offline export: the web app is not embedded in this build");
    nlohmann::json data;
    data["model"] = model_info_json(model, where);
    data["text"] = text;
    data["pair"] = pair ? nlohmann::json(*pair) : nlohmann::json(nullptr);
    data["encoding"] = encoding_json(enc);
    data["shape"] = {trace.num_layers, trace.num_heads, trace.seq_len, trace.seq_len};
    data["attentions_b64"] = schema::base64_floats(trace.attentions.data(), trace.attentions.size());
    data["stats"] = statistics_json(model, trace, enc);
    std::string html(page->data);
    html = replace_once(html, "<link rel=\"stylesheet\" href=\"app.css\">",
                        "<style>" + std::string(style->data) + "</style>");
    html = replace_once(html, "<script src=\"app.js\"></script>",
                        "<script>window.__ATTNSCOPE_DATA__ = " + json_in_script(data.dump()) + ";</script>\n<script>" +
                            code_in_script(std::string(script->data)) + "</script>");
    if (const Asset* icon = find_asset("/favicon.svg")) {
        html = replace_once(
            html, "href=\"favicon.svg\"",
            "href=\"data:image/svg+xml;base64," + schema::base64(icon->data.data(), icon->data.size()) + "\"");
    }
    return html;
}

}  // namespace attnscope::server
