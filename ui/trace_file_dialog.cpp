// SPDX-License-Identifier: MIT
#include "ui/trace_file_dialog.h"

#include <QFileDialog>
#include <QSet>
#include <QStringList>

#include "core/trace/trace_format.h"

namespace kvlab {

QString traceFileFilter(bool withScenarios) {
  QStringList patterns;
  QStringList perFormat;
  for (const TraceFormat& f : traceFormats()) {
    const QString pattern = QString::fromStdString(f.patterns);
    if (!patterns.contains(pattern)) patterns << pattern;
    perFormat << QObject::tr("%1 (%2)").arg(QString::fromStdString(f.name), pattern);
  }
  if (withScenarios && !patterns.contains(QStringLiteral("*.json"))) patterns << QStringLiteral("*.json");
  const QString all = withScenarios ? QObject::tr("Traces and scenarios (%1)").arg(patterns.join(QLatin1Char(' ')))
                                    : QObject::tr("Traces (%1)").arg(patterns.join(QLatin1Char(' ')));
  return all + QStringLiteral(";;") + perFormat.join(QStringLiteral(";;")) + QStringLiteral(";;") +
         QObject::tr("All files (*)");
}

bool isTraceSource(const QString& source) { return !source.isEmpty() && looksLikeTrace(source.toStdString()); }

QString askForTrace(QWidget* parent, const QString& title, const QString& startDir, bool withScenarios) {
  return QFileDialog::getOpenFileName(parent, title, startDir, traceFileFilter(withScenarios));
}

}  // namespace kvlab
