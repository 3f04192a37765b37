# attnscope._core: the nanobind module over the static library (included from CMakeLists.txt when
# scikit-build-core builds the Python package). It links the core and the Hub downloader (the fallback
# when huggingface_hub is not installed); not the CLI, the server or the web app.
#
# Stable ABI: scikit-build-core sets SKBUILD_SABI_COMPONENT (Development.SABIModule) when wheel.py-api asks
# for abi3 and the Python is >= 3.12. It must reach find_package *and* nanobind_add_module gets STABLE_ABI,
# or the wheel is tagged abi3 but does not import.
find_package(Python 3.10 REQUIRED COMPONENTS Interpreter Development.Module ${SKBUILD_SABI_COMPONENT})
execute_process(COMMAND "${Python_EXECUTABLE}" -m nanobind --cmake_dir
                OUTPUT_STRIP_TRAILING_WHITESPACE OUTPUT_VARIABLE nanobind_ROOT)
find_package(nanobind CONFIG REQUIRED)

set(ATTNSCOPE_PY_ABI "")
if(SKBUILD_SABI_COMPONENT)
    set(ATTNSCOPE_PY_ABI STABLE_ABI)
endif()

file(GLOB ATTNSCOPE_PY_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../python/src/*.cpp)
nanobind_add_module(_core ${ATTNSCOPE_PY_ABI} NB_STATIC ${ATTNSCOPE_PY_SOURCES})
target_include_directories(_core PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../python/src)
target_link_libraries(_core PRIVATE attnscope_core attnscope_hub nlohmann_json::nlohmann_json)
install(TARGETS _core LIBRARY DESTINATION attnscope)

# The notebook views' module and web assets ("views" owns that file).
include(${CMAKE_CURRENT_LIST_DIR}/python_views.cmake OPTIONAL)
