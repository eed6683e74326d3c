// SPDX-License-Identifier: MIT
#pragma once
// Lets a page take a trace by drag and drop: one local file or folder (a RAGPulse or kv-cache-tester
// directory) dropped anywhere on the page that its children do not take themselves. Installed on the
// page, owned by it; it only hands the path on (dropped), the page decides what to do with it.
#include <QObject>
#include <QString>

class QMimeData;
class QWidget;

namespace kvlab {

class TraceDropFilter : public QObject {
  Q_OBJECT

public:
  // Installs itself on target (setAcceptDrops(true)); target owns it.
  explicit TraceDropFilter(QWidget* target);

  // The local path of a drop carrying exactly one local file or folder, else "".
  static QString droppedPath(const QMimeData* mime);

signals:
  void dropped(const QString& path);

protected:
  bool eventFilter(QObject* watched, QEvent* event) override;
};

}  // namespace kvlab
