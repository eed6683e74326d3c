// SPDX-License-Identifier: MIT
// The Tune page, driven offscreen: a sweep of a fixture trace through the page's own worker thread (waited
// for with QSignalSpy / QTRY_*, no sleeps), its curve points and heatmap cells checked against
// tools/policy_reference.py (a plain-Python replay written from the papers, sharing no code with the
// engine), the infinite-cache bound, Cancel, click-to-Live, a scenario source, exports and bad input.
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProgressBar>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtTest>
#include <map>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/policies/policy_registry.h"
#include "core/workload/scenario.h"
#include "core/trace/scenario_trace.h"
#include "pdf_pages.h"
#include "ui/control_panel.h"
#include "ui/log_axis_labels.h"
#include "ui/main_window.h"
#include "ui/miss_ratio_chart.h"
#include "ui/prefill_savings_chart.h"
#include "ui/report_exporter.h"
#include "ui/ttl_heatmap_widget.h"
#include "ui/tune_page.h"
#include "test_requirements.h"

using namespace kvlab;

namespace {

const QString kTrace = QStringLiteral(KVLAB_TEST_DATA_DIR "/policy_sample_synthetic.jsonl");
const QString kSizes = QStringLiteral("8192,32768,131072,524288");
const QString kTtls = QStringLiteral("off,10s,60s");
constexpr int kSweepTimeoutMs = 120000;  // the whole sweep takes well under a second; generous for CI

struct Expected {
  quint64 promptTokens = 0, hitTokens = 0;
};

// python3 tools/policy_reference.py TRACE --policy P --max-tokens a,b,c --ttl-ms T: size -> counts.
std::map<quint64, Expected> reference(const QString& trace, const QString& policy, const QString& sizes,
                                      qint64 ttlMs, int blockSize = 512) {
  std::map<quint64, Expected> out;
  if (policy == QStringLiteral("opt") && ttlMs == 0) {
    // The page's Belady runs over the prefix tree (RadixBlockReplayer): tools/radix_reference.py, per size.
    for (const QString& size : sizes.split(QLatin1Char(','))) {
      QProcess radix;
      radix.start(QStringLiteral(KVLAB_PYTHON3),
                  {QStringLiteral(KVLAB_TOOLS_DIR "/radix_reference.py"), trace, QStringLiteral("--block-size"),
                   QString::number(blockSize), QStringLiteral("--capacity-blocks"),
                   QString::number(size.toULongLong() / quint64(blockSize)), QStringLiteral("--policy"),
                   QStringLiteral("opt")});
      if (!radix.waitForFinished(120000) || radix.exitCode() != 0) {
        qWarning("radix_reference.py failed: %s", radix.readAllStandardError().constData());
        return {};
      }
      const QJsonObject o = QJsonDocument::fromJson(radix.readAllStandardOutput()).object();
      out[size.toULongLong()] = {quint64(o.value(QStringLiteral("prompt_tokens")).toInteger()),
                                 quint64(o.value(QStringLiteral("hit_tokens")).toInteger())};
    }
    return out;
  }
  QProcess python;
  python.start(QStringLiteral(KVLAB_PYTHON3),
               {QStringLiteral(KVLAB_TOOLS_DIR "/policy_reference.py"), trace, QStringLiteral("--policy"),
                policy, QStringLiteral("--max-tokens"), sizes, QStringLiteral("--ttl-ms"),
                QString::number(ttlMs), QStringLiteral("--block-size"), QString::number(blockSize)});
  if (!python.waitForFinished(120000) || python.exitCode() != 0) {
    qWarning("policy_reference.py failed: %s", python.readAllStandardError().constData());
    return out;
  }
  for (const QByteArray& line : python.readAllStandardOutput().split('\n')) {
    if (line.trimmed().isEmpty()) continue;
    const QJsonObject o = QJsonDocument::fromJson(line).object();
    out[quint64(o.value(QStringLiteral("max_tokens")).toInteger())] = {
        quint64(o.value(QStringLiteral("prompt_tokens")).toInteger()),
        quint64(o.value(QStringLiteral("hit_tokens")).toInteger())};
  }
  return out;
}

bool sweep(TunePage& page) {
  QSignalSpy finished(&page, &TunePage::sweepFinished);
  if (!page.start()) return false;
  return finished.wait(kSweepTimeoutMs) || finished.count() > 0;
}

}  // namespace

