// SPDX-License-Identifier: MIT
#include "ui/source_picker.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

#include "core/workload/scenario.h"
#include "ui/source_selection.h"

namespace kvlab {

SourcePicker::SourcePicker(SourceSelection* selection, QWidget* parent)
    : QWidget(parent), m_selection(selection) {
  m_combo = new QComboBox(this);
  m_combo->setObjectName(QStringLiteral("sourceCombo"));
  m_combo->setEditable(true);
  m_combo->setInsertPolicy(QComboBox::NoInsert);
  m_combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  m_combo->setMinimumContentsLength(22);
  m_combo->setToolTip(
      tr("The source of every page: a bundled scenario, a scenario .json file or a trace (.jsonl). "
         "Changing it here changes it on the Live, Serving, Fleet and Tune pages."));
  m_open = new QPushButton(tr("Open…"), this);
  m_open->setToolTip(tr("Open a scenario or a trace file (Ctrl+O)"));
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_combo, 1);
  layout->addWidget(m_open);
  connect(m_open, &QPushButton::clicked, this, [this] {
    m_selection->openFile(SourceSelection::askForFile(this));
  });
  connect(m_combo, &QComboBox::activated, this, [this](int index) {
    if (!m_updating) m_selection->setSource(m_combo->itemData(index).toString());
  });
  connect(m_combo->lineEdit(), &QLineEdit::editingFinished, this, [this] {
    if (m_updating) return;
    const QString typed = m_combo->currentText().trimmed();
    const int index = m_combo->findText(typed);
    m_selection->setSource(index >= 0 ? m_combo->itemData(index).toString() : typed);
  });
  connect(selection, &SourceSelection::sourceChanged, this, &SourcePicker::showSelection);
  showSelection();
}

void SourcePicker::showSelection() {
  m_updating = true;
  m_combo->clear();
  for (const std::string& name : bundledScenarioNames())
    m_combo->addItem(QString::fromStdString(name), QString::fromStdString(name));
  for (const QString& file : m_selection->openedFiles()) {
    m_combo->addItem(SourceSelection::displayName(file), file);
    m_combo->setItemData(m_combo->count() - 1, file, Qt::ToolTipRole);
  }
  int index = m_combo->findData(m_selection->source());
  if (index < 0) {
    m_combo->addItem(SourceSelection::displayName(m_selection->source()), m_selection->source());
    index = m_combo->count() - 1;
  }
  m_combo->setCurrentIndex(index);
  m_updating = false;
}

}  // namespace kvlab
