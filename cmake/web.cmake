# The web explorer: TypeScript bundled by esbuild, embedded into the server (web_assets.cpp).
find_program(NODE_EXECUTABLE node REQUIRED)
set(WEB_SRC ${CMAKE_CURRENT_SOURCE_DIR}/web)
set(WEB_OUT ${CMAKE_CURRENT_BINARY_DIR}/web)
if(NOT EXISTS ${WEB_SRC}/node_modules/esbuild)
    message(FATAL_ERROR "web/node_modules is missing: run `npm ci --prefix web` (scripts/setup.sh does)")
endif()
file(GLOB_RECURSE WEB_INPUTS CONFIGURE_DEPENDS ${WEB_SRC}/src/*.ts)
list(APPEND WEB_INPUTS ${WEB_SRC}/index.html ${WEB_SRC}/style.css ${WEB_SRC}/favicon.svg ${WEB_SRC}/build.mjs)
set(WEB_BUNDLE ${WEB_OUT}/index.html ${WEB_OUT}/app.js ${WEB_OUT}/app.css ${WEB_OUT}/favicon.svg)
add_custom_command(OUTPUT ${WEB_BUNDLE}
    COMMAND ${NODE_EXECUTABLE} ${WEB_SRC}/build.mjs ${WEB_OUT}
    DEPENDS ${WEB_INPUTS}
    COMMENT "Bundling the web explorer with esbuild")
add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/web_assets.cpp
    COMMAND ${CMAKE_COMMAND} -DWEB_DIR=${WEB_OUT} -DOUT=${CMAKE_CURRENT_BINARY_DIR}/web_assets.cpp
            -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_assets.cmake
    DEPENDS ${WEB_BUNDLE} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_assets.cmake
    COMMENT "Embedding the web explorer")
