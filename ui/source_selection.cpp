// SPDX-License-Identifier: MIT
#include "ui/source_selection.h"

#include <QFileDialog>
#include <QFileInfo>

namespace kvlab {

SourceSelection::SourceSelection(QObject* parent) : QObject(parent) {}

void SourceSelection::setSource(const QString& source) {
  const QString s = source.trimmed();
  if (s.isEmpty() || s == m_source) return;
  m_source = s;
  if ((s.contains(QLatin1Char('/')) || s.endsWith(QLatin1String(".json")) || isTrace(s)) &&
      !m_opened.contains(s))
    m_opened.append(s);
  Q_EMIT sourceChanged(m_source);
}

bool SourceSelection::isTrace(const QString& source) { return source.endsWith(QLatin1String(".jsonl")); }

QString SourceSelection::displayName(const QString& source) {
  return source.contains(QLatin1Char('/')) ? QFileInfo(source).fileName() : source;
}

QString SourceSelection::askForFile(QWidget* parent, const QString& startIn) {
  return QFileDialog::getOpenFileName(parent, QObject::tr("Open a scenario or a trace"), startIn,
                                      QObject::tr("Scenarios and traces (*.json *.jsonl);;Traces (*.jsonl);;"
                                                  "Scenarios (*.json);;All files (*)"));
}

}  // namespace kvlab
