// SPDX-License-Identifier: MIT
#include "ui/tokenizer_picker.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

#include "ui/source_selection.h"

namespace kvlab {

TokenizerPicker::TokenizerPicker(SourceSelection* selection, QWidget* parent)
    : QWidget(parent), m_selection(selection) {
  m_path = new QLineEdit(this);
  m_path->setObjectName(QStringLiteral("tokenizerPath"));
  m_path->setPlaceholderText(tr("none: token ids only; Live text one token per byte"));
  m_path->setToolTip(tr("A Hugging Face tokenizer.json (byte-level BPE: Llama 3, Qwen 2/3, DeepSeek, GLM) or "
                        "the model directory holding it. Prompts files with text are tokenized with it; Live "
                        "runs tokenize the scenario's text with it, so the request view shows real tokens. "
                        "Nothing is downloaded."));
  m_path->setClearButtonEnabled(true);  // cleared: back to no tokenizer
  m_browse = new QPushButton(tr("Browse…"), this);
  m_template = new QComboBox(this);
  m_template->setObjectName(QStringLiteral("chatTemplate"));
  m_template->addItem(tr("auto (from the tokenizer)"), QStringLiteral("auto"));
  m_template->addItem(QStringLiteral("llama-3"), QStringLiteral("llama-3"));
  m_template->addItem(QStringLiteral("chatml"), QStringLiteral("chatml"));
  m_template->addItem(tr("raw (already templated)"), QStringLiteral("raw"));
  m_template->setToolTip(tr("How a chat request's messages become one text: Llama 3's headers, ChatML's "
                            "<|im_start|> turns, or the text as it is; auto picks from the tokenizer's "
                            "added tokens. The analyze report and the CLI say which was used."));
  m_problem = new QLabel(this);
  m_problem->setObjectName(QStringLiteral("tokenizerProblem"));
  m_problem->setWordWrap(true);
  m_problem->setStyleSheet(QStringLiteral("color: #b00020"));
  m_problem->hide();
  auto* grid = new QGridLayout(this);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->addWidget(m_path, 0, 0);
  grid->addWidget(m_browse, 0, 1);
  grid->addWidget(m_template, 0, 2);
  grid->addWidget(m_problem, 1, 0, 1, 3);
  grid->setColumnStretch(0, 1);

  connect(m_browse, &QPushButton::clicked, this, [this] {
    const QString start = m_path->text().isEmpty() ? QDir::homePath() : QFileInfo(m_path->text()).absolutePath();
    const QString file = QFileDialog::getOpenFileName(this, tr("Choose a tokenizer.json"), start,
                                                      tr("Hugging Face tokenizer (tokenizer.json *.json)"));
    if (file.isEmpty()) return;
    m_path->setText(file);
    apply();
  });
  connect(m_path, &QLineEdit::textChanged, this, [this](const QString& text) {
    if (text.isEmpty()) apply();  // the clear button, or everything deleted
  });
  connect(m_path, &QLineEdit::editingFinished, this, &TokenizerPicker::apply);
  connect(m_template, &QComboBox::currentIndexChanged, this, [this] {
    if (!m_updating) m_selection->setTokenizer(m_selection->tokenizerPath(), m_template->currentData().toString());
  });
  connect(m_selection, &SourceSelection::tokenizerChanged, this, &TokenizerPicker::showSelection);
  showSelection();
}

QString TokenizerPicker::tokenizerFile(const QString& path) {
  const QFileInfo info(path);
  if (info.isDir()) {
    const QFileInfo inside(QDir(path).filePath(QStringLiteral("tokenizer.json")));
    return inside.isFile() ? inside.filePath() : QString();
  }
  return info.isFile() && info.isReadable() ? info.filePath() : QString();
}

void TokenizerPicker::setTemplateVisible(bool visible) { m_template->setVisible(visible); }

void TokenizerPicker::apply() {
  if (m_updating) return;
  const QString typed = m_path->text().trimmed();
  const QString file = typed.isEmpty() ? QString() : tokenizerFile(typed);
  if (!typed.isEmpty() && file.isEmpty()) {
    m_problem->setText(QFileInfo(typed).isDir() ? tr("%1 holds no tokenizer.json").arg(typed)
                                                : tr("%1 is not a readable file").arg(typed));
    m_problem->show();
    return;  // the selection keeps its last good tokenizer
  }
  m_problem->hide();
  m_selection->setTokenizer(file, m_template->currentData().toString());
}

void TokenizerPicker::showSelection() {
  m_updating = true;
  if (m_path->text().trimmed() != m_selection->tokenizerPath()) m_path->setText(m_selection->tokenizerPath());
  const int index = m_template->findData(m_selection->chatTemplate());
  if (index >= 0) m_template->setCurrentIndex(index);
  m_problem->hide();
  m_updating = false;
}

}  // namespace kvlab
