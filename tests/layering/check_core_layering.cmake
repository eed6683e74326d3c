# SPDX-License-Identifier: MIT
# The layering of core/, checked: every `#include "core/<room>/..."` in core/<from>/ must name a room that
# <from> may depend on (the table below), and the engine's rooms include no LibTorch header. Run by CTest
# (core_layering) as `cmake -DCORE_DIR=<repo>/core -P check_core_layering.cmake`; it needs nothing else.
cmake_minimum_required(VERSION 3.20)
#
# The rooms, lowest first; each may include only the rooms listed (and itself). policies sees only the
# cache's types (cache_types.h), not its engine, which runs the policies.
set(allowed_util "")
set(allowed_device util)                       # DeviceTimer: below model and runner (LibTorch, c10 only)
set(allowed_arch util)                         # model descriptions: config.json, K/V specs, presets
set(allowed_hardware util arch)                # the accelerator table and the one roofline cost model
set(allowed_policies util cache/cache_types.h)
set(allowed_cache util policies)
set(allowed_workload util cache)
set(allowed_weights util)                      # safetensors files, memory-mapped (torch-free)
set(allowed_model util device arch weights)
set(allowed_tokenizer util model)                # tokenizer.json stages over the byte tokenizer (model/)
set(allowed_trace util cache workload tokenizer) # readers; own prompts are tokenized and block-hashed
set(allowed_tiers util arch cache model)
set(allowed_replay util cache policies tiers trace workload)
set(allowed_analyze util cache policies tiers trace workload replay)  # kvlab-cli analyze's report
set(allowed_serving util arch cache hardware model policies tiers trace workload)
set(allowed_fleet util arch cache hardware policies replay serving tiers trace workload)
set(allowed_runner util arch device cache hardware policies model replay serving tiers tokenizer trace weights workload)
set(allowed_api util arch device cache policies model runner tiers workload)
# The rooms of kvlab_engine (no LibTorch; model/ mixes torch-free and LibTorch files, so it is left out).
set(engine_rooms util arch hardware cache policies workload trace tiers replay analyze serving fleet tokenizer weights)

if(NOT CORE_DIR OR NOT IS_DIRECTORY "${CORE_DIR}")
  message(FATAL_ERROR "check_core_layering: give -DCORE_DIR=<repo>/core")
endif()
file(GLOB rooms LIST_DIRECTORIES true RELATIVE "${CORE_DIR}" "${CORE_DIR}/*")
set(problems "")
foreach(room IN LISTS rooms)
  if(NOT IS_DIRECTORY "${CORE_DIR}/${room}")
    continue()
  endif()
  if(NOT DEFINED allowed_${room})
    string(APPEND problems "core/${room}/ is not in the layering table of tests/layering/check_core_layering.cmake\n")
    continue()
  endif()
  file(GLOB_RECURSE sources "${CORE_DIR}/${room}/*.h" "${CORE_DIR}/${room}/*.cpp")
  foreach(source IN LISTS sources)
    file(RELATIVE_PATH shown "${CORE_DIR}/.." "${source}")
    file(STRINGS "${source}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(line IN LISTS includes)
      if(line MATCHES "#[ \t]*include[ \t]*\"core/([a-z_]+)/([^\"]+)\"")
        set(to "${CMAKE_MATCH_1}")
        set(file "${CMAKE_MATCH_1}/${CMAKE_MATCH_2}")
        if(NOT to STREQUAL room AND NOT to IN_LIST allowed_${room} AND NOT file IN_LIST allowed_${room})
          string(APPEND problems "${shown}: core/${room} may not include core/${file} (allowed: ${allowed_${room}})\n")
        endif()
      elseif(room IN_LIST engine_rooms AND line MATCHES "#[ \t]*include[ \t]*<(torch|ATen|c10)/")
        string(APPEND problems "${shown}: core/${room} is engine code and may not include LibTorch: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "core layering:\n${problems}")
endif()
message(STATUS "core layering: every include follows the table")
