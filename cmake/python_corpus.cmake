# The corpus report writers for attnscope._core (python/src/corpus_report.cpp); "ray" owns this file.
# Interim: until the report writers are in the library (include/attnscope/corpus_report.h, branch "cli"),
# PREFIX.json/.csv/.html are written by the CLI's own code (src/cli/corpus_report.cpp and the two files it
# uses), compiled into the module, so the Python and Ray outputs are the CLI's bytes. Once the library has
# them, the binding calls the library and this adds nothing.
set(_root ${CMAKE_CURRENT_LIST_DIR}/..)
if(NOT EXISTS ${_root}/include/attnscope/corpus_report.h AND EXISTS ${_root}/src/cli/corpus_report.cpp)
    set(_report ${_root}/src/cli/corpus_report.cpp ${_root}/src/cli/terminal_render.cpp)
    if(EXISTS ${_root}/src/cli/output.cpp)  # the CLI's file writer, until util/file_writer replaces it
        list(APPEND _report ${_root}/src/cli/output.cpp)
    endif()
    target_sources(_core PRIVATE ${_report})
    target_include_directories(_core PRIVATE ${_root}/src ${_root}/src/cli)
endif()
