# SPDX-License-Identifier: MIT
# KVLAB_SANITIZE=address builds everything with ASan+UBSan; =thread with TSan. Applied globally so
# static libraries and tests agree on the instrumented runtime.
if(KVLAB_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(KVLAB_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT KVLAB_SANITIZE STREQUAL "")
  message(FATAL_ERROR "KVLAB_SANITIZE must be '', 'address' or 'thread', not '${KVLAB_SANITIZE}'")
endif()
