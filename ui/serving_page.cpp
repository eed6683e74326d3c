// SPDX-License-Identifier: MIT
#include "ui/serving_page.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QScatterSeries>
#include <QSpinBox>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>

#include "core/arch/model_config.h"
#include "core/arch/model_loader.h"
#include "core/arch/model_presets.h"
#include "core/hardware/hardware_profile.h"
#include "core/policies/policy_registry.h"
#include "core/serving/serving_simulator.h"
#include "core/workload/scenario.h"
#include "ui/chart_palette.h"
#include "ui/trace_drop_filter.h"
#include "ui/trace_file_dialog.h"

namespace kvlab {

namespace {

constexpr int kDrainMs = 40;      // coalesce redraws: at most ~25 a second
constexpr int kRestartMs = 250;   // a control change restarts the run after this quiet time
constexpr int kTimeBuckets = 40;  // TTFT/TPOT percentiles: completions grouped in this many time windows

QComboBox* comboOf(const std::vector<std::string>& names, const std::string& current) {
  auto* box = new QComboBox;
  for (const std::string& n : names) box->addItem(QString::fromStdString(n));
  box->setCurrentText(QString::fromStdString(current));
  return box;
}

QSpinBox* spin(int min, int max, int value, const QString& special = {}) {
  auto* s = new QSpinBox;
  s->setRange(min, max);
  s->setValue(value);
  if (!special.isEmpty()) s->setSpecialValueText(special);
  return s;
}

QChart* newChart(const QString& title, QWidget* area, QGridLayout* grid, int row, int col) {
  auto* chart = new QChart;
  chart->setTitle(title);
  chart->setAnimationOptions(QChart::NoAnimation);
  chart->legend()->setAlignment(Qt::AlignBottom);
  auto* view = new QChartView(chart, area);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumSize(320, 220);
  grid->addWidget(view, row, col);
  return chart;
}

QValueAxis* axis(QChart* chart, Qt::Alignment side, const QString& title) {
  auto* a = new QValueAxis;
  a->setTitleText(title);
  a->setLabelFormat(QStringLiteral("%.4g"));
  chart->addAxis(a, side);
  return a;
}

QLineSeries* line(QChart* chart, const QString& name, const QColor& color, QValueAxis* x, QValueAxis* y) {
  auto* s = new QLineSeries;
  s->setName(name);
  s->setPen(QPen(color, 2));
  chart->addSeries(s);
  s->attachAxis(x);
  s->attachAxis(y);
  return s;
}

void setRange(QValueAxis* a, double max) {
  a->setRange(0, max > 0 ? max : 1);
  a->applyNiceNumbers();
}

}  // namespace

ServingPage::ServingPage(QWidget* parent) : QWidget(parent) {
  // Controls: one row of engine settings above the charts.
  m_input = new QComboBox;
  m_input->setEditable(true);
  for (const std::string& n : bundledScenarioNames()) m_input->addItem(QString::fromStdString(n));
  m_input->setCurrentText(QStringLiteral("multi-turn-chat"));
  m_input->setToolTip(tr("A bundled scenario, a scenario .json file or a trace of any supported format (a "
                          "file, or a folder: drop it here); length-only traces run without prefix reuse"));
  auto* browse = new QPushButton(tr("Open trace…"));
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString path = askForTrace(this, tr("Open a trace"), {}, /*withScenarios=*/true);
    if (!path.isEmpty()) setInput(path);
  });
  connect(new TraceDropFilter(this), &TraceDropFilter::dropped, this, &ServingPage::setInput);
  std::vector<std::string> models;
  for (const ModelConfig& m : modelPresets()) models.push_back(m.name);
  m_model = comboOf(models, "llama-3-8b");
  m_hardware = comboOf(hardwareProfileNames(), std::string(defaultHardwareProfileName()));
  m_policy = comboOf(policyNames(), "lru");
  m_poolBlocks = spin(0, 100000000, 0, tr("auto (90% of memory − weights)"));
  m_poolBlocks->setToolTip(
      tr("KV pool size in blocks; auto = 90% of the hardware's memory minus the weights"));
  m_maxBatched = spin(1, 1 << 20, 8192);
  m_maxRunning = spin(1, 1 << 16, 256);
  m_outputTokens = spin(0, 1 << 16, 0, tr("from the scenario"));
  m_outputTokens->setToolTip(
      tr("Output tokens of every request of a scenario; \"from the scenario\" = its "
         "output_tokens (traces carry their own)"));
  m_speed = new QDoubleSpinBox;
  m_speed->setRange(0.01, 1000);
  m_speed->setDecimals(2);
  m_speed->setValue(1);
  m_speed->setToolTip(tr("Arrival times are divided by this: 2 = twice the load"));
  m_prefixCache = new QCheckBox(tr("Prefix caching"));
  m_prefixCache->setChecked(true);
  m_runButton = new QPushButton(tr("Simulate"));
  m_stopButton = new QPushButton(tr("Stop"));
  m_stopButton->setEnabled(false);
  connect(m_runButton, &QPushButton::clicked, this, &ServingPage::start);
  connect(m_stopButton, &QPushButton::clicked, this, &ServingPage::stop);

  auto* controls = new QGridLayout;
  const auto add = [&](int row, int col, const QString& label, QWidget* w) {
    controls->addWidget(new QLabel(label), row, col * 2);
    controls->addWidget(w, row, col * 2 + 1);
  };
  add(0, 0, tr("Input"), m_input);
  controls->addWidget(browse, 0, 2);
  add(0, 2, tr("Model"), m_model);
  add(0, 3, tr("Hardware"), m_hardware);
  add(0, 4, tr("Policy"), m_policy);
  add(1, 0, tr("Pool blocks"), m_poolBlocks);
  add(1, 1, tr("Max batched tokens"), m_maxBatched);
  add(1, 2, tr("Max running"), m_maxRunning);
  add(1, 3, tr("Output tokens"), m_outputTokens);
  add(1, 4, tr("Speed"), m_speed);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_prefixCache);
  buttons->addWidget(m_runButton);
  buttons->addWidget(m_stopButton);
  controls->addLayout(buttons, 0, 10, 2, 1);

  m_status =
      new QLabel(tr("Press Simulate. Every time on this page comes from a cost model (docs/serving.md), "
                    "not from running a model."));
  m_status->setWordWrap(true);
  m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // wrap instead of widening the page
  m_status->setMinimumHeight(m_status->fontMetrics().lineSpacing() * 3);
  m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* chartArea = new QWidget;
  buildCharts(chartArea);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(m_status);
  layout->addWidget(chartArea, 1);

  // Live controls: while a run is shown, a change restarts it after a short quiet time.
  m_restartTimer = new QTimer(this);
  m_restartTimer->setSingleShot(true);
  m_restartTimer->setInterval(kRestartMs);
  connect(m_restartTimer, &QTimer::timeout, this, &ServingPage::start);
  for (QComboBox* c : {m_model, m_hardware, m_policy})
    connect(c, &QComboBox::currentTextChanged, this, &ServingPage::scheduleRestart);
  for (QSpinBox* s : {m_poolBlocks, m_maxBatched, m_maxRunning, m_outputTokens})
    connect(s, &QSpinBox::valueChanged, this, &ServingPage::scheduleRestart);
  connect(m_speed, &QDoubleSpinBox::valueChanged, this, &ServingPage::scheduleRestart);
  connect(m_prefixCache, &QCheckBox::toggled, this, &ServingPage::scheduleRestart);

  // The worker thread and the coalescing drain timer.
  m_drainTimer = new QTimer(this);
  m_drainTimer->setSingleShot(true);
  m_drainTimer->setInterval(kDrainMs);
  connect(m_drainTimer, &QTimer::timeout, this, &ServingPage::drain);
  m_thread = new QThread(this);
  m_thread->setObjectName(QStringLiteral("serving-worker"));
  m_worker = new ServingWorker;
  m_worker->moveToThread(m_thread);
  connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  connect(m_worker, &ServingWorker::dataAvailable, this, [this] {
    if (!m_drainTimer->isActive()) m_drainTimer->start();
  });
  m_thread->start();
}

