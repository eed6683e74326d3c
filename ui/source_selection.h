// SPDX-License-Identifier: MIT
#pragma once
// The one source every page works on: a bundled scenario name, a scenario .json file or a trace file. The
// Live controls, and the picker at the top of the Serving, Fleet and Tune pages, all read and set this one
// object, so a trace opened on any page is the trace of every page. GUI thread only.
// Opening files goes through ui/trace_file_dialog.h (every trace format, detected from the content).
// With the source goes the tokenizer that turns a prompts file's text into tokens (the CLI's --tokenizer and
// --chat-template; ui/tokenizer_picker.h sets it) and that Live runs tokenize scenario text with.
#include <QObject>
#include <QString>
#include <QStringList>
#include <cstdint>

#include "core/trace/trace_reader.h"

class QWidget;

namespace kvlab {

class SourceSelection : public QObject {
  Q_OBJECT
public:
  explicit SourceSelection(QObject* parent = nullptr);

  QString source() const { return m_source; }
  // Sets the source (trimmed); emits sourceChanged when it differs. A file path is remembered in
  // openedFiles() so every picker can list it.
  void setSource(const QString& source);
  // A file or folder the user opened (a dialog, a drop): sets it as the source and, when it is a trace,
  // emits traceOpened even if it was the source already (the window then shows its workload report).
  void openFile(const QString& path);
  const QStringList& openedFiles() const { return m_opened; }

  // A Hugging Face tokenizer.json ("" = none: token ids only, and bytes for Live scenario text) and the chat
  // template around a prompt's messages: auto (from the tokenizer's added tokens), llama-3, chatml or raw.
  // Emits tokenizerChanged when either differs.
  void setTokenizer(const QString& path, const QString& chatTemplate = QStringLiteral("auto"));
  QString tokenizerPath() const { return m_tokenizer; }
  QString chatTemplate() const { return m_chatTemplate; }
  // What a prompts file is read with: the tokenizer, the template, and blocks of blockSize tokens (0 = the
  // format's default, 16).
  PromptTextOptions promptOptions(std::uint32_t blockSize = 0) const;

  // A trace file or folder of any format (replayed, no model runs) rather than a scenario.
  static bool isTrace(const QString& source);
  // The name to show: a file's name, or the scenario name as given.
  static QString displayName(const QString& source);
  // The open dialog of every page: scenarios and every trace format. Returns "" when cancelled.
  static QString askForFile(QWidget* parent, const QString& startIn = {});

Q_SIGNALS:
  void sourceChanged(const QString& source);
  void traceOpened(const QString& path);
  void tokenizerChanged();

private:
  QString m_source = QStringLiteral("repeated-prefix");
  QStringList m_opened;
  QString m_tokenizer;
  QString m_chatTemplate = QStringLiteral("auto");
};

}  // namespace kvlab
