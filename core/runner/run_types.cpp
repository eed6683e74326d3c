// SPDX-License-Identifier: MIT
#include "core/runner/run_types.h"

#include "core/util/input_error.h"

namespace kvlab {

std::string_view toString(Granularity granularity) {
  switch (granularity) {
    case Granularity::Prompt:
      return "prompt";
    case Granularity::Block:
      return "block";
    case Granularity::Radix:
      return "radix";
  }
  return "?";
}

std::vector<std::string> granularityNames() { return {"prompt", "block", "radix"}; }

Granularity parseGranularity(std::string_view name) {
  if (name == "prompt") return Granularity::Prompt;
  if (name == "block") return Granularity::Block;
  if (name == "radix") return Granularity::Radix;
  throw InputError("", 0, "granularity",
                   "unknown granularity " + quoteForError(name) + " (choose from: prompt, block, radix)");
}

}  // namespace kvlab
