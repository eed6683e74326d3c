// SPDX-License-Identifier: MIT
#include "ui/decode_lesson_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>

#include "ui/chart_palette.h"
#include "ui/run_history.h"

namespace kvlab {

namespace {
QValueAxis* newAxis(const QString& title) {
  auto* axis = new QValueAxis;
  axis->setTitleText(title);
  return axis;
}
}  // namespace

DecodeLessonChart::DecodeLessonChart(const RunHistory* history, QWidget* parent)
    : ChartPanel(
          history, QStringLiteral("decode"), tr("Decode: time per generated token"),
          tr("<b>What am I looking at?</b><br>One prompt generates its reply token by token, twice. "
             "<b>With the KV cache</b> each step computes only the newest token; the keys and values of "
             "every earlier token are read from the sequence's cache, so the step time stays <b>flat</b>. "
             "<b>Recomputing everything</b>, each step runs the whole sequence (prompt + tokens so far) "
             "through the model again, so the step time <b>grows</b> with its length. Step 0 is the "
             "prompt's prefill: the same work both ways.<br>Bottom: total time so far. With the cache it "
             "grows by about the same each step: a straight line. Recomputing, step <i>i</i> processes the "
             "prompt plus <i>i</i> tokens, so the total is (prompt × steps) plus a term quadratic in the "
             "steps: with a 200-token prompt and 256 steps the prompt's part dominates and the line bends "
             "up only gently (longer replies bend it more). Both ways give the same tokens (checked; the "
             "largest logit difference is shown). This per-sequence cache gives the "
             "KV cache its name; the other charts are about sharing it between requests. All times "
             "measured."),
          parent) {
  m_stepX = newAxis(tr("Decode step (0 = prompt prefill)"));
  m_stepX->setLabelFormat(QStringLiteral("%d"));
  m_stepMs = newAxis(tr("ms per step"));
  chart()->addAxis(m_stepX, Qt::AlignBottom);
  chart()->addAxis(m_stepMs, Qt::AlignLeft);
  m_stepUncached =
      addLine(tr("recompute everything (no KV cache)"), ChartPalette::uncached(), 2.0, m_stepX, m_stepMs);
  m_stepCached = addLine(tr("with the KV cache"), ChartPalette::cached(), 2.0, m_stepX, m_stepMs);
  m_stepCached->setObjectName(QStringLiteral("decodeStepCached"));
  m_stepUncached->setObjectName(QStringLiteral("decodeStepUncached"));

  m_cumulative = addStackedChart(tr("Cumulative time"));
  m_cumX = newAxis(tr("Decode step"));
  m_cumX->setLabelFormat(QStringLiteral("%d"));
  m_cumY = newAxis(tr("total (ms)"));
  m_cumulative->addAxis(m_cumX, Qt::AlignBottom);
  m_cumulative->addAxis(m_cumY, Qt::AlignLeft);
  m_cumUncached = addLine(tr("recompute everything"), ChartPalette::uncached(), 2.5, m_cumX, m_cumY,
                          Qt::SolidLine, m_cumulative);
  m_cumCached = addLine(tr("with the KV cache"), ChartPalette::cached(), 2.5, m_cumX, m_cumY, Qt::SolidLine,
                        m_cumulative);
  m_cumCached->setObjectName(QStringLiteral("decodeCumCached"));
  m_cumUncached->setObjectName(QStringLiteral("decodeCumUncached"));

  const auto stepTip = [](const QPointF& p) {
    return tr("step %1: %2 ms").arg(qRound(p.x())).arg(p.y(), 0, 'f', 2);
  };
  attachTooltip(m_stepCached, stepTip);
  attachTooltip(m_stepUncached, stepTip);
  const auto cumTip = [this](const QPointF& p) {
    return m_cumDivisor > 1 ? tr("after step %1: %2 s").arg(qRound(p.x())).arg(p.y(), 0, 'f', 2)
                            : tr("after step %1: %2 ms").arg(qRound(p.x())).arg(p.y(), 0, 'f', 1);
  };
  attachTooltip(m_cumCached, cumTip);
  attachTooltip(m_cumUncached, cumTip);
  for (QValueAxis* axis : {m_stepX, m_stepMs, m_cumX, m_cumY}) axis->setRange(0, 10);
}

bool DecodeLessonChart::appliesTo(const RunTrack* run) const { return isDecodeRun(run); }

void DecodeLessonChart::refresh() {
  const RunTrack* run = history()->current();
  const bool decode = isDecodeRun(run);
  const std::vector<DecodeStep> none;
  const std::vector<DecodeStep>& steps = decode ? run->decodeSteps : none;

  QList<QPointF> stepCached, stepUncached, cumCached, cumUncached;
  double sumCached = 0, sumUncached = 0, maxStep = 0;
  for (const DecodeStep& s : steps) {
    sumCached += s.msCached;
    sumUncached += s.msUncached;
    maxStep = std::max({maxStep, s.msCached, s.msUncached});
    stepCached.append(QPointF(s.step, s.msCached));
    stepUncached.append(QPointF(s.step, s.msUncached));
  }
  // Seconds once the total reaches 10 s: "54 s", not "54000 ms".
  m_cumDivisor = sumUncached >= 10000 ? 1000 : 1;
  double runningCached = 0, runningUncached = 0;
  for (const DecodeStep& s : steps) {
    runningCached += s.msCached;
    runningUncached += s.msUncached;
    cumCached.append(QPointF(s.step, runningCached / m_cumDivisor));
    cumUncached.append(QPointF(s.step, runningUncached / m_cumDivisor));
  }
  m_stepCached->replace(decimate(stepCached));
  m_stepUncached->replace(decimate(stepUncached));
  m_cumCached->replace(decimate(cumCached));
  m_cumUncached->replace(decimate(cumUncached));

  const std::optional<DecodeComparison>& result =
      decode && run->summary ? run->summary->decode : std::optional<DecodeComparison>();
  double lastStep = steps.empty() ? 1 : double(steps.back().step);
  if (result) lastStep = std::max(lastStep, double(result->outputTokens) - 1);
  setCountRange(m_stepX, lastStep);
  setCountRange(m_cumX, lastStep);
  setNiceRange(m_stepMs, 0, std::max(maxStep, 1e-3));
  setNiceRange(m_cumY, 0, std::max(sumUncached / m_cumDivisor, 1e-3));
  m_cumY->setTitleText(m_cumDivisor > 1 ? tr("total (s)") : tr("total (ms)"));

  if (!decode || steps.empty()) {
    m_cumulative->setTitle(tr("Cumulative time"));
    setFooter(QString());
    return;
  }
  const double speedup = result ? result->speedup : (sumCached > 0 ? sumUncached / sumCached : 0);
  const QString factor = QStringLiteral("%1×").arg(speedup, 0, 'f', 2);
  if (!result) {
    m_cumulative->setTitle(tr("Cumulative time: %1 faster with the KV cache so far").arg(factor));
    setFooter(tr("%1 steps so far · decode speedup so far %2 (measured) · identical tokens: checked at "
                 "the end")
                  .arg(steps.size())
                  .arg(factor));
    return;
  }
  const QString identical = result->tokensIdentical ? tr("yes") : tr("NO");
  const QString diff = QString::number(result->maxAbsLogitDiff, 'g', 2);
  m_cumulative->setTitle(
      tr("Cumulative time: %1 faster with the KV cache · identical tokens: %2").arg(factor, identical));
  setFooter(tr("%1 tokens from a %2-token prompt · decode speedup %3 (total without / total with, "
               "measured; ideal in FLOPs %4×) · identical tokens: %5 · max |logit diff| %6")
                .arg(result->stepMsCached.size())
                .arg(result->promptTokens)
                .arg(factor)
                .arg(result->idealSpeedup, 0, 'f', 1)
                .arg(identical, diff));
}

}  // namespace kvlab