ServingPage::~ServingPage() {
  m_worker->setWantedRun(-1);  // the running simulation stops at its next step
  m_thread->quit();
  m_thread->wait();
}

void ServingPage::buildCharts(QWidget* area) {
  auto* grid = new QGridLayout(area);
  grid->setContentsMargins(0, 0, 0, 0);
  const QString time = tr("simulated time (s)");

  m_queueChart = newChart(tr("Queue and running batch"), area, grid, 0, 0);
  m_queueX = axis(m_queueChart, Qt::AlignBottom, time);
  m_queueY = axis(m_queueChart, Qt::AlignLeft, tr("requests"));
  m_queueY->setLabelFormat(QStringLiteral("%.0f"));
  m_preemptY = axis(m_queueChart, Qt::AlignRight, tr("preemptions per interval"));
  m_waiting = line(m_queueChart, tr("waiting"), ChartPalette::maxSize(), m_queueX, m_queueY);
  m_runningSeries = line(m_queueChart, tr("running"), ChartPalette::used(), m_queueX, m_queueY);
  m_preemptions = new QScatterSeries;
  m_preemptions->setName(tr("preemptions"));
  m_preemptions->setColor(Qt::black);  // events, distinct from both lines
  m_preemptions->setMarkerSize(7);
  m_queueChart->addSeries(m_preemptions);
  m_preemptions->attachAxis(m_queueX);
  m_preemptions->attachAxis(m_preemptY);

  m_poolChart = newChart(tr("KV pool: running / cached-free / free blocks"), area, grid, 0, 1);
  m_poolX = axis(m_poolChart, Qt::AlignBottom, time);
  m_poolY = axis(m_poolChart, Qt::AlignLeft, tr("blocks"));
  m_poolY->setLabelFormat(QStringLiteral("%.0f"));
  m_poolZero = new QLineSeries(this);
  m_poolUsed = new QLineSeries(this);
  m_poolCached = new QLineSeries(this);
  m_poolTotal = new QLineSeries(this);
  const auto area3 = [&](QLineSeries* upper, QLineSeries* lower, const QString& name, const QColor& color) {
    auto* a = new QAreaSeries(upper, lower);
    a->setName(name);
    a->setColor(color);
    a->setBorderColor(color);
    m_poolChart->addSeries(a);
    a->attachAxis(m_poolX);
    a->attachAxis(m_poolY);
  };
  area3(m_poolUsed, m_poolZero, tr("in use by running sequences"), ChartPalette::used());
  area3(m_poolCached, m_poolUsed, tr("cached-free (evictable, can hit)"), ChartPalette::hit());
  area3(m_poolTotal, m_poolCached, tr("free"), ChartPalette::faded(ChartPalette::entries()));

  m_ttftChart = newChart(tr("TTFT percentiles of requests finishing over time"), area, grid, 1, 0);
  m_ttftX = axis(m_ttftChart, Qt::AlignBottom, time);
  m_ttftY = axis(m_ttftChart, Qt::AlignLeft, tr("TTFT (s, cost model)"));
  m_ttftP50 = line(m_ttftChart, tr("p50"), ChartPalette::cached(), m_ttftX, m_ttftY);
  m_ttftP90 = line(m_ttftChart, tr("p90"), ChartPalette::uncached(), m_ttftX, m_ttftY);

  m_tpotChart = newChart(tr("TPOT percentiles of requests finishing over time"), area, grid, 1, 1);
  m_tpotX = axis(m_tpotChart, Qt::AlignBottom, time);
  m_tpotY = axis(m_tpotChart, Qt::AlignLeft, tr("TPOT (ms, cost model)"));
  m_tpotP50 = line(m_tpotChart, tr("p50"), ChartPalette::cached(), m_tpotX, m_tpotY);
  m_tpotP90 = line(m_tpotChart, tr("p90"), ChartPalette::uncached(), m_tpotX, m_tpotY);
}

