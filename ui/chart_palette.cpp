// SPDX-License-Identifier: MIT
#include "ui/chart_palette.h"

namespace kvlab {

QColor ChartPalette::eviction(EvictReason reason) {
  switch (reason) {
    case EvictReason::Capacity:
      return QColor(0xD5, 0x5E, 0x00);
    case EvictReason::Ttl:
      return QColor(0x9B, 0x59, 0xB6);
    case EvictReason::PolicyChange:
      return QColor(0x00, 0x72, 0xB2);
    case EvictReason::Clear:
      return QColor(0x55, 0x55, 0x55);
  }
  return Qt::black;
}

QColor ChartPalette::eventType(CacheEventType type) {
  switch (type) {
    case CacheEventType::Insert:
      return computed();
    case CacheEventType::Hit:
      return hit();
    case CacheEventType::Miss:
      return QColor(0xB0, 0x3A, 0x2E);
    case CacheEventType::Eviction:
      return eviction(EvictReason::Capacity);
  }
  return Qt::black;
}

}  // namespace kvlab
