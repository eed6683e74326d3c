# SPDX-License-Identifier: MIT
# cmake -DBUILD_DIR=... -DWORK_DIR=... -DCONSUMER_SOURCE=... -DGENERATOR=... [-DLAUNCHER=ccache] [-DWITH_GUI=1]
#       -P check_install.cmake
# Fails (FATAL_ERROR) naming the first thing that is wrong.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

run_step("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# The installed layout. libdir is lib or lib/<multiarch>: look the module up by pattern.
set(expected bin/kvlab-cli include/kvlab/simple_kv_cache.h include/kvlab/ttl_mode.h include/kvlab/size_literals.h
  share/kvlab/scenarios/repeated-prefix.json)
if(WITH_GUI)
  list(APPEND expected bin/kvlab share/applications/kvlab.desktop share/icons/hicolor/scalable/apps/kvlab.svg)
endif()
foreach(path IN LISTS expected)
  if(NOT EXISTS ${prefix}/${path})
    message(FATAL_ERROR "not installed: ${path}")
  endif()
endforeach()
file(GLOB_RECURSE module ${prefix}/lib*/kvlab_compute_module.so)
file(GLOB_RECURSE config ${prefix}/lib*/KvLabConfig.cmake)
if(NOT module OR NOT config)
  message(FATAL_ERROR "not installed: compute module (${module}) or KvLabConfig.cmake (${config})")
endif()

# The installed kvlab-cli finds the installed module and scenarios (not the build tree's): list --devices
# prints the LibTorch version and the scenario directory.
run_step("installed kvlab-cli list" ${CMAKE_COMMAND} -E env --unset=KVLAB_COMPUTE_MODULE
  --unset=KVLAB_SCENARIO_DIR ${prefix}/bin/kvlab-cli list --devices)
if(NOT step_output MATCHES "LibTorch [0-9]")
  message(FATAL_ERROR "installed kvlab-cli did not load its compute module:\n${step_output}")
endif()
string(FIND "${step_output}" "scenarios (${prefix}/share/kvlab/scenarios)" found)
if(found EQUAL -1)
  message(FATAL_ERROR "installed kvlab-cli does not use the installed scenarios:\n${step_output}")
endif()

# A program of a user's: find_package(KvLab CONFIG REQUIRED) + KvLab::kvlab.
set(launcher)
if(LAUNCHER)
  set(launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
run_step("consumer configure" ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE} -B ${WORK_DIR}/consumer -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} ${launcher})
run_step("consumer build" ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run_step("consumer run" ${WORK_DIR}/consumer/app)
message(STATUS "consumer output:\n${step_output}")

# Expected, worked by hand: K and V are 8*128*64 fp32 = 262144 bytes each, 524288 per entry; one lookup, a
# hit; clear() empties it; TTL 1 h by age: served at 59 min, expired at 61 min (one expiration).
foreach(line "hit: same K/V" "hits 1, misses 0, entries 1, bytes 524288, hit rate 100.0 %" "after clear: miss"
    "at 59 min: hit" "at 61 min: miss" "expirations 1")
  string(FIND "${step_output}" "${line}\n" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "consumer output lacks \"${line}\"")
  endif()
endforeach()