void ServingPage::setInput(const QString& input) { m_input->setCurrentText(input); }

ServingJob ServingPage::jobFromControls() const {
  ServingJob job;
  job.input = m_input->currentText().trimmed().toStdString();
  job.outputTokens = std::uint32_t(m_outputTokens->value());
  job.poolBlocks = std::uint64_t(m_poolBlocks->value());
  ServingConfig& c = job.config;
  try {  // a preset, or a config.json / model directory
    c.model = loadModel(m_model->currentText().toStdString());
  } catch (const std::exception&) {
  }
  if (const HardwareProfile* h = findHardwareProfile(m_hardware->currentText().toStdString()))
    c.hardware = *h;
  c.policy = m_policy->currentText().toStdString();
  c.prefixCache = m_prefixCache->isChecked();
  c.maxBatchedTokens = std::uint32_t(m_maxBatched->value());
  c.maxRunning = std::uint32_t(m_maxRunning->value());
  c.speed = m_speed->value();
  return job;
}

void ServingPage::start() {
  m_restartTimer->stop();
  const ServingJob job = jobFromControls();
  const int runId = ++m_runId;
  m_worker->setWantedRun(runId);  // a stale run stops at its next step
  resetData();
  m_running = m_hasRun = true;
  m_runButton->setEnabled(false);
  m_stopButton->setEnabled(true);
  m_status->setText(tr("Simulating %1… (cost model)").arg(QString::fromStdString(job.input)));
  ServingWorker* worker = m_worker;
  QMetaObject::invokeMethod(
      worker, [worker, job, runId] { worker->run(job, runId); }, Qt::QueuedConnection);
}

