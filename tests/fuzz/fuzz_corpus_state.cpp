// A corpus state file (corpus --resume, merge): JSON text → CorpusStats, then what merge and the next save do
// with it. Kept thin on purpose: the corpus API belongs to its own code (include/attnscope/corpus.h).
#include <string>
#include <string_view>

#include "attnscope/corpus.h"
#include "attnscope/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        // from_json_text takes a bare state or a PREFIX.json's {"state": ...}, as the CLI reads them.
        const std::string_view text(reinterpret_cast<const char*>(data), size);
        auto a = attnscope::analysis::CorpusStats::from_json_text(text, "state.json");
        const auto b = attnscope::analysis::CorpusStats::from_json_text(text, "state.json");
        a.merge(b);
        (void)a.to_json_text();
    } catch (const attnscope::Error&) {
    }
    return 0;
}
