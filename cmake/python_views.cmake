# The notebook views of the Python package (included at the end of cmake/python.cmake when present):
#  - attnscope_render: the cairo renderer of the views' static pictures (src/render/, include/attnscope/render.h);
#  - attnscope._render: its nanobind module;
#  - the views' JavaScript (web/build-notebook.mjs: notebook.js, widget.js, notebook.css) installed into
#    attnscope/views/assets, so the package carries its front end and loads nothing from the network.
# Expects nanobind to be found already (nanobind_add_module) and Python's development component.
get_filename_component(ATTNSCOPE_VIEWS_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)
find_program(NODE_EXECUTABLE node REQUIRED)

add_library(attnscope_render STATIC
    ${ATTNSCOPE_VIEWS_ROOT}/src/render/surface.cpp
    ${ATTNSCOPE_VIEWS_ROOT}/src/render/head_view.cpp
    ${ATTNSCOPE_VIEWS_ROOT}/src/render/model_view.cpp
    ${ATTNSCOPE_VIEWS_ROOT}/src/render/grid.cpp
    ${ATTNSCOPE_VIEWS_ROOT}/src/render/atlas.cpp)
target_include_directories(attnscope_render PUBLIC ${ATTNSCOPE_VIEWS_ROOT}/include)
target_link_libraries(attnscope_render PUBLIC PkgConfig::CAIRO)
target_compile_features(attnscope_render PUBLIC cxx_std_20)
set_target_properties(attnscope_render PROPERTIES POSITION_INDEPENDENT_CODE ON)

set(_attnscope_render_abi)
if(DEFINED SKBUILD_SABI_COMPONENT AND NOT "${SKBUILD_SABI_COMPONENT}" STREQUAL "")
    set(_attnscope_render_abi STABLE_ABI)
endif()
nanobind_add_module(_render ${_attnscope_render_abi} NB_STATIC ${ATTNSCOPE_VIEWS_ROOT}/python/attnscope/views/render_module.cpp)
target_link_libraries(_render PRIVATE attnscope_render)
install(TARGETS _render LIBRARY DESTINATION attnscope)

set(_nb_web ${ATTNSCOPE_VIEWS_ROOT}/web)
# The views' bundler (esbuild, pinned by web/package-lock.json). A bare checkout has none yet, and
# `pip install .` should work there too: install it as scripts/setup.sh does.
if(NOT EXISTS ${_nb_web}/node_modules/esbuild)
    find_program(NPM_EXECUTABLE npm)
    if(NOT NPM_EXECUTABLE)
        message(FATAL_ERROR "web/node_modules is missing and npm is not installed: install Node.js with npm, "
                            "or run scripts/setup.sh")
    endif()
    message(STATUS "attnscope: installing the web build tools (npm ci in web/)")
    execute_process(COMMAND ${NPM_EXECUTABLE} ci --no-audit --no-fund WORKING_DIRECTORY ${_nb_web}
                    RESULT_VARIABLE _npm_rc OUTPUT_QUIET)
    if(NOT _npm_rc EQUAL 0 OR NOT EXISTS ${_nb_web}/node_modules/esbuild)
        message(FATAL_ERROR "npm ci in web/ failed (${_npm_rc}): the views' bundler is missing")
    endif()
endif()
set(_nb_out ${CMAKE_CURRENT_BINARY_DIR}/notebook-assets)
set(_nb_files ${_nb_out}/notebook.js ${_nb_out}/widget.js ${_nb_out}/notebook.css)
file(GLOB_RECURSE _nb_inputs CONFIGURE_DEPENDS ${_nb_web}/src/*.ts)
add_custom_command(OUTPUT ${_nb_files}
    COMMAND ${NODE_EXECUTABLE} ${_nb_web}/build-notebook.mjs ${_nb_out}
    DEPENDS ${_nb_inputs} ${_nb_web}/build-notebook.mjs ${_nb_web}/notebook.css
    COMMENT "Bundling the notebook views with esbuild")
add_custom_target(attnscope_notebook_assets ALL DEPENDS ${_nb_files})
install(FILES ${_nb_files} DESTINATION attnscope/views/assets)