void ServingPage::stop() {
  m_worker->setWantedRun(-1);
  ++m_runId;  // drop anything still buffered for the stopped run
  m_running = false;
  m_runButton->setEnabled(true);
  m_stopButton->setEnabled(false);
  m_status->setText(m_status->text() + tr(" — stopped"));
}

void ServingPage::scheduleRestart() {
  if (m_hasRun) m_restartTimer->start();
}

void ServingPage::resetData() {
  m_points.clear();
  m_done.clear();
  m_summary = {};
  m_requests = 0;
  m_wallS = 0;
}

void ServingPage::drain() {
  bool finished = false;
  QString error;
  for (ServingBatch& b : m_worker->take()) {
    if (b.runId != m_runId) continue;  // a superseded or stopped run
    if (b.started) {
      m_config = b.config;
      m_requests = b.requests;
    }
    m_points.insert(m_points.end(), b.points.begin(), b.points.end());
    for (ServingRequestResult& r : b.done)
      if (r.completed) m_done.push_back(std::move(r));
    if (b.finished) {
      finished = true;
      m_summary = b.summary;
      m_wallS = b.wallS;
    }
    if (!b.error.isEmpty()) error = b.error;
  }
  redraw();
  if (!error.isEmpty() || finished) {
    m_running = false;
    m_runButton->setEnabled(true);
    m_stopButton->setEnabled(false);
  }
  if (!error.isEmpty()) {
    m_status->setText(tr("Could not simulate: %1").arg(error));
    Q_EMIT runFailed(error);
  } else if (finished) {
    Q_EMIT runFinished();
  }
}

