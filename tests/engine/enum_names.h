// SPDX-License-Identifier: MIT
#pragma once
// Engine enums compared by name in QCOMPARE, so a failure prints "expired" rather than a number.
#include <QByteArray>
#include <string_view>

#include "core/cache/cache_types.h"

template <typename E>
QByteArray name(E value) {
  const std::string_view s = kvlab::toString(value);
  return QByteArray(s.data(), qsizetype(s.size()));
}
