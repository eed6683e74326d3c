// SPDX-License-Identifier: MIT
#include "core/replay/replay_warmup.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/util/input_error.h"
#include "core/util/units.h"

namespace kvlab {

std::uint64_t WarmupSpec::requestsOf(std::uint64_t requests) const {
  if (!fraction) return std::min(count, requests);
  return std::min<std::uint64_t>(requests, std::uint64_t(std::floor(value * double(requests))));
}

WarmupSpec parseWarmup(const std::string& text) {
  WarmupSpec spec;
  if (text.empty()) return spec;
  if (text.find('.') != std::string::npos) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !(v >= 0.0 && v < 1.0))
      throw InputError("", 0, "warmup",
                       "'" + text + "' is neither a fraction of the requests in [0, 1) (0.5) nor a count (1000)");
    spec.fraction = true;
    spec.value = v;
    return spec;
  }
  spec.count = parseCount(text, "warmup", 0);
  return spec;
}

}  // namespace kvlab
