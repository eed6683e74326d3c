// SPDX-License-Identifier: MIT
#include "core/policies/fifo_policy.h"

namespace kvlab {

SlotId FifoPolicy::pickVictim(const VictimFilter& filter) {
  for (SlotId s = m_order.front(); s != kNoSlot; s = m_order.next(s))
    if (filter.accept(s)) return s;
  return kNoSlot;
}

}  // namespace kvlab
