// SPDX-License-Identifier: MIT
#include "ui/chart_palette.h"

#include <algorithm>

#include "core/policies/policy_registry.h"

namespace kvlab {

QColor ChartPalette::policy(const std::string& name) {
  if (name == "opt") return Qt::black;
  static const QColor kColours[] = {
      QColor(0x00, 0x72, 0xB2), QColor(0xE6, 0x9F, 0x00), QColor(0x00, 0x9E, 0x73), QColor(0xCC, 0x79, 0xA7),
      QColor(0x56, 0xB4, 0xE9), QColor(0xD5, 0x5E, 0x00), QColor(0x88, 0x22, 0x55), QColor(0x99, 0x99, 0x33)};
  const std::vector<std::string> names = replayPolicyNames();
  const auto it = std::find(names.begin(), names.end(), name);
  const std::size_t i = it == names.end() ? names.size() : std::size_t(it - names.begin());
  return kColours[i % std::size(kColours)];
}

QColor ChartPalette::eviction(EvictReason reason) {
  switch (reason) {
    case EvictReason::Capacity:
      return QColor(0xD5, 0x5E, 0x00);
    case EvictReason::Ttl:
      return QColor(0x9B, 0x59, 0xB6);
    case EvictReason::PolicyChange:  // "max size lowered": its own colour, not the memory chart's blue
      return QColor(0x00, 0x00, 0x00);
    case EvictReason::Clear:
      return QColor(0x55, 0x55, 0x55);
  }
  return Qt::black;
}

QColor ChartPalette::eventType(CacheEventType type) {
  switch (type) {
    case CacheEventType::Insert:
      return insert();
    case CacheEventType::Hit:
      return hit();
    case CacheEventType::Miss:
      return QColor(0xB0, 0x3A, 0x2E);
    case CacheEventType::Eviction:
      return eviction(EvictReason::Capacity);
  }
  return Qt::black;
}

QColor ChartPalette::earlierRun(int k) {
  // Okabe-Ito hues not used by the live run's lines, then greys.
  static const QColor kColours[] = {QColor(0xE6, 0x9F, 0x00), QColor(0xCC, 0x79, 0xA7),
                                    QColor(0x56, 0xB4, 0xE9), QColor(0xD5, 0x5E, 0x00),
                                    QColor(0x88, 0x22, 0x55), QColor(0x66, 0x66, 0x66)};
  return kColours[std::size_t(std::max(0, k)) % std::size(kColours)];
}

QColor ChartPalette::reuse(int bucket) {
  static const QColor kColors[] = {QColor(0xC6, 0xDB, 0xEF), QColor(0x9E, 0xCA, 0xE1),
                                   QColor(0x6B, 0xAE, 0xD6), QColor(0x31, 0x82, 0xBD),
                                   QColor(0x08, 0x51, 0x9C)};
  return kColors[std::clamp(bucket, 0, 4)];
}

}  // namespace kvlab
