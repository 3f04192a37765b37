// The tokenizer and its Encoding: what `BertTokenizerFast` gives in transformers, from the library's
// tokenizer (exact tokenizers parity). Python's tokenizer class (python/attnscope/tokenizer.py) shapes the
// calls (encode_plus, __call__, padding, return_tensors); everything here is the library's.
#include <fmt/format.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "attnscope/error.h"
#include "attnscope/tokenizer.h"
#include "bindings.h"

namespace attnscope::python {

using tokenizer::EncodeOptions;
using tokenizer::Encoding;

namespace {

EncodeOptions encode_options(bool add_special_tokens, bool truncation, long max_length) {
    if (max_length < 0) throw Error(fmt::format("max_length {}: expected a positive number of tokens", max_length));
    EncodeOptions o;
    o.add_special_tokens = add_special_tokens;
    o.truncation = truncation;
    o.max_length = static_cast<size_t>(max_length);
    return o;
}

std::vector<std::string> texts_arg(nb::handle list, const char* what) {
    if (PyUnicode_Check(list.ptr()) || PyBytes_Check(list.ptr()) || !nb::isinstance<nb::sequence>(list)) {
        throw nb::type_error(fmt::format("{}: expected a list of str", what).c_str());
    }
    std::vector<std::string> out;
    for (nb::handle item : list) out.push_back(text_arg(item, what));
    return out;
}

}  // namespace

void bind_tokenizer(nb::module_& m) {
    nb::class_<Encoding>(m, "Encoding", "One encoded input: ids, type ids, mask, tokens and offsets.")
        .def_ro("ids", &Encoding::ids)
        .def_ro("type_ids", &Encoding::type_ids)
        .def_ro("attention_mask", &Encoding::attention_mask)
        .def_ro("tokens", &Encoding::tokens)
        .def_ro("offsets", &Encoding::offsets, "code-point offsets into the text (offset_mapping)")
        .def_ro("byte_offsets", &Encoding::byte_offsets)
        .def_ro("sequence_ids", &Encoding::sequence_ids)
        .def_ro("special_tokens_mask", &Encoding::special_tokens_mask)
        .def_prop_ro("sentence_b_start", [](const Encoding& e) { return e.sentence_b_start(); })
        .def("__len__", &Encoding::size)
        .def("__repr__", [](const Encoding& e) { return fmt::format("Encoding(n={})", e.size()); });

    nb::class_<PyTokenizer>(m, "Tokenizer")
        .def_static(
            "from_directory",
            [](const std::string& dir) {
                auto tok = std::make_shared<tokenizer::Tokenizer>(tokenizer::Tokenizer::from_directory(dir));
                return PyTokenizer{tok, tok.get()};
            },
            nb::arg("directory"))
        .def(
            "tokenize", [](const PyTokenizer& t, nb::handle text) { return t.tok->tokenize(text_arg(text, "text")); },
            nb::arg("text").none())
        .def(
            "tokenize_with_offsets",
            [](const PyTokenizer& t, nb::handle text) {
                std::vector<std::tuple<std::string, int32_t, std::pair<size_t, size_t>>> out;
                for (const auto& s : t.tok->tokenize_with_offsets(text_arg(text, "text"))) {
                    out.emplace_back(s.token, s.id, std::pair{s.begin_cp, s.end_cp});
                }
                return out;
            },
            nb::arg("text").none())
        .def(
            "convert_tokens_to_ids",
            [](const PyTokenizer& t, const std::vector<std::string>& tokens) {
                return t.tok->convert_tokens_to_ids(tokens);
            },
            nb::arg("tokens"))
        .def(
            "convert_ids_to_tokens",
            [](const PyTokenizer& t, const std::vector<long long>& ids) {
                std::vector<std::string> out;
                const long long v = static_cast<long long>(t.tok->vocab_size());
                for (long long id : ids) {
                    if (id < 0 || id >= v)
                        throw Error(fmt::format("token id {} is outside the vocabulary of {}", id, v));
                    out.push_back(t.tok->id_to_token(static_cast<int32_t>(id)));
                }
                return out;
            },
            nb::arg("ids"))
        .def("token_to_id", [](const PyTokenizer& t, const std::string& s) { return t.tok->token_to_id(s); })
        .def(
            "encode",
            [](const PyTokenizer& t, nb::handle text, nb::handle pair, bool add_special_tokens, bool truncation,
               long max_length) {
                const std::string a = text_arg(text, "text");
                std::optional<std::string> b;
                if (!pair.is_none()) b = text_arg(pair, "text_pair");
                const EncodeOptions o = encode_options(add_special_tokens, truncation, max_length);
                nb::gil_scoped_release release;
                return t.tok->encode(a, b ? std::optional<std::string_view>(*b) : std::nullopt, o);
            },
            nb::arg("text").none(), nb::arg("pair").none() = nb::none(), nb::arg("add_special_tokens") = true,
            nb::arg("truncation") = false, nb::arg("max_length") = 0)
        .def(
            "encode_batch",
            [](const PyTokenizer& t, nb::handle texts, nb::handle pairs, bool add_special_tokens, bool truncation,
               long max_length) {
                const std::vector<std::string> a = texts_arg(texts, "text");
                std::vector<std::string> b;
                if (!pairs.is_none()) {
                    b = texts_arg(pairs, "text_pair");
                    if (b.size() != a.size()) {
                        throw Error(fmt::format("text_pair: {} pairs for {} texts", b.size(), a.size()));
                    }
                }
                const EncodeOptions o = encode_options(add_special_tokens, truncation, max_length);
                nb::gil_scoped_release release;
                std::vector<Encoding> out;
                out.reserve(a.size());
                for (size_t i = 0; i < a.size(); ++i) {
                    out.push_back(b.empty() ? t.tok->encode(a[i], std::nullopt, o) : t.tok->encode(a[i], b[i], o));
                }
                return out;
            },
            nb::arg("texts").none(), nb::arg("pairs").none() = nb::none(), nb::arg("add_special_tokens") = true,
            nb::arg("truncation") = false, nb::arg("max_length") = 0)
        // An Encoding from ids a caller made (model(**inputs)): tokens from the vocabulary, offsets unknown.
        .def(
            "encoding_from_ids",
            [](const PyTokenizer& t, const std::vector<int32_t>& ids, const std::vector<int32_t>& type_ids,
               const std::vector<int32_t>& mask) {
                if (type_ids.size() != ids.size() || mask.size() != ids.size()) {
                    throw Error("input_ids, token_type_ids and attention_mask differ in length");
                }
                const auto& c = t.tok->config();
                Encoding e;
                e.ids = ids;
                e.type_ids = type_ids;
                e.attention_mask = mask;
                for (size_t i = 0; i < ids.size(); ++i) {
                    const std::string& tok = t.tok->id_to_token(ids[i]);
                    const bool special = tok == c.cls_token || tok == c.sep_token || tok == c.pad_token;
                    e.tokens.push_back(tok);
                    e.offsets.emplace_back(0, 0);
                    e.byte_offsets.emplace_back(0, 0);
                    e.special_tokens_mask.push_back(special ? 1 : 0);
                    e.sequence_ids.push_back(special ? -1 : static_cast<int8_t>(type_ids[i] ? 1 : 0));
                }
                return e;
            },
            nb::arg("ids"), nb::arg("type_ids"), nb::arg("attention_mask"))
        .def_prop_ro("vocab_size", [](const PyTokenizer& t) { return t.tok->vocab_size(); })
        .def_prop_ro("model_max_length", [](const PyTokenizer& t) { return t.tok->config().model_max_length; })
        .def_prop_ro("cls_token", [](const PyTokenizer& t) { return t.tok->config().cls_token; })
        .def_prop_ro("sep_token", [](const PyTokenizer& t) { return t.tok->config().sep_token; })
        .def_prop_ro("pad_token", [](const PyTokenizer& t) { return t.tok->config().pad_token; })
        .def_prop_ro("mask_token", [](const PyTokenizer& t) { return t.tok->config().mask_token; })
        .def_prop_ro("unk_token", [](const PyTokenizer& t) { return t.tok->config().unk_token; })
        .def_prop_ro("do_lower_case", [](const PyTokenizer& t) { return t.tok->config().lowercase; })
        .def_prop_ro("byte_level_bpe",
                     [](const PyTokenizer& t) {
                         return t.tok->config().model == tokenizer::TokenizerConfig::Model::ByteLevelBpe;
                     })
        .def_prop_ro("source", [](const PyTokenizer& t) { return t.tok->source(); });
}

}  // namespace attnscope::python