class TestTunePage : public QObject {
  Q_OBJECT
private slots:
  void initTestCase();
  void curvesMatchReference_data();
  void curvesMatchReference();
  void heatmapMatchesReference();
  void boundAndKnees();
  void cancelStops();
  void progressFillsIn();
  void reportHasTuningSection();
  void clickOpensLive();
  void scenarioSource();
  void exportsWriteFiles();
  void badInputNamesTheField_data();
  void badInputNamesTheField();

private:
  TunePage* sweptPage();  // one sweep of the fixture trace, shared by the checking tests
  std::unique_ptr<TunePage> m_page;
};

void TestTunePage::initTestCase() {
  QStandardPaths::setTestModeEnabled(true);
  QCoreApplication::setOrganizationName(QStringLiteral("kvlab-tests"));
  QCoreApplication::setApplicationName(QStringLiteral("tst_tune_page"));
  QSettings().clear();
}

TunePage* TestTunePage::sweptPage() {
  if (!m_page) {
    m_page = std::make_unique<TunePage>();
    m_page->resize(1400, 900);
    m_page->setSource(kTrace);
    m_page->setSizes(kSizes);
    m_page->setPolicies(QStringLiteral("all"));
    m_page->setHeatmapPolicy(QStringLiteral("fifo"));
    m_page->setTtls(kTtls);
    if (!sweep(*m_page)) qWarning("the sweep did not finish");
  }
  return m_page.get();
}

void TestTunePage::curvesMatchReference_data() {
  QTest::addColumn<QString>("policy");
  for (const std::string& p : replayPolicyNames()) QTest::newRow(p.c_str()) << QString::fromStdString(p);
}

void TestTunePage::curvesMatchReference() {
  QFETCH(QString, policy);
  KVLAB_REQUIRE_PYTHON3(kvlab::test::executableOrEmpty(QStringLiteral(KVLAB_PYTHON3)));
  TunePage* page = sweptPage();
  QVERIFY(page->results().finished);
  const std::map<quint64, Expected> expected = reference(kTrace, policy, kSizes, 0);
  QCOMPARE(expected.size(), std::size_t(4));
  // The page's measured points: one per size, hit tokens exactly the reference's.
  int seen = 0;
  for (const auto& [size, e] : expected) {
    const SweepPoint* p = page->results().find(policy.toStdString(), 0, size);
    QVERIFY2(p, qPrintable(QStringLiteral("no point at %1 tokens").arg(size)));
    QCOMPARE(quint64(p->result.promptTokens), e.promptTokens);
    QCOMPARE(quint64(p->result.hitTokens), e.hitTokens);
    ++seen;
  }
  QCOMPARE(seen, 4);
  // What the chart draws: (size, 100 x reference hit / prompt) for each size, in size order.
  QLineSeries* line = page->missRatioChart()->curve(policy);
  QVERIFY(line);
  QCOMPARE(line->count(), 4);
  auto it = expected.begin();
  for (int i = 0; i < line->count(); ++i, ++it) {
    QCOMPARE(line->at(i).x(), LogAxisLabels::toAxis(double(it->first)));  // x = log10(tokens)
    QVERIFY(qAbs(line->at(i).y() - 100.0 * double(it->second.hitTokens) / double(it->second.promptTokens)) <
            1e-9);
  }
  // opt is drawn dashed and named by its label; the others solid. A curve identical to an earlier one is
  // named with it ("lfu (= sieve)"): it is drawn underneath.
  QVERIFY(line->name().startsWith(QString::fromStdString(policyLabel(policy.toStdString()))));
  QCOMPARE(line->pen().style(), policy == QLatin1String("opt") ? Qt::DashLine : Qt::SolidLine);
  if (policy == QLatin1String("opt"))
    QVERIFY(line->name().startsWith(QStringLiteral("Belady (farthest next use)")));
  // The cost view draws the same points times the cost model's seconds per token.
  QLineSeries* cost = page->savingsChart()->curve(policy);
  QVERIFY(cost);
  QCOMPARE(cost->count(), 4);
  QVERIFY(page->savingsChart()->chart()->title().contains(QStringLiteral("cost model, h100-sxm")));
}

