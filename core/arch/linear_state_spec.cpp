// SPDX-License-Identifier: MIT
#include "core/arch/linear_state_spec.h"

namespace kvlab {

LinearStateSpec::LinearStateSpec(std::uint64_t elements, KvDtype dtype)
    : m_elements(elements), m_dtype(dtype) {}

std::uint64_t LinearStateSpec::stateBytes(int tp) const {
  const std::uint64_t n = tp > 1 ? std::uint64_t(tp) : 1;
  return kvBytes((m_elements + n - 1) / n, m_dtype);
}

}  // namespace kvlab
