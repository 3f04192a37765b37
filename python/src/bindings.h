// attnscope._core: one bind_* function per file, each adding one part of the library to the module
// (module.cpp calls them in order). The Python package (python/attnscope/) shapes them like transformers.
#pragma once

#include <nanobind/nanobind.h>

#include <memory>
#include <string>

#include "attnscope/model.h"
#include "attnscope/model_source.h"

namespace attnscope::python {

namespace nb = nanobind;

// A loaded model and where it came from (schema::model_info reports both).
struct PyModel {
    std::shared_ptr<const model::Model> model;
    ModelLocation location;
};

// A tokenizer, and whatever keeps it alive (the model it belongs to, or itself when read from a folder).
struct PyTokenizer {
    std::shared_ptr<const void> owner;
    const tokenizer::Tokenizer* tok = nullptr;
};

// A Python text argument as UTF-8: str (a lone surrogate is an Error, not a crash) or bytes (passed on as
// they are; the tokenizer rejects invalid UTF-8 with the offset). Anything else is a TypeError.
std::string text_arg(nb::handle text, const char* what);

void bind_errors(nb::module_& m);
void bind_tokenizer(nb::module_& m);
void bind_model(nb::module_& m);
void bind_analysis(nb::module_& m);
void bind_hub(nb::module_& m);

}  // namespace attnscope::python
