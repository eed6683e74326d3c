# SPDX-License-Identifier: MIT
# `cmake --install build --prefix P`:
#   P/bin/kvlab-cli, P/bin/kvlab (GUI builds; app/gui adds it with the .desktop file and the icon)
#   P/<libdir>/kvlab/kvlab_compute_module.so   found by kvlab-cli relative to itself (app/cli/CMakeLists.txt)
#   P/share/kvlab/scenarios/*.json              the bundled scenarios (defaultScenarioDir() looks there)
#   P/include/kvlab/*.h, P/<libdir>/libkvlab.a (+ the engine's static libraries it needs)
#   P/<libdir>/cmake/KvLab/                     find_package(KvLab CONFIG) -> KvLab::kvlab
include(CMakePackageConfigHelpers)

install(TARGETS kvlab-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/kvlab/scenarios
  FILES_MATCHING PATTERN "*.json")

if(KVLAB_COMPUTE)
  install(TARGETS kvlab_compute_module LIBRARY DESTINATION ${KVLAB_INSTALL_MODULEDIR})

  # The library and the static libraries under it (a static library's private dependencies are part of
  # what a consumer links, so they are exported too, and KvLabConfig finds their packages).
  install(TARGETS kvlab_lib kvlab_compute kvlab_engine EXPORT KvLabTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/kvlab DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  set(_kvlab_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/KvLab)
  install(EXPORT KvLabTargets NAMESPACE KvLab:: DESTINATION ${_kvlab_cmake_dir})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/KvLabConfig.cmake.in
    ${PROJECT_BINARY_DIR}/KvLabConfig.cmake INSTALL_DESTINATION ${_kvlab_cmake_dir})
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/KvLabConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/KvLabConfig.cmake ${PROJECT_BINARY_DIR}/KvLabConfigVersion.cmake
    DESTINATION ${_kvlab_cmake_dir})
endif()
