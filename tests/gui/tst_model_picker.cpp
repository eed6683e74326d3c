// SPDX-License-Identifier: MIT
// "Open model…" (ui/model_picker.*): which --model value a chosen file becomes, a config the reader accepts
// joins the combo before the "Open model…" entry and is selected, a refused one leaves the combo as it was
// with the reader's message, and the Live, Serving and Tune model combos all offer the entry.
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include "ui/main_window.h"
#include "ui/model_picker.h"
#include "ui/serving_page.h"
#include "ui/tune_page.h"

using namespace kvlab;

namespace {

// A small Llama-style config written by hand: 2 layers, 2 K/V heads of 16 (the reader's field names).
const char* const kConfig = R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
  "vocab_size": 256, "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": false})";

void write(const QString& path, const QByteArray& text) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(text);
}

bool hasOpenEntryLast(const QComboBox* combo) {
  return combo && combo->count() > 1 && combo->itemText(combo->count() - 1) == QStringLiteral("Open model…");
}

}  // namespace

class TestModelPicker : public QObject {
  Q_OBJECT
private slots:
  void chosenFileBecomesModelSource() {
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("sizes")) && QDir(dir.path()).mkpath(QStringLiteral("real")));
    write(dir.filePath(QStringLiteral("sizes/config.json")), kConfig);
    write(dir.filePath(QStringLiteral("real/config.json")), kConfig);
    write(dir.filePath(QStringLiteral("real/model.safetensors")), "x");
    // A config alone: the file (sizes and the cost model). Beside weights: the directory (runs live).
    QCOMPARE(modelSourceForChosenFile(dir.filePath(QStringLiteral("sizes/config.json"))),
             dir.filePath(QStringLiteral("sizes/config.json")));
    QCOMPARE(modelSourceForChosenFile(dir.filePath(QStringLiteral("real/config.json"))),
             dir.filePath(QStringLiteral("real")));
    QCOMPARE(modelSourceForChosenFile(dir.filePath(QStringLiteral("real"))), dir.filePath(QStringLiteral("real")));
  }

  void acceptedConfigIsAddedAndSelected() {
    QTemporaryDir dir;
    const QString config = dir.filePath(QStringLiteral("config.json"));
    write(config, kConfig);
    QComboBox combo;
    combo.addItem(QStringLiteral("demo"));
    addOpenModelEntry(&combo, nullptr);
    QString error;
    QVERIFY2(addModelSource(&combo, config, &error), qPrintable(error));
    QCOMPARE(combo.count(), 3);
    QCOMPARE(combo.currentIndex(), 1);  // before "Open model…", which stays last
    QVERIFY(hasOpenEntryLast(&combo));
    QCOMPARE(currentModelSource(&combo), config);
    QVERIFY(addModelSource(&combo, config, &error));  // the same source again: the same entry
    QCOMPARE(combo.count(), 3);
    combo.setCurrentIndex(0);
    QCOMPARE(currentModelSource(&combo), QStringLiteral("demo"));  // a preset: its text
  }

  void refusedConfigLeavesComboAlone() {
    QTemporaryDir dir;
    const QString config = dir.filePath(QStringLiteral("config.json"));
    write(config, R"({"model_type": "llama", "hidden_size": 64})");  // no layer count, no heads
    QComboBox combo;
    combo.addItem(QStringLiteral("demo"));
    addOpenModelEntry(&combo, nullptr);
    QString error;
    QVERIFY(!addModelSource(&combo, config, &error));
    QCOMPARE(combo.count(), 2);
    QCOMPARE(combo.currentIndex(), 0);
    QVERIFY2(error.contains(QStringLiteral("config.json")), qPrintable(error));
  }

  void everyModelComboOffersOpenModel() {
    MainWindow window;
    QVERIFY(hasOpenEntryLast(window.findChild<QComboBox*>(QStringLiteral("modelCombo"))));
    ServingPage serving;
    TunePage tune;
    for (QWidget* page : {static_cast<QWidget*>(&serving), static_cast<QWidget*>(&tune)}) {
      bool found = false;
      for (QComboBox* combo : page->findChildren<QComboBox*>()) found = found || hasOpenEntryLast(combo);
      QVERIFY2(found, qPrintable(page->metaObject()->className()));
    }
  }
};

QTEST_MAIN(TestModelPicker)
#include "tst_model_picker.moc"