void ServingPage::redraw() {
  const QString label =
      QStringLiteral("cost model: %1 on %2")
          .arg(QString::fromStdString(m_config.model.name), QString::fromStdString(m_config.hardware.name));
  const double maxT = m_points.empty() ? 1.0 : std::max(m_points.back().timeS, 1e-3);
  QList<QPointF> waiting, running, preempt, zero, used, cached, total;
  double maxQueue = 1, maxPreempt = 1;
  std::uint64_t lastPreemptions = 0;
  for (const ServingTimelinePoint& p : m_points) {
    waiting.append({p.timeS, double(p.waiting)});
    running.append({p.timeS, double(p.running)});
    maxQueue = std::max({maxQueue, double(p.waiting), double(p.running)});
    if (p.preemptions > lastPreemptions) {
      preempt.append({p.timeS, double(p.preemptions - lastPreemptions)});
      maxPreempt = std::max(maxPreempt, double(p.preemptions - lastPreemptions));
    }
    lastPreemptions = p.preemptions;
    zero.append({p.timeS, 0});
    used.append({p.timeS, double(p.usedBlocks)});
    cached.append({p.timeS, double(p.usedBlocks + p.cachedFreeBlocks)});
    total.append({p.timeS, double(p.usedBlocks + p.cachedFreeBlocks + p.freeBlocks)});
  }
  m_waiting->replace(waiting);
  m_runningSeries->replace(running);
  m_preemptions->replace(preempt);
  m_poolZero->replace(zero);
  m_poolUsed->replace(used);
  m_poolCached->replace(cached);
  m_poolTotal->replace(total);
  for (QValueAxis* x : {m_queueX, m_poolX, m_ttftX, m_tpotX}) {
    setRange(x, maxT);
    x->setLabelFormat(maxT >= 10 ? QStringLiteral("%.0f") : QStringLiteral("%.2f"));
    x->setTitleText(tr("simulated time (s, %1)").arg(label));
  }
  setRange(m_queueY, maxQueue);
  setRange(m_preemptY, maxPreempt);
  m_poolY->setRange(0, std::max(1.0, double(m_config.poolBlocks)));  // exactly the pool

  // Percentiles of the requests completing in each of kTimeBuckets windows, drawn at the window's end.
  std::vector<std::vector<double>> ttft(kTimeBuckets), tpot(kTimeBuckets);
  for (const ServingRequestResult& r : m_done) {
    const int b = std::min(kTimeBuckets - 1, int(r.finishS / maxT * kTimeBuckets));
    ttft[std::size_t(b)].push_back(r.ttftMs() / 1e3);
    if (r.tpotMs() >= 0) tpot[std::size_t(b)].push_back(r.tpotMs());
  }
  QList<QPointF> t50, t90, p50, p90;
  double maxTtft = 0, maxTpot = 0;
  for (int b = 0; b < kTimeBuckets; ++b) {
    const double x = maxT * (b + 1) / kTimeBuckets;
    if (!ttft[std::size_t(b)].empty()) {
      t50.append({x, nearestRankPercentile(ttft[std::size_t(b)], 50)});
      t90.append({x, nearestRankPercentile(ttft[std::size_t(b)], 90)});
      maxTtft = std::max(maxTtft, t90.back().y());
    }
    if (!tpot[std::size_t(b)].empty()) {
      p50.append({x, nearestRankPercentile(tpot[std::size_t(b)], 50)});
      p90.append({x, nearestRankPercentile(tpot[std::size_t(b)], 90)});
      maxTpot = std::max(maxTpot, p90.back().y());
    }
  }
  m_ttftP50->replace(t50);
  m_ttftP90->replace(t90);
  m_tpotP50->replace(p50);
  m_tpotP90->replace(p90);
  setRange(m_ttftY, maxTtft);
  setRange(m_tpotY, maxTpot);

  const ServingTimelinePoint last = m_points.empty() ? ServingTimelinePoint{} : m_points.back();
  if (m_summary.requests > 0) {
    const ServingSummary& s = m_summary;
    m_status->setText(
        tr("%1 requests: %2 completed, %3 rejected · TTFT p50 %4 s, p90 %5 s, p99 %6 s · TPOT p50 %7 ms · "
           "throughput %8 tokens/s · token hit rate %9 % · %10 preemptions · peak %11 of %12 blocks · "
           "mean waiting %13\nsimulated duration %14 s (%15: times are simulated, not measured) · computed "
           "here in %16 s (measured)")
            .arg(s.requests)
            .arg(s.completed)
            .arg(s.rejected)
            .arg(s.ttftMsP50 / 1e3, 0, 'f', 2)
            .arg(s.ttftMsP90 / 1e3, 0, 'f', 2)
            .arg(s.ttftMsP99 / 1e3, 0, 'f', 2)
            .arg(s.tpotMsP50, 0, 'f', 1)
            .arg(s.throughputTokensPerS, 0, 'f', 0)
            .arg(100 * s.tokenHitRate, 0, 'f', 1)
            .arg(s.preemptions)
            .arg(s.poolPeakBlocks)
            .arg(s.poolBlocks)
            .arg(s.meanWaiting, 0, 'f', 1)
            .arg(s.simDurationS, 0, 'f', 1)
            .arg(label)
            .arg(m_wallS, 0, 'f', 2));
  } else if (m_running) {
    m_status->setText(
        tr("Simulating: %1 s simulated, %2 of %3 requests completed, %4 waiting, %5 running (%6)")
            .arg(last.timeS, 0, 'f', 1)
            .arg(last.completed)
            .arg(m_requests)
            .arg(last.waiting)
            .arg(last.running)
            .arg(label));
  }
}

}  // namespace kvlab