void TestTunePage::heatmapMatchesReference() {
  KVLAB_REQUIRE_PYTHON3(kvlab::test::executableOrEmpty(QStringLiteral(KVLAB_PYTHON3)));
  TunePage* page = sweptPage();
  TtlHeatmapWidget* heat = page->heatmap();
  QCOMPARE(heat->rows(), 3);     // off, 10 s, 60 s
  QCOMPARE(heat->columns(), 4);  // the four sizes
  const qint64 ttls[] = {0, 10000, 60000};
  for (int r = 0; r < 3; ++r) {
    const std::map<quint64, Expected> expected = reference(kTrace, QStringLiteral("fifo"), kSizes, ttls[r]);
    QCOMPARE(expected.size(), std::size_t(4));
    int c = 0;
    for (const auto& [size, e] : expected) {
      const double want = double(e.hitTokens) / double(e.promptTokens);
      QVERIFY2(
          qAbs(heat->cellValue(r, c) - want) < 1e-12,
          qPrintable(
              QStringLiteral("row %1 col %2: %3 vs %4").arg(r).arg(c).arg(heat->cellValue(r, c)).arg(want)));
      ++c;
    }
  }
}

void TestTunePage::boundAndKnees() {
  KVLAB_REQUIRE_PYTHON3(kvlab::test::executableOrEmpty(QStringLiteral(KVLAB_PYTHON3)));
  TunePage* page = sweptPage();
  // The infinite cache: lru with a size no trace reaches (10^12 tokens) in the reference.
  const std::map<quint64, Expected> unbounded =
      reference(kTrace, QStringLiteral("lru"), QStringLiteral("1000000000000"), 0);
  QCOMPARE(unbounded.size(), std::size_t(1));
  const Expected& e = unbounded.begin()->second;
  QCOMPARE(quint64(page->results().info.unlimited.hitTokens), e.hitTokens);
  QLineSeries* bound = page->missRatioChart()->bound();
  QCOMPARE(bound->count(), 2);
  QVERIFY(qAbs(bound->at(0).y() - 100.0 * double(e.hitTokens) / double(e.promptTokens)) < 1e-9);
  QCOMPARE(bound->at(0).y(), bound->at(1).y());
  // Knees: per policy, the smallest size reaching 90 % of its hit rate at the largest size (from the
  // reference's counts), one ring per policy whose top rate is > 0.
  int wantKnees = 0;
  for (const std::string& policy : replayPolicyNames()) {
    const std::map<quint64, Expected> ref = reference(kTrace, QString::fromStdString(policy), kSizes, 0);
    const double top = double(ref.rbegin()->second.hitTokens) / double(ref.rbegin()->second.promptTokens);
    if (top <= 0) continue;
    ++wantKnees;
    quint64 knee = 0;
    for (const auto& [size, r] : ref)
      if (double(r.hitTokens) / double(r.promptTokens) >= 0.9 * top) {
        knee = size;
        break;
      }
    bool found = false;
    for (const QPointF& p : page->missRatioChart()->knees()->points())
      found =
          found ||
          (p.x() == LogAxisLabels::toAxis(double(knee)) &&
           qAbs(p.y() - 100.0 * double(ref.at(knee).hitTokens) / double(ref.at(knee).promptTokens)) < 1e-9);
    QVERIFY2(found, policy.c_str());
  }
  QCOMPARE(page->missRatioChart()->knees()->count(), wantKnees);
}

void TestTunePage::cancelStops() {
  TunePage page;
  page.setSource(kTrace);
  page.setSizes(QStringLiteral("1024:524288:log40"));
  page.setPolicies(QStringLiteral("all"));
  page.setTtls(QStringLiteral("off,1s,5s,10s,30s,60s"));
  page.setThreads(1);
  QSignalSpy finished(&page, &TunePage::sweepFinished);
  QVERIFY(page.start());
  QVERIFY(page.isRunning());
  page.cancel();  // the worker stops at its next request (or before it starts)
  QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kSweepTimeoutMs);
  QCOMPARE(finished.first().first().toBool(), true);
  QVERIFY(!page.isRunning());
  QVERIFY(page.results().cancelled);
  const std::size_t total = std::size_t(replayPolicyNames().size()) * 40 + 5 * 40;
  QVERIFY(page.results().curves.size() + page.results().heatmap.size() < total);
  // A new sweep after a cancel runs normally.
  page.setSizes(kSizes);
  page.setTtls(QStringLiteral("off"));
  page.setThreads(0);
  QVERIFY(sweep(page));
  QVERIFY(page.results().finished);
  QCOMPARE(page.results().curves.size(), std::size_t(replayPolicyNames().size()) * 4);
}

