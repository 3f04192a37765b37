// A corpus state file (corpus --resume, merge): JSON → CorpusStats, then what merge and the next save do
// with it. Kept thin on purpose: the corpus API belongs to its own code (include/attnscope/corpus.h).
#include <string>

#include "attnscope/corpus.h"
#include "attnscope/error.h"
#include "util/files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        auto j = attnscope::util::parse_json(std::string(reinterpret_cast<const char*>(data), size), "state.json");
        if (j.contains("state")) j = j["state"];  // a PREFIX.json (merge) or a bare state, as the CLI reads them
        auto a = attnscope::analysis::CorpusStats::from_json(j, "state.json");
        const auto b = attnscope::analysis::CorpusStats::from_json(j, "state.json");
        a.merge(b);
        (void)a.to_json().dump();
    } catch (const attnscope::Error&) {
    }
    return 0;
}
