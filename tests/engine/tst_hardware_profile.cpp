// SPDX-License-Identifier: MIT
// The hardware table (core/hardware/hardware_profile.h) against the vendors' spec sheets: dense BF16 FLOP/s
// (half the "with sparsity" figure where a sheet prints only that), memory bandwidth and size, and the
// peer link one way (half the sheet's bidirectional NVLink / Infinity Fabric figure; PCIe for cards
// without one).
#include <QtTest>

#include "core/hardware/hardware_profile.h"

using namespace kvlab;

class TestHardwareProfile : public QObject {
  Q_OBJECT
private slots:
  void specSheetProfiles_data();
  void specSheetProfiles();
  void lookups();
};

void TestHardwareProfile::specSheetProfiles_data() {
  QTest::addColumn<QString>("name");
  QTest::addColumn<double>("denseBf16Tflops");
  QTest::addColumn<double>("tbPerS");
  QTest::addColumn<double>("gb");
  QTest::addColumn<double>("linkGBpsOneWay");
  // NVIDIA H100 datasheet (SXM): BF16 1,979 TFLOPS sparse, 3.35 TB/s, 80 GB, NVLink 900 GB/s.
  QTest::newRow("h100-sxm") << "h100-sxm" << 989.5 << 3.35 << 80.0 << 450.0;
  // NVIDIA H200 datasheet (SXM): BF16 1,979 TFLOPS sparse, 4.8 TB/s, 141 GB, NVLink 900 GB/s.
  QTest::newRow("h200") << "h200" << 989.5 << 4.8 << 141.0 << 450.0;
  // NVIDIA A100 datasheet (80GB SXM): BF16 312 TFLOPS dense, 2,039 GB/s, 80 GB, NVLink 600 GB/s.
  QTest::newRow("a100-80gb") << "a100-80gb" << 312.0 << 2.039 << 80.0 << 300.0;
  // NVIDIA L40S datasheet: BF16 362.05 TFLOPS dense, 864 GB/s, 48 GB, PCIe Gen4 x16 64 GB/s (no NVLink).
  QTest::newRow("l40s") << "l40s" << 362.05 << 0.864 << 48.0 << 32.0;
  // NVIDIA HGX B200 datasheet / 8: BF16 36 PFLOPS sparse -> 2.25 dense, 64 TB/s -> 8, 1,440 GB -> 180,
  // NVLink 1.8 TB/s per GPU.
  QTest::newRow("b200") << "b200" << 2250.0 << 8.0 << 180.0 << 900.0;
  // AMD Instinct MI300X datasheet: BF16 1,307.4 TFLOPS dense, 5.3 TB/s, 192 GB, Infinity Fabric 896 GB/s.
  QTest::newRow("mi300x") << "mi300x" << 1307.4 << 5.3 << 192.0 << 448.0;
  // NVIDIA HGX H20 (partner briefs): BF16 148 TFLOPS, 4.0 TB/s, 96 GB, NVLink 900 GB/s.
  QTest::newRow("h20") << "h20" << 148.0 << 4.0 << 96.0 << 450.0;
  // NVIDIA L4 datasheet: BF16 242 TFLOPS sparse -> 121 dense, 300 GB/s, 24 GB, PCIe Gen4 x16.
  QTest::newRow("l4") << "l4" << 121.0 << 0.3 << 24.0 << 32.0;
  // NVIDIA Ada whitepaper (RTX 4090): BF16 (FP32 accumulate) 165.2 TFLOPS dense, 1,008 GB/s, 24 GB, PCIe
  // Gen4.
  QTest::newRow("rtx-4090") << "rtx-4090" << 165.2 << 1.008 << 24.0 << 32.0;
}

void TestHardwareProfile::specSheetProfiles() {
  QFETCH(QString, name);
  QFETCH(double, denseBf16Tflops);
  QFETCH(double, tbPerS);
  QFETCH(double, gb);
  QFETCH(double, linkGBpsOneWay);
  const HardwareProfile* p = findHardwareProfile(name.toStdString());
  QVERIFY(p);
  QCOMPARE(p->peakFlops, denseBf16Tflops * 1e12);
  QCOMPARE(p->memoryBandwidth, tbPerS * 1e12);
  QCOMPARE(p->memoryBytes, std::uint64_t(gb * 1e9));
  QCOMPARE(p->interconnectBandwidth, linkGBpsOneWay * 1e9);
  QVERIFY(!p->source.empty());
  QVERIFY(!p->measured);
  QVERIFY(p->computeUtilisation > 0 && p->computeUtilisation <= 1);
  QVERIFY(p->memoryUtilisation > 0 && p->memoryUtilisation <= 1);
  QVERIFY(p->interconnectUtilisation > 0 && p->interconnectUtilisation <= 1);
}

void TestHardwareProfile::lookups() {
  QCOMPARE(hardwareProfiles().front().name, std::string(defaultHardwareProfileName()));
  QVERIFY(!findHardwareProfile("h100"));
  const auto names = hardwareProfileNames();
  QCOMPARE(names.back(), std::string("cpu-here"));
  QCOMPARE(names.size(), hardwareProfiles().size() + 1);
}

QTEST_GUILESS_MAIN(TestHardwareProfile)
#include "tst_hardware_profile.moc"