void TestTunePage::progressFillsIn() {
  // Points reach the page through drains while the sweep runs (pointsAdded before sweepFinished), the
  // progress bar counts configurations, and the first drain's points are already drawn.
  TunePage page;
  page.setSource(kTrace);
  page.setSizes(kSizes);
  page.setPolicies(QStringLiteral("lru,fifo,arc"));
  page.setHeatmapPolicy(QStringLiteral("sieve"));
  page.setTtls(QStringLiteral("off,30s"));
  QSignalSpy added(&page, &TunePage::pointsAdded);
  QSignalSpy finished(&page, &TunePage::sweepFinished);
  int drawnAtFirstDrain = -1;
  connect(&page, &TunePage::pointsAdded, &page, [&] {
    if (drawnAtFirstDrain >= 0) return;
    drawnAtFirstDrain = 0;
    for (const QString& p : {QStringLiteral("lru"), QStringLiteral("fifo"), QStringLiteral("arc")})
      if (QLineSeries* s = page.missRatioChart()->curve(p)) drawnAtFirstDrain += int(s->count());
  });
  QVERIFY(page.start());
  QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kSweepTimeoutMs);
  QVERIFY(!added.isEmpty());
  QVERIFY(drawnAtFirstDrain > 0);
  const int total = 3 * 4 + 2 * 4;  // curves + the heatmap policy at both TTLs (not among the curves)
  QCOMPARE(added.last().at(0).toInt(), total);
  QCOMPARE(added.last().at(1).toInt(), total);
  QCOMPARE(page.progressBar()->maximum(), total);
  QCOMPARE(page.progressBar()->value(), total);
  QCOMPARE(page.heatmap()->rows() * page.heatmap()->columns(), 2 * 4);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 4; ++c) QVERIFY(page.heatmap()->cellValue(r, c) >= 0);
}

void TestTunePage::reportHasTuningSection() {
  // Before any work the report is one page that says so; after a sweep alone it opens with the Tune section
  // (no "No run yet", no empty chart of a Live run that never happened) and no page is empty.
  if (!test::havePdfTools()) QSKIP("poppler-utils (pdftotext, pdfinfo) not installed");
  MainWindow window;
  window.setInteractive(false);
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const QString before = dir.filePath(QStringLiteral("before.pdf"));
  window.exporter().exportPdfReport(before);
  const QStringList empty = test::pdfPageTexts(before);
  QCOMPARE(empty.size(), 1);
  QVERIFY(empty.first().contains(QStringLiteral("Nothing has been run yet")));
  TunePage* tune = window.tunePage();
  tune->setSource(kTrace);
  tune->setSizes(kSizes);
  tune->setPolicies(QStringLiteral("lru,opt"));
  QVERIFY(sweep(*tune));
  const QString after = dir.filePath(QStringLiteral("after.pdf"));
  window.exporter().exportPdfReport(after);
  const QStringList pages = test::pdfPageTexts(after);
  QVERIFY(pages.size() >= 2);
  QVERIFY2(pages.first().contains(QStringLiteral("Tune: which policy, at which size")),
           qPrintable(pages.first()));
  QVERIFY(!pages.join(QString()).contains(QStringLiteral("No Live run yet")));
  for (int i = 0; i < pages.size(); ++i)
    QVERIFY2(pages[i].simplified().size() > 20, qPrintable(QStringLiteral("page %1 is empty").arg(i + 1)));
  QVERIFY(tune->reportHtml().contains(QStringLiteral("Tuning")));
  QVERIFY(tune->reportHtml().contains(QStringLiteral("Belady (farthest next use)")));
  QVERIFY(tune->reportHtml().contains(QStringLiteral("cost model, h100-sxm")));
}

