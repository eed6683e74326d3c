// SPDX-License-Identifier: MIT
#include "ui/source_selection.h"

#include <QFileInfo>

#include "ui/trace_file_dialog.h"

namespace kvlab {

SourceSelection::SourceSelection(QObject* parent) : QObject(parent) {}

void SourceSelection::setSource(const QString& source) {
  const QString s = source.trimmed();
  if (s.isEmpty() || s == m_source) return;
  m_source = s;
  if ((s.contains(QLatin1Char('/')) || s.endsWith(QLatin1String(".json")) || QFileInfo::exists(s)) &&
      !m_opened.contains(s))
    m_opened.append(s);
  Q_EMIT sourceChanged(m_source);
}

void SourceSelection::openFile(const QString& path) {
  if (path.trimmed().isEmpty()) return;
  setSource(path);
  if (isTrace(path.trimmed())) Q_EMIT traceOpened(path.trimmed());
}

void SourceSelection::setTokenizer(const QString& path, const QString& chatTemplate) {
  const QString p = path.trimmed();
  const QString t = chatTemplate.isEmpty() ? QStringLiteral("auto") : chatTemplate;
  if (p == m_tokenizer && t == m_chatTemplate) return;
  m_tokenizer = p;
  m_chatTemplate = t;
  Q_EMIT tokenizerChanged();
}

PromptTextOptions SourceSelection::promptOptions(std::uint32_t blockSize) const {
  PromptTextOptions o;
  o.tokenizerPath = m_tokenizer.toStdString();
  o.chatTemplate = m_chatTemplate.toStdString();
  o.blockSize = blockSize;
  return o;
}

// Every trace format core/trace reads, detected from the content (ui/trace_file_dialog.h).
bool SourceSelection::isTrace(const QString& source) { return isTraceSource(source); }

QString SourceSelection::displayName(const QString& source) {
  return source.contains(QLatin1Char('/')) ? QFileInfo(source).fileName() : source;
}

QString SourceSelection::askForFile(QWidget* parent, const QString& startIn) {
  return askForTrace(parent, QObject::tr("Open a scenario or a trace"), startIn, /*withScenarios=*/true);
}

}  // namespace kvlab
