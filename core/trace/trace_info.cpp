// SPDX-License-Identifier: MIT
#include "core/trace/trace_info.h"

#include "core/util/input_error.h"

namespace kvlab {

std::uint32_t resolveBlockSize(const TraceInfo& info, std::uint32_t requested) {
  if (requested == 0) return info.blockSize;
  if (info.blockSizeDeclared && requested != info.blockSize)
    throw InputError("", 0, "block-size",
                     "is " + std::to_string(requested) + " tokens, but the trace " + quoteForError(info.path, 120) +
                         " (" + info.format + ") declares " + std::to_string(info.blockSize) + " tokens per block (" +
                         info.blockSizeSource + "); omit --block-size to use it");
  return requested;
}

void requireBlockIds(const TraceInfo& info, const std::string& what) {
  if (info.hasBlockIds) return;
  throw InputError(info.path, 0, "",
                   "is a length-only trace (" + info.format +
                       ": arrival times and token counts, no block ids), so it carries no prefix reuse to " +
                       what + "; use it with kvlab-cli simulate or fleet --serving (load without prefix reuse)");
}

}  // namespace kvlab