void TestTunePage::clickOpensLive() {
  MainWindow window;
  window.setInteractive(false);
  window.show();
  QVERIFY(QTest::qWaitForWindowExposed(&window));
  TunePage* tune = window.tunePage();
  QVERIFY(tune);
  QVERIFY(window.showPage(QStringLiteral("tune")));
  QCOMPARE(window.pages()->currentWidget(), tune);
  tune->setSource(kTrace);
  tune->setSizes(kSizes);
  tune->setPolicies(QStringLiteral("lru,sieve,opt"));
  tune->setHeatmapPolicy(QStringLiteral("lru"));
  tune->setTtls(QStringLiteral("off,60s"));
  QVERIFY(sweep(*tune));
  const ModelConfig* model = findModelPreset("llama-3-8b");
  QVERIFY(model);

  // Click near the third point of the sieve curve: the nearest swept size opens in the Live view.
  QLineSeries* sieve = tune->missRatioChart()->curve(QStringLiteral("sieve"));
  QVERIFY(sieve);
  Q_EMIT sieve->clicked(QPointF(LogAxisLabels::toAxis(131072.0 * 1.1), sieve->at(2).y()));
  QCOMPARE(window.pages()->currentIndex(), 0);
  RunSettings s = window.controlPanel()->settings();
  QCOMPARE(QString::fromStdString(s.scenario), kTrace);
  QCOMPARE(*s.policy, std::string("sieve"));
  QCOMPARE(*s.blockSize, 512u);
  QVERIFY(*s.granularity == Granularity::Block);
  QCOMPARE(*s.maxBytes, Bytes(131072) * kvBytesPerToken(*model));
  QCOMPARE(*s.ttlMs, TimeMs(0));
  QCOMPARE(*s.model, std::string("llama-3-8b"));

  // A heatmap cell: TTL 60 s at 32768 tokens (row 1, column 1), clicked with the mouse.
  QVERIFY(window.showPage(QStringLiteral("tune")));
  TtlHeatmapWidget* heat = tune->heatmap();
  QVERIFY(heat->isVisible());
  QPoint target(-1, -1);
  for (int y = 0; y < heat->height() && target.x() < 0; y += 2)
    for (int x = 0; x < heat->width(); x += 2)
      if (heat->cellAt(QRectF(heat->rect()), QPointF(x, y)) == QPoint(1, 1)) {
        target = QPoint(x + 3, y + 3);
        break;
      }
  QVERIFY(target.x() >= 0);
  QTest::mouseClick(heat, Qt::LeftButton, {}, target);
  QCOMPARE(window.pages()->currentIndex(), 0);
  s = window.controlPanel()->settings();
  QCOMPARE(*s.policy, std::string("lru"));
  QCOMPARE(*s.ttlMs, TimeMs(60000));
  QCOMPARE(*s.maxBytes, Bytes(32768) * kvBytesPerToken(*model));

  // Belady cannot run live: the page says so and stays.
  QVERIFY(window.showPage(QStringLiteral("tune")));
  QLineSeries* opt = tune->missRatioChart()->curve(QStringLiteral("opt"));
  QVERIFY(opt);
  Q_EMIT opt->clicked(opt->at(0));
  QCOMPARE(window.pages()->currentWidget(), tune);
  QVERIFY(tune->statusText().contains(QStringLiteral("Belady")));
}

