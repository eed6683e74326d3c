// SPDX-License-Identifier: MIT
#include "ui/settled_idle.h"

#include <QAbstractEventDispatcher>

namespace kvlab {

SettledIdle::SettledIdle(int settleMs, int fallbackMs, QObject* parent) : QObject(parent) {
  m_settle.setSingleShot(true);
  m_settle.setInterval(settleMs);
  m_fallback.setSingleShot(true);
  m_fallback.setInterval(fallbackMs);
  connect(&m_settle, &QTimer::timeout, this, &SettledIdle::fire);
  connect(&m_fallback, &QTimer::timeout, this, &SettledIdle::fire);
  if (QAbstractEventDispatcher* dispatcher = QAbstractEventDispatcher::instance(thread()))
    connect(dispatcher, &QAbstractEventDispatcher::aboutToBlock, this, &SettledIdle::onAboutToBlock);
}

void SettledIdle::arm() {
  m_armed = true;
  m_settle.stop();  // the first aboutToBlock from now starts it
  m_fallback.start();
}

void SettledIdle::disarm() {
  m_armed = false;
  m_settle.stop();
  m_fallback.stop();
}

void SettledIdle::onAboutToBlock() {
  // Each time the loop runs out of work: whatever woke it since the last time has been handled, so the quiet
  // stretch starts again now. The settle timer's own expiry wakes the loop only to fire.
  if (m_armed) m_settle.start();
}

void SettledIdle::fire() {
  if (!m_armed) return;
  disarm();
  Q_EMIT settled();
}

}  // namespace kvlab
