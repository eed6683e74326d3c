// SPDX-License-Identifier: MIT
// The hardware profiles carry the datasheet figures, and the roofline cost of a prefill is the larger of the
// compute time and the memory time. Expected values are worked by hand from the published figures.
#include <QTest>

#include "core/model/hardware_profile.h"

using namespace kvlab;

class TestHardwareProfile : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void datasheetFigures_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<double>("tflops");  // dense BF16, datasheet "with sparsity" figure / 2
    QTest::addColumn<double>("tbPerS");
    QTest::newRow("h100-sxm") << QStringLiteral("h100-sxm") << 1979.0 / 2 << 3.35;
    QTest::newRow("a100-sxm") << QStringLiteral("a100-sxm") << 624.0 / 2 << 2.039;
    QTest::newRow("l4") << QStringLiteral("l4") << 242.0 / 2 << 0.3;
  }
  void datasheetFigures() {
    QFETCH(QString, name);
    QFETCH(double, tflops);
    QFETCH(double, tbPerS);
    const HardwareProfile* hw = findHardwareProfile(name.toStdString());
    QVERIFY(hw);
    QVERIFY(std::abs(hw->peakFlops / 1e12 - tflops) < 0.6);
    QVERIFY(std::abs(hw->memoryBandwidth / 1e12 - tbPerS) < 1e-9);
    QVERIFY(!hw->source.empty());
  }

  void defaultExistsAndUnknownIsNull() {
    QVERIFY(findHardwareProfile(kDefaultHardwareProfile));
    QVERIFY(!findHardwareProfile("no-such-gpu"));
  }

  void roofline_data() {
    QTest::addColumn<double>("flops");
    QTest::addColumn<double>("bytes");
    QTest::addColumn<double>("seconds");
    // H100: 989.4e12 FLOP/s, 3.35e12 B/s.
    // 9.894e14 FLOPs = 1 s of compute; 16 GB of weights = 16e9 / 3.35e12 = 4.776 ms: compute-bound.
    QTest::newRow("compute-bound") << 9.894e14 << 16e9 << 1.0;
    // 1.6e10 FLOPs (one token of an 8B model) = 16.2 us; the 16 GB weight read dominates: 4.776 ms.
    QTest::newRow("memory-bound") << 1.6e10 << 16e9 << 16e9 / 3.35e12;
  }
  void roofline() {
    QFETCH(double, flops);
    QFETCH(double, bytes);
    QFETCH(double, seconds);
    const HardwareProfile* hw = findHardwareProfile("h100-sxm");
    QVERIFY(hw);
    QVERIFY(std::abs(rooflineSeconds(*hw, flops, bytes) - seconds) < 1e-3 * seconds);
  }
};

QTEST_GUILESS_MAIN(TestHardwareProfile)
#include "tst_hardware_profile.moc"