void TestTunePage::scenarioSource() {
  KVLAB_REQUIRE_PYTHON3(kvlab::test::executableOrEmpty(QStringLiteral(KVLAB_PYTHON3)));
  // A scenario is turned into its token-block stream (no model run); the sweep of the page must equal the
  // reference replay of that same stream written out as a trace.
  const QString scenarioPath = QStringLiteral(KVLAB_TEST_DATA_DIR "/tiny-chat.json");
  const ScenarioSpec spec = loadScenarioFile(scenarioPath.toStdString());
  const std::uint32_t block = spec.cache.blockSize;
  const std::vector<TraceRequest> requests = scenarioToTrace(spec, block, 128);
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const QString tracePath = dir.filePath(QStringLiteral("tiny-chat.jsonl"));
  {
    QFile f(tracePath);
    QVERIFY(f.open(QIODevice::WriteOnly));
    for (const TraceRequest& r : requests) {
      QStringList ids;
      for (const std::uint64_t id : r.hashIds) ids << QString::number(id);
      f.write(QStringLiteral(
                  "{\"timestamp\": %1, \"input_length\": %2, \"output_length\": %3, \"hash_ids\": [%4]}\n")
                  .arg(r.timestampMs)
                  .arg(r.inputLength)
                  .arg(r.outputLength)
                  .arg(ids.join(QStringLiteral(", ")))
                  .toUtf8());
    }
  }
  TunePage page;
  page.setSource(scenarioPath);
  page.setPolicies(QStringLiteral("lru,fifo"));
  page.setTtls(QStringLiteral("off"));
  QVERIFY(sweep(page));
  const TuneResults& r = page.results();
  QVERIFY(r.finished);
  QVERIFY(!r.info.trace);
  QCOMPARE(r.info.blockSize, block);
  QCOMPARE(r.model, spec.model);  // the scenario's own model, as the Live view uses
  QVERIFY(!r.info.sizes.empty());
  QStringList sizes;
  for (const std::uint64_t s : r.info.sizes) sizes << QString::number(s);
  for (const QString& policy : {QStringLiteral("lru"), QStringLiteral("fifo")}) {
    const std::map<quint64, Expected> expected =
        reference(tracePath, policy, sizes.join(QLatin1Char(',')), 0, int(block));
    QCOMPARE(expected.size(), r.info.sizes.size());
    for (const auto& [size, e] : expected) {
      const SweepPoint* p = r.find(policy.toStdString(), 0, size);
      QVERIFY(p);
      QCOMPARE(quint64(p->result.hitTokens), e.hitTokens);
    }
  }
}

void TestTunePage::exportsWriteFiles() {
  TunePage* page = sweptPage();
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const QStringList files = page->exportAll(dir.path());
  QCOMPARE(files.size(), 7);  // 3 charts x PNG/SVG + the CSV
  for (const QString& f : files) QVERIFY2(QFileInfo(f).size() > 0, qPrintable(f));
  QFile csv(dir.filePath(QStringLiteral("tune-sweep.csv")));
  QVERIFY(csv.open(QIODevice::ReadOnly));
  const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
  // Header + curves + heatmap rows + the infinite cache.
  QCOMPARE(std::size_t(lines.size()), 1 + page->results().curves.size() + page->results().heatmap.size() + 1);
  QVERIFY(lines.first().contains("prefill_s_saved_per_hour_cost_model_h100-sxm"));
}

void TestTunePage::badInputNamesTheField_data() {
  QTest::addColumn<QString>("source");
  QTest::addColumn<QString>("sizes");
  QTest::addColumn<QString>("policies");
  QTest::addColumn<QString>("ttls");
  QTest::addColumn<QString>("needle");
  QTest::newRow("sizes") << kTrace << QStringLiteral("12x") << QStringLiteral("all") << QStringLiteral("off")
                         << QStringLiteral("sizes");
  QTest::newRow("policy") << kTrace << QString() << QStringLiteral("lru,nope") << QStringLiteral("off")
                          << QStringLiteral("nope");
  QTest::newRow("ttl") << kTrace << QString() << QStringLiteral("lru") << QStringLiteral("5 parsecs")
                       << QStringLiteral("TTLs");
  QTest::newRow("missing trace") << QStringLiteral("/nonexistent/trace.jsonl") << QString()
                                 << QStringLiteral("lru") << QStringLiteral("off")
                                 << QStringLiteral("/nonexistent/trace.jsonl");
  QTest::newRow("malformed trace") << QStringLiteral(KVLAB_TEST_DATA_DIR "/tune_malformed.jsonl") << QString()
                                   << QStringLiteral("lru") << QStringLiteral("off")
                                   << QStringLiteral("tune_malformed.jsonl");
}

void TestTunePage::badInputNamesTheField() {
  QFETCH(QString, source);
  QFETCH(QString, sizes);
  QFETCH(QString, policies);
  QFETCH(QString, ttls);
  QFETCH(QString, needle);
  TunePage page;
  page.setSource(source);
  page.setSizes(sizes);
  page.setPolicies(policies);
  page.setTtls(ttls);
  QSignalSpy failed(&page, &TunePage::sweepFailed);
  page.start();  // a field error fails at once; a bad file fails in the worker
  QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kSweepTimeoutMs);
  QVERIFY2(failed.first().first().toString().contains(needle), qPrintable(failed.first().first().toString()));
  QVERIFY(!page.isRunning());
}

KVLAB_TEST_MAIN(TestTunePage)
#include "tst_tune_page.moc"
