// attnscope._core corpus: the mergeable corpus state (CorpusStats) and the processing of one block of
// corpus lines into it — what attnscope.corpus and attnscope.distributed's actors call. A block is a run
// of consecutive lines of one file; its state merges exactly (128-bit fixed-point sums) with any other's.
#include <fmt/format.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>

#include "attnscope/corpus.h"
#include "attnscope/error.h"
#include "bindings.h"
#include "corpus_lines.h"

namespace attnscope::python {
namespace {

using analysis::CorpusStats;

std::string bytes_arg(nb::handle data, const char* what) {
    if (!PyBytes_Check(data.ptr())) {
        throw nb::type_error(
            fmt::format("{}: expected bytes, got {}", what, nb::type_name(data.type()).c_str()).c_str());
    }
    char* p = nullptr;
    Py_ssize_t size = 0;
    if (PyBytes_AsStringAndSize(data.ptr(), &p, &size) != 0) throw nb::python_error();
    return std::string(p, static_cast<size_t>(size));
}

// The state's JSON text either way the library offers it: to_json_text/from_json_text (text in the public
// header), or to_json/from_json over nlohmann::json (older headers). Templates, so that only the one the
// header has is compiled.
template <class S>
std::string state_to_text(const S& s) {
    if constexpr (requires { s.to_json_text(); }) {
        return s.to_json_text();
    } else {
        return s.to_json().dump();
    }
}

template <class S = CorpusStats>
S state_from_text(const std::string& text, const std::string& source) {
    if constexpr (requires { S::from_json_text(std::string_view(text), source); }) {
        return S::from_json_text(text, source);
    } else {
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            throw Error(fmt::format("{}: not JSON: {}", source, e.what()));
        }
        return S::from_json(j.is_object() && j.contains("state") ? j["state"] : j, source);
    }
}

}  // namespace

void bind_corpus(nb::module_& m) {
    nb::class_<CorpusStats>(m, "CorpusStats",
                            "Per-head corpus statistics in sums that merge exactly (the state of PREFIX.json)")
        .def_static("from_json", &state_from_text<CorpusStats>, nb::arg("text"), nb::arg("source") = "corpus state",
                    "A state from its JSON text (a bare state or a PREFIX.json with a \"state\" field)")
        .def("to_json", &state_to_text<CorpusStats>, "The state as JSON text")
        .def("merge", &CorpusStats::merge, nb::arg("other"), "Adds another state's sums (exact, any order)")
        .def("copy", [](const CorpusStats& s) { return CorpusStats(s); })
        .def_prop_ro("docs", &CorpusStats::docs)
        .def_prop_ro("tokens", &CorpusStats::tokens)
        .def_prop_ro("layers", &CorpusStats::layers)
        .def_prop_ro("heads", &CorpusStats::heads)
        .def_prop_ro("head_map_docs", &CorpusStats::head_map_docs)
        .def_prop_ro("model_name", &CorpusStats::model_name)
        .def_prop_ro("fingerprint", &CorpusStats::fingerprint)
        .def_prop_ro("lines_done", [](const CorpusStats& s) { return s.lines_done; })
        .def_prop_ro("sources", [](const CorpusStats& s) { return s.sources; })
        .def_prop_ro("skipped", [](const CorpusStats& s) {
            std::vector<std::pair<uint64_t, std::string>> out;
            for (const auto& k : s.skipped) out.emplace_back(k.line, k.error);
            return out;
        });

    m.def(
        "corpus_block",
        [](const PyModel& pm, nb::handle data, const std::string& source, bool jsonl, uint64_t first_line, size_t batch,
           bool truncate, bool head_map, int threads, bool file_in_errors) {
            CorpusBlockOptions o;
            o.source = source;
            o.jsonl = jsonl;
            o.first_line = first_line;
            o.batch = batch;
            o.truncate = truncate;
            o.head_map = head_map;
            o.threads = threads;
            o.file_in_errors = file_in_errors;
            const std::string text = bytes_arg(data, "data");
            nb::gil_scoped_release release;  // the forward and the analyses run without the interpreter
            return process_corpus_block(*pm.model, pm.location.name, text, o);
        },
        nb::arg("model"), nb::arg("data"), nb::arg("source"), nb::arg("jsonl"), nb::arg("first_line"),
        nb::arg("batch") = 32, nb::arg("truncate") = false, nb::arg("head_map") = true, nb::arg("threads") = 0,
        nb::arg("file_in_errors") = false,
        "Statistics of consecutive corpus lines (bytes, '\\n'-separated) starting at line `first_line` of `source`: "
        "malformed lines are skipped with their number (and `source` in the message with file_in_errors); the head map "
        "covers every input when head_map is set.");

    m.def(
        "corpus_valid_lines",
        [](const PyModel& pm, nb::handle data, bool jsonl, uint64_t first_line, bool truncate, uint64_t limit) {
            const std::string text = bytes_arg(data, "data");
            nb::gil_scoped_release release;
            return valid_corpus_lines(*pm.model, text, jsonl, first_line, truncate, limit);
        },
        nb::arg("model"), nb::arg("data"), nb::arg("jsonl"), nb::arg("first_line"), nb::arg("truncate"),
        nb::arg("limit"),
        "Line numbers of the first `limit` lines that corpus_block would analyse (not skip), without running the "
        "model.");

    m.def(
        "corpus_fingerprint", [](const PyModel& pm) { return corpus_fingerprint(*pm.model); }, nb::arg("model"));
}

}  // namespace attnscope::python
