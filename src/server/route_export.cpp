// POST /api/export: the offline HTML page of the request's text (the same page `attnscope export` writes).
#include <optional>

#include "html_export.h"
#include "request.h"
#include "routes.h"

namespace attnscope::server::routes {

void export_page(Server::Impl& s, const json& body, httplib::Response& res) {
    const model::Model& m = *s.model;
    const auto enc = encode_request(m, body);
    Trace t;
    {
        RunSlot slot(s.runs);
        t = m.forward(enc);
    }
    std::optional<std::string> pair;
    if (body.contains("pair") && body["pair"].is_string()) pair = body["pair"].get<std::string>();
    res.set_header("Content-Disposition", "attachment; filename=\"attnscope.html\"");
    res.set_content(offline_html(m, s.location, enc, t, body["text"].get<std::string>(), pair),
                    "text/html; charset=utf-8");
}

}  // namespace attnscope::server::routes
