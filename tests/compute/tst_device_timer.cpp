// SPDX-License-Identifier: MIT
// DeviceTimer: which device strings it accepts, and that a CPU timer runs without touching CUDA. The CUDA
// barrier itself needs a GPU and is exercised by tools/gpu-check.sh (docs/gpu.md), never here.
#include <QTest>
#include <chrono>
#include <stdexcept>

#include "core/device/device_timer.h"

using kvlab::DeviceTimer;

class TestDeviceTimer : public QObject {
  Q_OBJECT

private slots:
  void parsesDevice_data();
  void parsesDevice();
  void cpuTimerNeedsNoGpu();
};

void TestDeviceTimer::parsesDevice_data() {
  QTest::addColumn<QString>("device");
  QTest::addColumn<bool>("valid");
  QTest::addColumn<bool>("cuda");
  QTest::newRow("cpu") << "cpu" << true << false;
  QTest::newRow("cuda") << "cuda" << true << true;
  QTest::newRow("cuda:0") << "cuda:0" << true << true;
  QTest::newRow("cuda:7") << "cuda:7" << true << true;
  QTest::newRow("empty") << "" << false << false;
  QTest::newRow("gpu") << "gpu" << false << false;
  QTest::newRow("cuda: no index") << "cuda:" << false << false;
  QTest::newRow("cuda:x") << "cuda:x" << false << false;
  QTest::newRow("cuda:-1") << "cuda:-1" << false << false;
  QTest::newRow("CPU upper case") << "CPU" << false << false;
  QTest::newRow("cuda:1 trailing space") << "cuda:1 " << false << false;
}

void TestDeviceTimer::parsesDevice() {
  QFETCH(QString, device);
  QFETCH(bool, valid);
  QFETCH(bool, cuda);
  if (!valid) {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, DeviceTimer(device.toStdString()));
    return;
  }
  const DeviceTimer timer(device.toStdString());  // constructing never synchronises, so no GPU is needed
  QCOMPARE(timer.isCuda(), cuda);
}

void TestDeviceTimer::cpuTimerNeedsNoGpu() {
  // On the CPU start()/elapsedMs() are plain clock readings: they must not reach for a CUDA backend (which
  // this LibTorch may not have), and they are milliseconds of steady_clock. Nested readings bound the
  // interval on both sides whatever the machine's speed: the timer's interval contains [inner0, inner1]
  // (it started before inner0 and is read after inner1) and lies within [outer0, outer1].
  using Clock = std::chrono::steady_clock;
  const auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  DeviceTimer timer("cpu");
  const Clock::time_point outer0 = Clock::now();
  timer.start();
  const Clock::time_point inner0 = Clock::now();
  Clock::time_point inner1 = inner0;
  while (ms(inner1 - inner0) < 2.0) inner1 = Clock::now();  // at least 2 ms inside the interval
  const double elapsed = timer.elapsedMs();
  const Clock::time_point outer1 = Clock::now();
  QVERIFY2(elapsed >= ms(inner1 - inner0), qPrintable(QString::number(elapsed)));
  QVERIFY2(elapsed <= ms(outer1 - outer0), qPrintable(QString::number(elapsed)));
}

QTEST_GUILESS_MAIN(TestDeviceTimer)
#include "tst_device_timer.moc"
