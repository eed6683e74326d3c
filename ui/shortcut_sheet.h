// SPDX-License-Identifier: MIT
#pragma once
// Help ▸ Keyboard shortcuts (F1): every menu action that has a shortcut, read from the menu bar itself (so
// the sheet never lists a key that does nothing or misses one), plus the keys that are no menu action:
// ←/→ in presentation mode. Shown as a non-modal dialog, readable in presentation mode too.
#include <QList>
#include <QString>

class QMenuBar;
class QWidget;

namespace kvlab {

class ShortcutSheet {
public:
  struct Entry {
    QString keys;  // as the platform writes them ("Ctrl+R", "F11")
    QString what;  // the action's text without '&' and ellipsis
    QString menu;  // the menu it is in ("" for keys that are no action)
  };
  static QList<Entry> collect(const QMenuBar* menuBar);
  static QString html(const QList<Entry>& entries);
  static void show(QWidget* parent, const QMenuBar* menuBar);
};

}  // namespace kvlab
