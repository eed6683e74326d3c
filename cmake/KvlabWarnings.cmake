# SPDX-License-Identifier: MIT
# Warnings for our own targets only: third-party headers (LibTorch, Qt) are included as system headers.
function(kvlab_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
endfunction()
