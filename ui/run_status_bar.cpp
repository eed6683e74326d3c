// SPDX-License-Identifier: MIT
#include "ui/run_status_bar.h"

#include <QLabel>
#include <QProgressBar>
#include <QRegularExpression>

#include "core/model/compute_info.h"
#include "core/util/units.h"
#include "ui/run_controller.h"
#include "ui/run_history.h"

namespace kvlab {

RunStatusBar::RunStatusBar(const RunController* controller, const RunHistory* history, QWidget* parent)
    : QStatusBar(parent), m_controller(controller), m_history(history) {
  m_state = new QLabel(tr("Ready"), this);
  m_progress = new QProgressBar(this);
  m_progress->setObjectName(QStringLiteral("runProgress"));
  m_progress->setMaximumWidth(220);
  m_progress->setRange(0, 1);
  m_progress->setValue(0);
  m_requests = new QLabel(this);
  m_requests->setObjectName(QStringLiteral("requestsLabel"));
  m_elapsed = new QLabel(this);
  m_device = new QLabel(tr("device: cpu"), this);
  m_blas = new QLabel(this);
  m_blas->setMaximumWidth(420);
  showBlas(QString::fromStdString(blasLibrary()), QString::fromStdString(cpuMatmulBackend()));
  addWidget(m_state);
  addWidget(m_progress);
  addWidget(m_requests);
  addWidget(m_elapsed);
  addPermanentWidget(m_device);
  addPermanentWidget(m_blas);

  m_tick.setInterval(250);
  connect(&m_tick, &QTimer::timeout, this, &RunStatusBar::refresh);
  connect(controller, &RunController::stateChanged, this, &RunStatusBar::onStateChanged);
  connect(history, &RunHistory::updated, this, &RunStatusBar::refresh);
  connect(history, &RunHistory::runStarted, this, [this] {
    const RunTrack* run = m_history->current();
    m_clock.start();
    m_device->setText(run->info.simulated
                          ? tr("cost model: %1").arg(QString::fromStdString(run->info.hardware))
                          : tr("device: %1").arg(QString::fromStdString(run->info.device)));
    // A trace replay computes nothing (no matmul of its own): the label keeps the backend a live run uses.
    if (!run->info.blas.empty()) {
      showBlas(QString::fromStdString(run->info.blas),
               QString::fromStdString(run->info.matmul.empty() ? cpuMatmulBackend() : run->info.matmul));
    }
    refresh();
  });
  connect(history, &RunHistory::cleared, this, &RunStatusBar::refresh);
  refresh();
}

void RunStatusBar::showBlas(const QString& blas, const QString& matmul) {
  // What the matrix products run on, when that is not the BLAS (oneDNN): "matmul: oneDNN 2.6.3 (fp32, bf16),
  // 2 threads". Otherwise "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... (2 threads) [/usr/lib/...]" ->
  // "BLAS: OpenBLAS 0.3.21 (2 threads)". Both whole lines stay in the tooltip.
  const QString tooltip = matmul.isEmpty() ? blas : tr("Matrix products: %1\nBLAS: %2").arg(matmul, blas);
  if (matmul.startsWith(QStringLiteral("oneDNN"))) {
    m_blas->setText(tr("matmul: %1").arg(matmul));
    m_blas->setToolTip(tooltip);
    return;
  }
  QString text = blas.section(QLatin1Char(' '), 0, 1);
  const QRegularExpressionMatch threads =
      QRegularExpression(QStringLiteral("\\((\\d+) threads?\\)")).match(blas);
  if (threads.hasMatch()) text += QLatin1Char(' ') + threads.captured(0);
  m_blas->setText(tr("BLAS: %1").arg(text));
  m_blas->setToolTip(tooltip);
}

QString RunStatusBar::requestsText() const { return m_requests->text(); }
QString RunStatusBar::stateText() const { return m_state->text(); }
QString RunStatusBar::elapsedText() const { return m_elapsed->text(); }

void RunStatusBar::setLiveWidgetsVisible(bool visible) {
  for (QWidget* w :
       std::initializer_list<QWidget*>{m_state, m_progress, m_requests, m_elapsed, m_device, m_blas})
    w->setVisible(visible);
}

void RunStatusBar::onStateChanged() {
  static const char* const kNames[] = {"Ready", "Running", "Paused", "Stopping"};
  const auto state = m_controller->state();
  m_state->setText(tr(kNames[int(state)]));
  if (state == RunController::State::Running && !m_tick.isActive()) {
    if (!m_clock.isValid()) m_clock.start();
    m_tick.start();
  } else if (state == RunController::State::Idle) {
    m_tick.stop();
  }
  refresh();
}

void RunStatusBar::refresh() {
  const RunTrack* run = m_history->current();
  const int done = run ? int(run->points.size()) : 0;
  const int total = run ? run->info.requestsTotal : 0;
  const bool decode = run && run->info.scenarioKind == "decode";
  if (decode) {
    // One request decoded step by step: count the steps (their total is known when it ends).
    const bool active = !run->finished();
    m_progress->setRange(0, active ? 0 : 1);
    m_progress->setValue(active ? 0 : 1);
    m_requests->setText(tr("%1 decode steps").arg(run->decodeSteps.size()));
  } else if (total > 0 || !run) {
    m_progress->setRange(0, std::max(1, total));
    m_progress->setValue(std::min(done, std::max(1, total)));
    m_requests->setText(run ? tr("%1 / %2 requests").arg(done).arg(total) : QString());
  } else {
    // A trace's length is unknown until it ends: a busy bar while it runs.
    const bool active = !run->finished();
    m_progress->setRange(0, active ? 0 : 1);
    m_progress->setValue(active ? 0 : 1);
    m_requests->setText(tr("%1 requests").arg(done));
  }
  double seconds = 0;
  if (run && run->summary)
    seconds = run->summary->elapsedS;
  else if (m_controller->isActive() && m_clock.isValid())
    seconds = double(m_clock.elapsed()) / 1000.0;
  // Wall time of the run (a replay of thousands of requests can take well under 0.1 s: then ms), and for a
  // run with its own clock, how much scenario or trace time it covered.
  QString elapsed;
  if (run) {
    elapsed = seconds >= 1 ? tr("elapsed %1 s").arg(seconds, 0, 'f', 1)
                           : tr("elapsed %1 ms").arg(seconds * 1000.0, 0, 'f', 0);
    // A decode run has one request at scenario time 0: its steps are its progress, not the clock.
    if (!run->points.empty() && run->info.scenarioKind != "decode")
      elapsed +=
          tr(" · %1 time %2")
              .arg(run->info.simulated ? tr("trace") : tr("scenario"))
              .arg(QString::fromStdString(formatDurationMs(TimeMs(run->points.back().timeS * 1000.0))));
  }
  m_elapsed->setText(elapsed);
  if (run && run->summary && !m_controller->isActive()) {
    const RunSummary& s = *run->summary;
    QString text = s.cancelled ? tr("Stopped") : tr("Done");
    if (!run->error.isEmpty())
      text = tr("Failed");
    else if (s.decode)
      text += tr(": decode speedup %1× (measured), identical tokens: %2")
                  .arg(s.decode->speedup, 0, 'f', 2)
                  .arg(s.decode->tokensIdentical ? tr("yes") : tr("NO"));
    else if (s.speedup > 0 && s.speedupCi95[1] > 0)
      text += tr(": hit rate %1 %, speedup %2× (95% interval %3–%4×)")
                  .arg(100.0 * s.tokenHitRate, 0, 'f', 1)
                  .arg(s.speedup, 0, 'f', 2)
                  .arg(s.speedupCi95[0], 0, 'f', 2)
                  .arg(s.speedupCi95[1], 0, 'f', 2);
    else if (s.speedup > 0)
      text +=
          tr(": hit rate %1 %, speedup %2×").arg(100.0 * s.tokenHitRate, 0, 'f', 1).arg(s.speedup, 0, 'f', 2);
    else
      text += tr(": hit rate %1 %").arg(100.0 * s.tokenHitRate, 0, 'f', 1);
    m_state->setText(text);
  }
}

}  // namespace kvlab
