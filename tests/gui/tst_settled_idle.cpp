// SPDX-License-Identifier: MIT
// SettledIdle (quiet timing's hand-over): settled() comes after the work the event loop had scheduled when
// it first went idle - a timer a few milliseconds out, as a repaint is - not at that first idle moment; once
// per arm(); and by the fallback when nothing ever blocks. Orderings, not durations: a timer due earlier is
// delivered first however late the loop wakes, so these hold on a slow machine too.
#include <QEventLoop>
#include <QSignalSpy>
#include <QStringList>
#include <QTimer>
#include <QtTest>

#include "ui/settled_idle.h"

using namespace kvlab;

class TestSettledIdle : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void settlesAfterWorkScheduledAfterTheFirstIdle() {
    SettledIdle idle(/*settleMs=*/30, /*fallbackMs=*/5000);
    QStringList order;
    QEventLoop loop;
    connect(&idle, &SettledIdle::settled, &loop, [&] {
      order << QStringLiteral("settled");
      loop.quit();
    });
    idle.arm();
    // Two waves: one due before the settle time, one scheduled by it (the loop went idle between them).
    QTimer::singleShot(5, &loop, [&] {
      order << QStringLiteral("paint");
      QTimer::singleShot(20, &loop, [&] { order << QStringLiteral("flush"); });
    });
    QTimer::singleShot(10000, &loop, [&] { loop.quit(); });  // a hang fails below, it does not block CI
    loop.exec();
    QCOMPARE(order, (QStringList{QStringLiteral("paint"), QStringLiteral("flush"), QStringLiteral("settled")}));
  }

  void settlesOncePerArm() {
    SettledIdle idle(10, 5000);
    QSignalSpy spy(&idle, &SettledIdle::settled);
    idle.arm();
    idle.arm();  // re-armed before it settled: still one
    QVERIFY(idle.armed());
    QVERIFY(spy.wait(5000));
    QCOMPARE(spy.count(), 1);
    QVERIFY(!idle.armed());
    // Nothing more comes while disarmed, however long the loop idles (until a later timer quits it).
    QEventLoop loop;
    QTimer::singleShot(60, &loop, &QEventLoop::quit);
    loop.exec();
    QCOMPARE(spy.count(), 1);
    idle.arm();
    QVERIFY(spy.wait(5000));
    QCOMPARE(spy.count(), 2);
  }

  void disarmCancels() {
    SettledIdle idle(10, 20);
    QSignalSpy spy(&idle, &SettledIdle::settled);
    idle.arm();
    idle.disarm();
    QEventLoop loop;
    QTimer::singleShot(80, &loop, &QEventLoop::quit);
    loop.exec();
    QCOMPARE(spy.count(), 0);
  }

  // A caller that spins processEvents never lets the loop block: the fallback settles it.
  void fallbackWhenTheLoopNeverBlocks() {
    SettledIdle idle(/*settleMs=*/10, /*fallbackMs=*/30);
    QSignalSpy spy(&idle, &SettledIdle::settled);
    idle.arm();
    while (spy.count() == 0) QCoreApplication::processEvents(QEventLoop::AllEvents);
    QCOMPARE(spy.count(), 1);
  }
};

QTEST_MAIN(TestSettledIdle)
#include "tst_settled_idle.moc"
