// The library's own Hub downloader and the cache's names, for Python without huggingface_hub.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "attnscope/hub.h"
#include "attnscope/model_source.h"
#include "bindings.h"

namespace attnscope::python {

void bind_hub(nb::module_& m) {
    m.def(
        "download_model",
        [](const std::string& repo_id, const std::string& revision) {
            nb::gil_scoped_release release;
            return hub::download_model(repo_id, revision).string();
        },
        nb::arg("repo_id"), nb::arg("revision") = "main");
    m.def("is_repo_id", &hub::is_repo_id, nb::arg("name"));
    m.def("repo_folder_name", &hub::repo_folder_name, nb::arg("repo_id"));
    m.def("hf_cache_roots", [] {
        std::vector<std::string> out;
        for (const auto& p : hf_cache_roots()) out.push_back(p.string());
        return out;
    });
    m.def("offline", [] { return hub::Settings::from_environment().offline; });
}

}  // namespace attnscope::python
