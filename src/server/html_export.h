// A self-contained offline HTML file of one analysis: the web app with its script and styles inlined and
// the analysis data embedded, so it opens anywhere without a server or a network.
#pragma once

#include <optional>
#include <string>

#include "attnscope/model.h"
#include "attnscope/model_source.h"

namespace attnscope::server {

std::string offline_html(const model::Model& model, const ModelLocation& where, const tokenizer::Encoding& encoding,
                         const Trace& trace, const std::string& text, const std::optional<std::string>& pair);

}  // namespace attnscope::server
