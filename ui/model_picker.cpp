// SPDX-License-Identifier: MIT
#include "ui/model_picker.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QPointer>
#include <memory>

#include "core/arch/model_config.h"
#include "core/arch/model_loader.h"

namespace kvlab {

namespace {

const char* const kOpenEntry = "__open_model__";  // the data of the "Open model…" entry

}  // namespace

QString modelSourceForChosenFile(const QString& path) {
  const QFileInfo info(path);
  if (info.isDir()) return info.absoluteFilePath();
  const QDir folder = info.absoluteDir();
  if (info.fileName() == QStringLiteral("config.json") &&
      !folder.entryList({QStringLiteral("*.safetensors")}, QDir::Files).isEmpty())
    return folder.absolutePath();
  return info.absoluteFilePath();
}

bool addModelSource(QComboBox* combo, const QString& source, QString* error) {
  ModelConfig config;
  try {
    config = loadModel(source.toStdString());
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
  int index = combo->findData(source);
  if (index < 0) {
    const QString text = QObject::tr("%1 (%2)").arg(QString::fromStdString(config.name),
                                                     QFileInfo(source).fileName());
    // Before "Open model…", which stays last.
    const int open = combo->findData(QString::fromLatin1(kOpenEntry));
    index = open >= 0 ? open : combo->count();
    combo->insertItem(index, text, source);
    combo->setItemData(index, source, Qt::ToolTipRole);
  }
  combo->setCurrentIndex(index);
  return true;
}

QString currentModelSource(const QComboBox* combo) {
  const QString data = combo->currentData().toString();
  return data.isEmpty() ? combo->currentText() : data;
}

void addOpenModelEntry(QComboBox* combo, QWidget* parent) {
  combo->addItem(QObject::tr("Open model…"), QString::fromLatin1(kOpenEntry));
  combo->setItemData(combo->count() - 1,
                     QObject::tr("A Hugging Face config.json, or the config.json of a model directory "
                                 "(with *.safetensors: its real weights run live)"),
                     Qt::ToolTipRole);
  // The entry before "Open model…" was chosen, to return to when the dialog is cancelled.
  auto previous = std::make_shared<int>(combo->currentIndex());
  QObject::connect(combo, &QComboBox::activated, combo, [combo, parent, previous](int index) {
    if (combo->itemData(index).toString() != QString::fromLatin1(kOpenEntry)) {
      *previous = index;
      return;
    }
    const QString file = QFileDialog::getOpenFileName(
        parent, QObject::tr("Open model"), QString(),
        QObject::tr("Model config (config.json *.json);;All files (*)"));
    QString error;
    if (!file.isEmpty() && addModelSource(combo, modelSourceForChosenFile(file), &error)) {
      *previous = combo->currentIndex();
      return;
    }
    combo->setCurrentIndex(*previous);
    if (!error.isEmpty()) QMessageBox::warning(parent, QObject::tr("Open model"), error);
  });
}

}  // namespace kvlab
