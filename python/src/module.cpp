// The module's entry point: each part of the library is bound in its own file (bindings.h).
#include "attnscope/version.h"
#include "bindings.h"

NB_MODULE(_core, m) {
    using namespace attnscope::python;
    m.attr("__version__") = attnscope::kVersion;
    bind_errors(m);
    bind_tokenizer(m);
    bind_model(m);
    bind_analysis(m);
    bind_hub(m);
}
