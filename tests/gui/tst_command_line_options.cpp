// SPDX-License-Identifier: MIT
// kvlab's command line: the cache flags of `kvlab-cli run`, unattended mode, and clear errors naming the
// flag; and the real kvlab (KVLAB_APP_PATH) answering --help and --version with no display.
#include <QProcess>
#include <QProcessEnvironment>
#include <QTest>

#include "ui/command_line_options.h"

using namespace kvlab;

class TestCommandLineOptions : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void initTestCase() { qputenv("KVLAB_SCENARIO_DIR", KVLAB_SCENARIO_DIR); }

  void goodValues() {
    const CommandLineResult r = parseCommandLine({QStringLiteral("kvlab"),
                                                  QStringLiteral("--scenario"),
                                                  QStringLiteral("rag"),
                                                  QStringLiteral("--device"),
                                                  QStringLiteral("cpu"),
                                                  QStringLiteral("--granularity"),
                                                  QStringLiteral("radix"),
                                                  QStringLiteral("--block-size"),
                                                  QStringLiteral("32"),
                                                  QStringLiteral("--policy"),
                                                  QStringLiteral("lfu"),
                                                  QStringLiteral("--max-size"),
                                                  QStringLiteral("256MiB"),
                                                  QStringLiteral("--ttl"),
                                                  QStringLiteral("30s"),
                                                  QStringLiteral("--model"),
                                                  QStringLiteral("small"),
                                                  QStringLiteral("--seed"),
                                                  QStringLiteral("9"),
                                                  QStringLiteral("--autorun"),
                                                  QStringLiteral("--export-report"),
                                                  QStringLiteral("r.pdf"),
                                                  QStringLiteral("--screenshot"),
                                                  QStringLiteral("s.png"),
                                                  QStringLiteral("--quit-when-done")});
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    const CommandLineOptions& o = r.options;
    QVERIFY(o.run.has_value());
    QCOMPARE(o.run->scenario, std::string("rag"));
    QCOMPARE(o.run->device, std::string("cpu"));
    QVERIFY(*o.run->granularity == Granularity::Radix);
    QCOMPARE(*o.run->blockSize, 32u);
    QCOMPARE(*o.run->policy, std::string("lfu"));
    QCOMPARE(*o.run->maxBytes, Bytes(256) << 20);
    QCOMPARE(*o.run->ttlMs, TimeMs(30000));
    QCOMPARE(*o.run->model, std::string("small"));
    QCOMPARE(*o.run->seed, std::uint64_t(9));
    QVERIFY(o.autorun && o.quitWhenDone);
    QCOMPARE(o.exportReport, QStringLiteral("r.pdf"));
    QCOMPARE(o.screenshot, QStringLiteral("s.png"));
  }

  void sweepFlags() {
    // --sweep opens the Tune page and stands for the run that --quit-when-done waits for.
    const CommandLineResult r =
        parseCommandLine({QStringLiteral("kvlab"), QStringLiteral("--sweep"), QStringLiteral("rag"),
                          QStringLiteral("--sweep-sizes"), QStringLiteral("1000:100000:log5"),
                          QStringLiteral("--quit-when-done")});
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    QCOMPARE(r.options.sweep, QStringLiteral("rag"));
    QCOMPARE(r.options.sweepSizes, QStringLiteral("1000:100000:log5"));
    QCOMPARE(r.options.page, QStringLiteral("tune"));
    QVERIFY(r.options.quitWhenDone);
    QVERIFY(!r.options.run.has_value());
  }

  void noRunFlags() {
    const CommandLineResult r = parseCommandLine({QStringLiteral("kvlab")});
    QVERIFY(r.error.isEmpty());
    QVERIFY(!r.options.run.has_value());
  }

  void badValues_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("flag");
    QTest::newRow("size") << QStringList{QStringLiteral("--max-size"), QStringLiteral("lots")}
                          << QStringLiteral("--max-size");
    QTest::newRow("zero size") << QStringList{QStringLiteral("--max-size"), QStringLiteral("0")}
                               << QStringLiteral("--max-size");
    QTest::newRow("ttl") << QStringList{QStringLiteral("--ttl"), QStringLiteral("soon")}
                         << QStringLiteral("--ttl");
    QTest::newRow("device") << QStringList{QStringLiteral("--device"), QStringLiteral("tpu")}
                            << QStringLiteral("--device");
    QTest::newRow("granularity") << QStringList{QStringLiteral("--granularity"), QStringLiteral("page")}
                                 << QStringLiteral("--granularity");
    QTest::newRow("block size") << QStringList{QStringLiteral("--block-size"), QStringLiteral("0")}
                                << QStringLiteral("--block-size");
    QTest::newRow("policy") << QStringList{QStringLiteral("--policy"), QStringLiteral("random")}
                            << QStringLiteral("--policy");
    QTest::newRow("model") << QStringList{QStringLiteral("--model"), QStringLiteral("gpt-5")}
                           << QStringLiteral("--model");
    QTest::newRow("seed") << QStringList{QStringLiteral("--seed"), QStringLiteral("-1")}
                          << QStringLiteral("--seed");
    QTest::newRow("scenario") << QStringList{QStringLiteral("--scenario"), QStringLiteral("no-such-scenario")}
                              << QStringLiteral("--scenario");
    QTest::newRow("quit without autorun")
        << QStringList{QStringLiteral("--quit-when-done")} << QStringLiteral("--quit-when-done");
    QTest::newRow("page") << QStringList{QStringLiteral("--page"), QStringLiteral("tuning")}
                          << QStringLiteral("--page");
    QTest::newRow("sweep scenario") << QStringList{QStringLiteral("--sweep"),
                                                   QStringLiteral("no-such-scenario")}
                                    << QStringLiteral("--sweep");
    QTest::newRow("sweep trace") << QStringList{QStringLiteral("--sweep"),
                                                QStringLiteral("/nonexistent.jsonl")}
                                 << QStringLiteral("/nonexistent.jsonl");
    QTest::newRow("sweep sizes") << QStringList{QStringLiteral("--sweep-sizes"), QStringLiteral("1:2:log0")}
                                 << QStringLiteral("--sweep-sizes");
    QTest::newRow("unknown flag") << QStringList{QStringLiteral("--max-sise"), QStringLiteral("1GiB")}
                                  << QStringLiteral("max-sise");
  }
  void badValues() {
    QFETCH(QStringList, args);
    QFETCH(QString, flag);
    args.prepend(QStringLiteral("kvlab"));
    const CommandLineResult r = parseCommandLine(args);
    QVERIFY(!r.error.isEmpty());
    QVERIFY2(r.error.contains(flag), qPrintable(r.error));
  }

  // The real kvlab with no display at all (DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM unset): --help,
  // --version and a bad option print and exit as usual, with no platform plugin loaded; a run says there is
  // no display and exits 1 (before, every one of them aborted in QApplication's constructor: exit 134).
  void withoutDisplay_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("out");
    QTest::addColumn<QString>("err");
    QTest::newRow("help") << QStringList{QStringLiteral("--help")} << 0 << QStringLiteral("--scenario")
                          << QString();
    QTest::newRow("version") << QStringList{QStringLiteral("--version")} << 0 << QStringLiteral("kvlab ")
                             << QString();
    QTest::newRow("bad option") << QStringList{QStringLiteral("--max-size"), QStringLiteral("lots")} << 2
                                << QString() << QStringLiteral("--max-size");
    QTest::newRow("a run") << QStringList{QStringLiteral("--scenario"), QStringLiteral("rag")} << 1
                           << QString() << QStringLiteral("no display");
  }
  void withoutDisplay() {
    QFETCH(QStringList, args);
    QFETCH(int, code);
    QFETCH(QString, out);
    QFETCH(QString, err);
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
      env.remove(QLatin1String(name));
    env.insert(QStringLiteral("KVLAB_SCENARIO_DIR"), QStringLiteral(KVLAB_SCENARIO_DIR));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(KVLAB_APP_PATH), args);
    QVERIFY(p.waitForStarted(10000));
    QVERIFY(p.waitForFinished(60000));
    const QString stdoutText = QString::fromUtf8(p.readAllStandardOutput());
    const QString stderrText = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(p.exitStatus() == QProcess::NormalExit, qPrintable(stderrText));
    QVERIFY2(p.exitCode() == code,
             qPrintable(QStringLiteral("exit %1: %2").arg(p.exitCode()).arg(stderrText)));
    if (!out.isEmpty()) QVERIFY2(stdoutText.contains(out), qPrintable(stdoutText));
    if (!err.isEmpty()) QVERIFY2(stderrText.contains(err), qPrintable(stderrText));
  }
};

QTEST_GUILESS_MAIN(TestCommandLineOptions)
#include "tst_command_line_options.moc"
