// SPDX-License-Identifier: MIT
#include "ui/live_page.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QVBoxLayout>

#include "ui/bound_calculator.h"
#include "ui/control_panel.h"
#include "ui/decode_lesson_chart.h"
#include "ui/event_log_model.h"
#include "ui/eviction_chart.h"
#include "ui/headline_banner.h"
#include "ui/hit_rate_chart.h"
#include "ui/layer_occupancy_chart.h"
#include "ui/live_headline.h"
#include "ui/memory_chart.h"
#include "ui/report_document.h"
#include "ui/report_exporter.h"
#include "ui/request_view.h"
#include "ui/run_controller.h"
#include "ui/run_history.h"
#include "ui/speedup_chart.h"
#include "ui/tier_chart.h"

namespace kvlab {

LivePage::LivePage(RunController* controller, RunHistory* history, ControlPanel* controls,
                   const EventLogModel* events, QWidget* parent)
    : PageWidget(QStringLiteral("live"), parent),
      m_controller(controller),
      m_history(history),
      m_controls(controls) {
  // The five charts and the request view, 2 columns x 3 rows (a run with tiers adds the tier chart: 3
  // columns); for a decode run, the decode lesson instead of the five (they are about the shared prefix
  // cache, which decoding does not use).
  m_charts = {new HitRateChart(history),        new SpeedupChart(history),  new MemoryChart(history),
              new LayerOccupancyChart(history), new EvictionChart(history), new TierChart(history),
              new DecodeLessonChart(history)};
  for (ChartPanel* chart : std::as_const(m_charts)) {
    chart->setObjectName(chart->fileStem() + QStringLiteral("Chart"));
    addSlide(chart, chart->title());
  }
  m_request = new RequestView(history);
  m_request->setObjectName(QStringLiteral("requestView"));
  m_requestBox = new QGroupBox(tr("Current request: what the cache saved"));
  auto* requestLayout = new QVBoxLayout(m_requestBox);
  requestLayout->setContentsMargins(2, 2, 2, 2);
  requestLayout->addWidget(m_request);
  auto* body = new QWidget;
  m_grid = new QGridLayout(body);
  m_grid->setContentsMargins(0, 0, 0, 0);
  m_grid->setSpacing(6);
  setParts(nullptr, body);
  layoutGrid();

  QList<const ChartPanel*> exported;
  for (ChartPanel* c : std::as_const(m_charts)) exported.append(c);
  m_exporter = std::make_unique<ReportExporter>(history, exported, events);
  m_boundCalculator = new BoundCalculator(this);
  connect(m_boundCalculator, &BoundCalculator::boundReady, this, [this](const QString& key, double rate) {
    if (key != m_boundKey) return;
    m_bound = rate;
    static_cast<HitRateChart*>(m_charts[0])->setBound(rate);
    updateHeadline();
    finishWhenBoundKnown();
  });
  connect(m_boundCalculator, &BoundCalculator::boundFailed, this, [this](const QString& key) {
    if (key != m_boundKey) return;
    m_boundKey.clear();
    finishWhenBoundKnown();
  });

  connect(history, &RunHistory::runStarted, this, [this] {
    m_finishPending.reset();
    layoutGrid();
    requestBound();
    updateHeadline();
  });
  connect(history, &RunHistory::cleared, this, [this] {
    layoutGrid();
    requestBound();
    updateHeadline();
  });
  connect(history, &RunHistory::updated, this, &LivePage::updateHeadline);
  connect(history, &RunHistory::runFinished, this, &LivePage::updateHeadline);
  connect(controller, &RunController::runEnded, this, [this](int runId) {
    if (runId != m_controller->currentRunId()) return;
    const RunTrack* run = m_history->current();
    m_finishPending = run && run->error.isEmpty() && run->summary && !run->summary->cancelled &&
                      run->summary->error.empty();
    finishWhenBoundKnown();
  });
  updateHeadline();
}

LivePage::~LivePage() = default;

void LivePage::setReportedPages(QList<const PageWidget*> pages) { m_exporter->setPages(std::move(pages)); }

void LivePage::setTypeScale(const TypeScale& scale) {
  PageWidget::setTypeScale(scale);
  m_request->setTypeScale(scale);
  m_requestBox->setFont(scale.font(TextRole::Body, m_requestBox->font()));
}

void LivePage::runPage() { m_controls->run(); }

bool LivePage::isBusy() const { return m_controller->isActive(); }

bool LivePage::hasResults() const {
  const RunTrack* run = m_history->current();
  return run && (!run->points.empty() || !run->decodeSteps.empty() || run->summary);
}

void LivePage::appendReport(ReportDocument& report) const {
  report.section(tr("Live run"), headline()->headline(), headline()->detail());
  m_exporter->appendLiveSection(report, m_controls->scenarioDescription());
}

QStringList LivePage::exportFiles(const QDir& dir) const { return m_exporter->exportLiveFiles(dir.path()); }

bool LivePage::slideApplies(int index) const {
  return index >= 0 && index < m_charts.size() && m_charts[index]->appliesTo(m_history->current());
}

void LivePage::presentSlides(bool, int) { layoutGrid(); }

// The page's work ends with the run and its bound: the headline, a screenshot and the report then say
// how far the run is from the infinite cache (a trace's bound can come after the run's last request).
void LivePage::finishWhenBoundKnown() {
  if (!m_finishPending || (!m_boundKey.isEmpty() && !m_bound)) return;
  const bool ok = *m_finishPending;
  m_finishPending.reset();
  Q_EMIT workFinished(ok);
}

void LivePage::requestBound() {
  m_bound.reset();
  static_cast<HitRateChart*>(m_charts[0])->setBound(std::nullopt);
  const RunTrack* run = m_history->current();
  // The bound replays the scenario cut into byte tokens: a run with a real tokenizer cuts other blocks.
  if (!run || run->info.granularity != Granularity::Block || run->info.scenarioKind == "decode" ||
      (!run->info.simulated && run->info.tokenizer != "bytes")) {
    m_boundKey.clear();
    return;
  }
  BoundRequest request;
  request.key = QStringLiteral("%1:%2").arg(run->runId).arg(QString::fromStdString(run->info.scenarioName));
  request.source = m_controller->currentSettings().scenario;
  request.scenarioDir = m_controller->currentSettings().scenarioDir;
  request.blockSize = run->info.blockSize;
  if (!run->info.simulated) request.seed = run->info.scenarioSeed;
  m_boundKey = request.key;
  m_boundCalculator->request(request);
}

void LivePage::updateHeadline() {
  const LiveHeadlineText text = LiveHeadline::compose(m_history->current(), m_bound);
  headline()->setText(text.headline, text.detail);
}

void LivePage::layoutGrid() {
  while (m_grid->count() > 0) m_grid->takeAt(0);  // widgets stay; only the layout items go
  for (int r = 0; r < 3; ++r) m_grid->setRowStretch(r, 0);
  for (int c = 0; c < 3; ++c) m_grid->setColumnStretch(c, 0);
  const RunTrack* run = m_history->current();
  QList<ChartPanel*> shown;  // the charts that mean something for the current run
  for (ChartPanel* chart : std::as_const(m_charts)) {
    chart->setVisible(false);
    if (chart->appliesTo(run)) shown.append(chart);
  }
  // The decode lesson alone: its chart fills the page. The request view is left out: it shows what the
  // shared prefix cache saved, and a decoded prompt's prefill is the same work both ways.
  const bool lessonOnly = shown.size() == 1;
  m_requestBox->setVisible(!lessonOnly);
  for (ChartPanel* chart : std::as_const(m_charts)) chart->setCompact(false);
  if (presentation()) {
    int current = currentSlide();
    if (!slideApplies(current)) {
      current = int(m_charts.indexOf(shown.first()));
      setCurrentSlide(current);
    }
    m_charts[current]->setVisible(true);
    m_grid->addWidget(m_charts[current], 0, 0);
    if (!lessonOnly) m_grid->addWidget(m_requestBox, 0, 1);
    m_grid->setRowStretch(0, 1);
    m_grid->setColumnStretch(0, 3);
    m_grid->setColumnStretch(1, lessonOnly ? 0 : 2);
    updateHint();
    return;
  }
  if (lessonOnly) {
    shown.first()->setVisible(true);
    m_grid->addWidget(shown.first(), 0, 0, 3, 2);
    for (int r = 0; r < 3; ++r) m_grid->setRowStretch(r, 1);
    for (int c = 0; c < 2; ++c) m_grid->setColumnStretch(c, 1);
    return;
  }
  // Normal: the five charts and the request view, 2 columns x 3 rows. Six charts (a run with tiers):
  // 3 columns; the sixth (the tier chart, two stacked plots) takes the right column's two lower cells and
  // the request view the other two.
  const int columns = shown.size() > 5 ? 3 : 2;
  for (qsizetype i = 0; i < shown.size(); ++i) {
    shown[i]->setVisible(true);
    shown[i]->setCompact(columns ==
                         3);  // three columns: explanations in the tooltips, the charts get the room
    if (columns == 3 && i == 5)
      m_grid->addWidget(shown[i], 1, 2, 2, 1);
    else
      m_grid->addWidget(shown[i], int(i / columns), int(i % columns));
  }
  if (columns == 2)
    m_grid->addWidget(m_requestBox, 2, 1);
  else
    m_grid->addWidget(m_requestBox, 2, 0, 1, 2);
  for (int r = 0; r < 3; ++r) m_grid->setRowStretch(r, 1);
  for (int c = 0; c < columns; ++c) m_grid->setColumnStretch(c, 1);
}

}  // namespace kvlab
