// attnscope._core corpus reports: the results object of PREFIX.json and the three files the CLI writes
// (PREFIX.json with the state and the results, .csv, .html), from the same code as `attnscope corpus`
// (cmake/python_corpus.cmake says where that code lives for now).
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "attnscope/corpus.h"
#include "bindings.h"
#if __has_include("attnscope/corpus_report.h")  // the writers in the library
#include <nlohmann/json.hpp>

#include "attnscope/corpus_report.h"
#define ATTNSCOPE_LIBRARY_CORPUS_REPORT 1
#else  // the CLI's writers, compiled into the module (cmake/python_corpus.cmake)
#include "corpus_report.h"
#endif

namespace attnscope::python {

void bind_corpus_report(nb::module_& m) {
#if ATTNSCOPE_LIBRARY_CORPUS_REPORT
    namespace report = analysis;
    auto results = [](const analysis::CorpusStats& s) {
        return nlohmann::json::parse(analysis::corpus_document(s)).at("results").dump();
    };
#else
    namespace report = cli;
    auto results = [](const analysis::CorpusStats& s) { return cli::corpus_results_json(s).dump(); };
#endif
    m.def("corpus_results", results, nb::arg("stats"), "The `results` object of PREFIX.json, as JSON text");
    m.def(
        "write_corpus_outputs",
        [](const analysis::CorpusStats& s, const std::string& prefix, const std::string& title) {
            nb::gil_scoped_release release;
            return report::write_corpus_outputs(s, prefix, title);
        },
        nb::arg("stats"), nb::arg("prefix"), nb::arg("title"), "Writes PREFIX.json, .csv, .html; returns their paths");
}

}  // namespace attnscope::python
