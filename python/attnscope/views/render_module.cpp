// attnscope._render: the static pictures of the notebook views (include/attnscope/render.h) for Python.
// Takes the 8-bit copy that the output embeds, so the picture and the canvas show the same numbers.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "attnscope/error.h"
#include "attnscope/render.h"

namespace nb = nanobind;
namespace r = attnscope::render;

namespace {

using CodeArray = nb::ndarray<const std::uint8_t, nb::ndim<4>, nb::c_contig, nb::device::cpu>;

r::Format format_of(const std::string& f) {
    if (f == "png") return r::Format::png;
    if (f == "svg") return r::Format::svg;
    throw attnscope::Error("render: format must be \"png\" or \"svg\", got \"" + f + "\"");
}

r::Codes codes_of(const CodeArray& a) {
    if (a.shape(2) != a.shape(3)) throw attnscope::Error("render: codes must be [layers, heads, n, n]");
    return {a.data(), static_cast<int>(a.shape(0)), static_cast<int>(a.shape(1)), static_cast<int>(a.shape(2))};
}

r::Labels labels_of(std::vector<std::string> tokens, std::vector<std::uint8_t> special, std::vector<int> layer_ids,
                    std::vector<int> head_ids, std::string caption, bool dark) {
    return {std::move(tokens), std::move(special), std::move(layer_ids), std::move(head_ids), std::move(caption), dark};
}

nb::bytes to_bytes(const std::string& s) {
    return nb::bytes(s.data(), s.size());
}

}  // namespace

NB_MODULE(_render, m) {
    m.doc() = "Static PNG/SVG pictures of attnscope's notebook views, drawn with cairo";
    // nanobind's translators are process-wide and the last registered is tried first: this one must raise
    // the same attnscope.Error as attnscope._core's, or importing the renderer would turn every library error
    // of the package (a bad text, a missing model) into a plain ValueError.
    static nb::handle error_type = nb::object(nb::module_::import_("attnscope._core").attr("Error")).release();
    nb::register_exception_translator([](const std::exception_ptr& p, void*) {
        try {
            std::rethrow_exception(p);
        } catch (const attnscope::Error& e) {
            PyErr_SetString(error_type.ptr(), e.what());
        }
    });
    m.def(
        "head_view",
        [](const CodeArray& codes, std::vector<std::string> tokens, std::vector<std::uint8_t> special,
           std::vector<int> layer_ids, std::vector<int> head_ids, std::string caption, bool dark, int layer,
           std::vector<int> heads, const std::string& fmt) {
            const auto l = labels_of(std::move(tokens), std::move(special), std::move(layer_ids), std::move(head_ids),
                                     std::move(caption), dark);
            const auto f = format_of(fmt);
            std::string out;
            {
                nb::gil_scoped_release release;
                out = r::head_view(codes_of(codes), l, layer, heads, f);
            }
            return to_bytes(out);
        },
        nb::arg("codes"), nb::arg("tokens"), nb::arg("special"), nb::arg("layer_ids"), nb::arg("head_ids"),
        nb::arg("caption"), nb::arg("dark"), nb::arg("layer"), nb::arg("heads"), nb::arg("fmt"));
    m.def(
        "model_view",
        [](const CodeArray& codes, std::vector<std::string> tokens, std::vector<std::uint8_t> special,
           std::vector<int> layer_ids, std::vector<int> head_ids, std::string caption, bool dark,
           const std::string& fmt) {
            const auto l = labels_of(std::move(tokens), std::move(special), std::move(layer_ids), std::move(head_ids),
                                     std::move(caption), dark);
            const auto f = format_of(fmt);
            std::string out;
            {
                nb::gil_scoped_release release;
                out = r::model_view(codes_of(codes), l, f);
            }
            return to_bytes(out);
        },
        nb::arg("codes"), nb::arg("tokens"), nb::arg("special"), nb::arg("layer_ids"), nb::arg("head_ids"),
        nb::arg("caption"), nb::arg("dark"), nb::arg("fmt"));
    m.def(
        "grid",
        [](std::vector<std::vector<double>> values, std::vector<int> layer_ids, std::vector<int> head_ids,
           std::string caption, bool dark, const std::string& fmt) {
            const auto l = labels_of({}, {}, std::move(layer_ids), std::move(head_ids), std::move(caption), dark);
            const auto f = format_of(fmt);
            std::string out;
            {
                nb::gil_scoped_release release;
                out = r::grid(values, l, f);
            }
            return to_bytes(out);
        },
        nb::arg("values"), nb::arg("layer_ids"), nb::arg("head_ids"), nb::arg("caption"), nb::arg("dark"),
        nb::arg("fmt"));
    m.def(
        "atlas",
        [](std::vector<std::tuple<std::string, std::vector<std::vector<double>>>> grids,
           std::vector<std::tuple<int, int, double, double, std::string>> head_map, double stress,
           std::vector<int> layer_ids, std::vector<int> head_ids, std::string caption, bool dark,
           const std::string& fmt) {
            std::vector<r::NamedGrid> named;
            for (auto& [label, values] : grids) named.push_back({std::move(label), std::move(values)});
            std::vector<r::MapPoint> points;
            for (auto& [layer, head, x, y, colour] : head_map) points.push_back({layer, head, x, y, std::move(colour)});
            const auto l = labels_of({}, {}, std::move(layer_ids), std::move(head_ids), std::move(caption), dark);
            const auto f = format_of(fmt);
            std::string out;
            {
                nb::gil_scoped_release release;
                out = r::atlas(named, points, stress, l, f);
            }
            return to_bytes(out);
        },
        nb::arg("grids"), nb::arg("head_map"), nb::arg("stress"), nb::arg("layer_ids"), nb::arg("head_ids"),
        nb::arg("caption"), nb::arg("dark"), nb::arg("fmt"));
    m.def(
        "heatmap",
        [](const CodeArray& codes, std::vector<std::string> tokens, std::vector<std::uint8_t> special,
           std::vector<int> layer_ids, std::vector<int> head_ids, std::string caption, bool dark, int layer, int head,
           const std::string& fmt) {
            const auto l = labels_of(std::move(tokens), std::move(special), std::move(layer_ids), std::move(head_ids),
                                     std::move(caption), dark);
            const auto f = format_of(fmt);
            std::string out;
            {
                nb::gil_scoped_release release;
                out = r::heatmap(codes_of(codes), l, layer, head, f);
            }
            return to_bytes(out);
        },
        nb::arg("codes"), nb::arg("tokens"), nb::arg("special"), nb::arg("layer_ids"), nb::arg("head_ids"),
        nb::arg("caption"), nb::arg("dark"), nb::arg("layer"), nb::arg("head"), nb::arg("fmt"));
}
