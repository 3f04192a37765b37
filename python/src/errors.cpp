// The library's one error type becomes attnscope.Error (a ValueError: every attnscope::Error is caused by
// what the caller gave — a file, a text, an option), carrying the library's one-line message.
#include <fmt/format.h>

#include "attnscope/error.h"
#include "bindings.h"

namespace attnscope::python {

std::string text_arg(nb::handle text, const char* what) {
    if (PyUnicode_Check(text.ptr())) {
        Py_ssize_t size = 0;
        const char* utf8 = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
        if (!utf8) {
            PyErr_Clear();
            throw Error(
                fmt::format("{}: the string is not valid Unicode (it holds a lone surrogate code point, "
                            "which has no UTF-8 form)",
                            what));
        }
        return std::string(utf8, static_cast<size_t>(size));
    }
    if (PyBytes_Check(text.ptr())) {
        char* data = nullptr;
        Py_ssize_t size = 0;
        if (PyBytes_AsStringAndSize(text.ptr(), &data, &size) != 0) throw nb::python_error();
        return std::string(data, static_cast<size_t>(size));
    }
    throw nb::type_error(
        fmt::format("{}: expected str (or UTF-8 bytes), got {}", what, nb::type_name(text.type()).c_str()).c_str());
}

void bind_errors(nb::module_& m) {
    nb::exception<Error>(m, "Error", PyExc_ValueError);
}

}  // namespace attnscope::python
