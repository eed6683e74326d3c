// SPDX-License-Identifier: MIT
// The tokenizer row (ui/tokenizer_picker.h) on the offscreen platform: a tokenizer.json or a directory
// holding one becomes the shared selection's tokenizer; a path that is neither is refused under the field
// and the selection keeps its last good one; an empty field goes back to none; the Live controls' next run carries
// the tokenizer and template, and a restart of the app restores them from the settings.
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

#include "ui/control_panel.h"
#include "ui/run_controller.h"
#include "ui/source_selection.h"
#include "ui/tokenizer_picker.h"

using namespace kvlab;

namespace {
const QString kTokenizer = QStringLiteral(KVLAB_TEST_DATA_DIR "/prompts/byte_chatml_tokenizer.json");

void type(QLineEdit* edit, const QString& text) {
  edit->setText(text);
  Q_EMIT edit->editingFinished();
}
}  // namespace

class TestTokenizerPicker : public QObject {
  Q_OBJECT
private slots:
  void fileDirectoryAndRefusal() {
    SourceSelection selection;
    TokenizerPicker picker(&selection);
    type(picker.pathEdit(), kTokenizer);
    QCOMPARE(selection.tokenizerPath(), kTokenizer);
    QVERIFY(picker.problemLabel()->isHidden());
    // A directory stands for its tokenizer.json.
    QTemporaryDir dir;
    QVERIFY(QFile::copy(kTokenizer, dir.filePath(QStringLiteral("tokenizer.json"))));
    type(picker.pathEdit(), dir.path());
    QCOMPARE(selection.tokenizerPath(), dir.filePath(QStringLiteral("tokenizer.json")));
    // Neither a file nor a directory with one: said under the field, the last good one kept.
    type(picker.pathEdit(), dir.filePath(QStringLiteral("missing.json")));
    QVERIFY(!picker.problemLabel()->isHidden());
    QVERIFY(picker.problemLabel()->text().contains(QStringLiteral("missing.json")));
    QCOMPARE(selection.tokenizerPath(), dir.filePath(QStringLiteral("tokenizer.json")));
    // The template, and Clear.
    picker.templateCombo()->setCurrentIndex(picker.templateCombo()->findData(QStringLiteral("chatml")));
    QCOMPARE(selection.chatTemplate(), QStringLiteral("chatml"));
    type(picker.pathEdit(), QString());  // the field's clear button empties it
    QCOMPARE(selection.tokenizerPath(), QString());
    // The selection set elsewhere shows here.
    selection.setTokenizer(kTokenizer, QStringLiteral("llama-3"));
    QCOMPARE(picker.pathEdit()->text(), kTokenizer);
    QCOMPARE(picker.templateCombo()->currentData().toString(), QStringLiteral("llama-3"));
  }

  void liveRunsCarryItAndSettingsKeepIt() {
    QTemporaryDir dir;
    const QString ini = dir.filePath(QStringLiteral("kvlab.ini"));
    {
      RunController controller;
      SourceSelection selection;
      ControlPanel panel(&controller);
      panel.attachSourceSelection(&selection);
      selection.setTokenizer(kTokenizer, QStringLiteral("raw"));
      const RunSettings s = panel.settings();
      QCOMPARE(QString::fromStdString(s.tokenizerPath), kTokenizer);
      QCOMPARE(QString::fromStdString(s.chatTemplate), QStringLiteral("raw"));
      QSettings store(ini, QSettings::IniFormat);
      panel.saveSettings(store);
    }
    RunController controller;
    SourceSelection selection;
    ControlPanel panel(&controller);
    panel.attachSourceSelection(&selection);
    const QSettings store(ini, QSettings::IniFormat);
    panel.restoreSettings(store);
    QCOMPARE(selection.tokenizerPath(), kTokenizer);
    QCOMPARE(selection.chatTemplate(), QStringLiteral("raw"));
  }
};

QTEST_MAIN(TestTokenizerPicker)
#include "tst_tokenizer_picker.moc"
