// SPDX-License-Identifier: MIT
#include "core/policies/lru_policy.h"

namespace kvlab {

SlotId LruPolicy::pickVictim(const VictimFilter& filter) {
  for (SlotId s = m_order.front(); s != kNoSlot; s = m_order.next(s))
    if (filter.accept(s)) return s;
  return kNoSlot;
}

}  // namespace kvlab
