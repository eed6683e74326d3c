// SPDX-License-Identifier: MIT
#include "ui/request_view.h"

#include <QAction>
#include <algorithm>
#include <QContextMenuEvent>
#include <QLabel>
#include <QMenu>
#include <QScrollArea>
#include <QVBoxLayout>
#include <algorithm>

#include "core/util/units.h"
#include "ui/chart_palette.h"
#include "ui/prompt_blocks_widget.h"
#include "ui/run_history.h"
#include "ui/tier_chart.h"
#include "ui/ttft_bars_widget.h"

namespace kvlab {

namespace {
constexpr int kHeadChars = 160;  // shown from the start of the reused prefix
constexpr int kTailChars = 120;  // shown from the end of the reused prefix
constexpr int kComputedChars = 400;

QString swatch(const QColor& color, const QString& text) {
  return QStringLiteral("<span style='background:%1'>&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;%2")
      .arg(color.name(), text);
}
// Tokens [from, to) of a prompt whose token i ends at byte tokenEnds[i] of text, each on its own shade (a and b
// alternate) so real tokens show as what they are. A token that ends inside a UTF-8 character (part of an
// emoji or a CJK character) is drawn together with the next one.
QString tokenSpans(const std::string& text, const std::vector<std::uint32_t>& tokenEnds, std::size_t from,
                   std::size_t to, const QColor& a, const QColor& b) {
  QString html;
  bool odd = false;
  for (std::size_t i = from; i < to;) {
    const std::size_t begin = i ? tokenEnds[i - 1] : 0;
    std::size_t end = tokenEnds[i++];
    while (i < to && end < text.size() && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) end = tokenEnds[i++];
    html += QStringLiteral("<span style='background:%1'>%2</span>")
                .arg((odd ? b : a).name(),
                     QString::fromUtf8(text.data() + begin, qsizetype(end - begin)).toHtmlEscaped());
    odd = !odd;
  }
  return html;
}

}  // namespace

RequestView::RequestView(const RunHistory* history, QWidget* parent) : QWidget(parent), m_history(history) {
  m_headline =
      new QLabel(tr("Press <b>Run</b> (Ctrl+R): each finished request appears here, its prompt drawn "
                    "as blocks that were reused from the cache or computed."),
                 this);
  m_headline->setWordWrap(true);
  m_headline->setObjectName(QStringLiteral("requestHeadline"));
  m_legend = new QLabel(this);
  m_legend->setTextFormat(Qt::RichText);
  m_legend->setWordWrap(true);
  m_bars = new TtftBarsWidget(this);
  m_bars->setObjectName(QStringLiteral("ttftBars"));
  m_breakdown = new QLabel(this);
  m_breakdown->setObjectName(QStringLiteral("ttftBreakdown"));
  m_breakdown->setWordWrap(true);
  m_breakdown->setTextFormat(Qt::RichText);
  m_misses = new QLabel(this);
  m_misses->setObjectName(QStringLiteral("missBreakdown"));
  m_misses->setWordWrap(true);
  m_misses->setTextFormat(Qt::RichText);
  m_blocks = new PromptBlocksWidget(this);
  m_blocks->setObjectName(QStringLiteral("promptBlocks"));
  m_text = new QLabel(this);
  m_text->setObjectName(QStringLiteral("promptText"));
  m_text->setTextFormat(Qt::RichText);
  m_text->setWordWrap(true);
  m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_text->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  applyTextFont();

  // One scroll area over the whole view: in a short pane (a 920-pixel screen) the wrapped lines keep their
  // height and the view scrolls, instead of each line being cut to one.
  auto* content = new QWidget(this);
  auto* inner = new QVBoxLayout(content);
  inner->setContentsMargins(6, 4, 6, 4);
  for (QWidget* w : std::initializer_list<QWidget*>{m_headline, m_bars, m_breakdown, m_misses, m_legend, m_blocks})
    inner->addWidget(w);
  inner->addWidget(m_text, 1);
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(content);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(scroll);

  connect(history, &RunHistory::updated, this, &RequestView::refresh);
  connect(history, &RunHistory::runStarted, this, &RequestView::refresh);
  connect(history, &RunHistory::cleared, this, &RequestView::refresh);
  setContextMenuPolicy(Qt::CustomContextMenu);
  connect(this, &QWidget::customContextMenuRequested, this, &RequestView::showContextMenu);
}

QString RequestView::missText(const MissBreakdown& m) {
  // Each count is computed tokens, by why they were not in the cache: never seen (cold), seen but since
  // evicted, expired by the TTL, or stored but unreachable because an earlier part of the prefix was evicted.
  static const char* const kNames[] = {"first use", "recomputed after eviction", "recomputed after expiry",
                                       "orphaned (prefix evicted)"};
  QStringList parts;
  for (int r = 0; r < kMissReasonCount; ++r)
    if (m.tokens[std::size_t(r)] > 0) parts << tr("%1 %2").arg(tr(kNames[r])).arg(m.tokens[std::size_t(r)]);
  QString text = parts.isEmpty() ? tr("none") : parts.join(QStringLiteral(" · "));
  // Not a miss reason of its own (those tokens count as first use next time): what the cache could not keep.
  if (m.tooLarge > 0) text += tr(" (not stored: %1 tokens of prompts larger than the whole cache)").arg(m.tooLarge);
  return text;
}

QString RequestView::timingText(std::uint32_t hitTokens, double cachedMs, double uncachedMs, bool costModel) {
  if (uncachedMs < 0 || cachedMs <= 0) return {};
  const QString source = costModel ? tr(" (cost model)") : QString();
  const double ratio = uncachedMs / cachedMs;
  if (hitTokens == 0)
    return tr(" Nothing reused: the cached path computed the whole prompt too (%1 vs %2 ms without the "
              "cache%3).")
        .arg(cachedMs, 0, 'f', 1)
        .arg(uncachedMs, 0, 'f', 1)
        .arg(source);
  if (ratio < 1.0)
    return tr(" Slower with the cache this time (%1 vs %2 ms%3): the reused part was too small to pay for "
              "the lookup and the K/V assembly, or the machine was busier.")
        .arg(cachedMs, 0, 'f', 1)
        .arg(uncachedMs, 0, 'f', 1)
        .arg(source);
  // 1.02x, not "1.0x faster": near 1 the second decimal is the difference.
  return tr(" %1× faster with the cache%2.").arg(ratio, 0, 'f', ratio >= 10 ? 0 : (ratio < 1.1 ? 2 : 1)).arg(source);
}

QString RequestView::missLine() const { return m_misses->text(); }

QString RequestView::breakdownText(const RequestRecord& r) {
  if (r.simulated || r.hitTokens == 0 || r.ttftCachedMs <= 0) return QString();
  const double compute = std::max(0.0, r.ttftCachedMs - r.lookupMs - r.assemblyMs);
  QString text = tr("<b>Where the cached TTFT went</b> · lookup %1 ms · assembly %2 ms · compute %3 ms")
                     .arg(r.lookupMs, 0, 'f', 1)
                     .arg(r.assemblyMs, 0, 'f', 1)
                     .arg(compute, 0, 'f', 1);
  // The ideal: the uncached prefill's time for just the FLOPs the cached one still does.
  if (r.ttftUncachedMs > 0 && r.flopsUncached > 0)
    text += tr(" · ideal %1 ms (uncached TTFT × FLOPs still computed)")
                .arg(r.ttftUncachedMs * r.flopsCached / r.flopsUncached, 0, 'f', 1);
  return text;
}

void RequestView::showContextMenu(const QPoint& pos) {
  const RunTrack* run = m_history->current();
  QMenu menu(this);
  QAction* pin = menu.addAction(tr("Pin this request's prefix"));
  pin->setObjectName(QStringLiteral("pinPrefixAction"));
  QString why;
  if (!run || run->points.empty())
    why = tr("no request yet");
  else if (run->finished())
    why = tr("the run has ended");
  else if (run->info.simulated)
    why = tr("a trace replay has no prompt to pin");
  else if (run->info.granularity == Granularity::Radix)
    why = tr("radix granularity: not supported yet");
  else if (run->live.pinnedBudgetBytes == 0)
    why = tr("set a pinned budget first (Controls, Pinned)");
  pin->setEnabled(why.isEmpty());
  if (!why.isEmpty()) pin->setText(tr("Pin this request's prefix (%1)").arg(why));
  const int index = run && !run->points.empty() ? run->lastRecord.index : -1;
  connect(pin, &QAction::triggered, this, [this, index] { Q_EMIT pinRequested(index); });
  menu.exec(mapToGlobal(pos));
}

std::uint32_t RequestView::tokensPerCellFor(std::uint32_t promptTokens, std::uint32_t blockSize) {
  std::uint32_t perCell = blockSize > 0 ? blockSize : 16;
  while (promptTokens / perCell > kMaxCells) perCell *= 2;
  return perCell;
}

void RequestView::refresh() {
  const RunTrack* run = m_history->current();
  if (!run || run->points.empty()) {
    m_blocks->setPrompt(0, 0, 16);
    m_bars->setTimes(0, -1, QString());
    m_breakdown->clear();
    m_misses->clear();
    m_legend->clear();
    m_text->clear();
    m_shownRunId = -1;
    m_shownIndex = -1;
    return;
  }
  const RequestRecord& r = run->lastRecord;
  if (run->runId == m_shownRunId && r.index == m_shownIndex) return;
  m_shownRunId = run->runId;
  m_shownIndex = r.index;

  const double share = r.promptTokens ? 100.0 * r.hitTokens / r.promptTokens : 0.0;
  const QString timing = timingText(r.hitTokens, r.ttftCachedMs, r.ttftUncachedMs, r.simulated);
  const QString position = run->info.requestsTotal > 0
                               ? tr("Request %1 of %2").arg(r.index + 1).arg(run->info.requestsTotal)
                               : tr("Request %1").arg(r.index + 1);
  // A trace's "session" is only its request number again: name real sessions only.
  const QString session = r.simulated || r.session.empty()
                              ? QString()
                              : tr(" (%1)").arg(QString::fromStdString(r.session).toHtmlEscaped());
  const bool tiered = TierChart::hasTiers(run);
  // With tiers: the reused tokens by the tier they came from (device = the rest of the hit).
  const std::uint32_t host = std::min(r.hostHitTokens, r.hitTokens);
  const std::uint32_t remote = std::min(r.remoteHitTokens, r.hitTokens - host);
  const QString bySource =
      tiered ? tr(" (device %1 · host %2 · remote %3)").arg(r.hitTokens - host - remote).arg(host).arg(remote)
             : QString();
  m_headline->setText(tr("<b>%1</b>%2: %3 prompt tokens, <b>%4 reused</b> (%5 %)%6, %7 computed.%8")
                          .arg(position)
                          .arg(session)
                          .arg(r.promptTokens)
                          .arg(r.hitTokens)
                          .arg(share, 0, 'f', 1)
                          .arg(bySource)
                          .arg(r.computedTokens)
                          .arg(timing));
  m_bars->setTimes(r.ttftCachedMs, r.ttftUncachedMs,
                   r.simulated ? QString::fromStdString(run->info.hardware) : QString());
  m_breakdown->setText(breakdownText(r));
  m_breakdown->setVisible(!m_breakdown->text().isEmpty());
  m_misses->setText(tr("<b>Why tokens were computed</b> · this request: %1 · whole run: %2")
                        .arg(missText(RunHistory::missesOf(*run, run->points.size() - 1)),
                             missText(RunHistory::missesSoFar(*run))));
  QString cells;
  switch (run->info.granularity) {
    case Granularity::Block: {
      const std::uint32_t block = r.blockSize ? r.blockSize : run->info.blockSize;
      const std::uint32_t perCell = tokensPerCellFor(r.promptTokens, block);
      m_blocks->setPrompt(r.promptTokens, r.hitTokens, perCell);
      cells = perCell == block
                  ? tr("one cell = one block of %1 tokens").arg(block)
                  : tr("one cell = %1 blocks of %2 tokens").arg(perCell / std::max(1u, block)).arg(block);
      break;
    }
    case Granularity::Radix:
      m_blocks->setUnits(r.promptTokens, r.hitTokens, r.unitEnds);
      cells = tr("one cell = one radix node on this prompt's path (%1 nodes; hover for tokens)")
                  .arg(m_blocks->cellCount());
      break;
    case Granularity::Prompt:
      m_blocks->setUnits(r.promptTokens, r.hitTokens, r.unitEnds);
      cells = tr("one cell = one prompt entry, a prefix up to a segment end (%1; hover for tokens)")
                  .arg(m_blocks->cellCount());
      break;
  }
  m_blocks->setTierTokens(host, remote);
  const QString gap = QStringLiteral("&nbsp;&nbsp;&nbsp;");
  const QString reused = tiered ? swatch(ChartPalette::tierDevice(), tr("reused: device")) + gap +
                                      swatch(ChartPalette::tierHost(), tr("host tier")) + gap +
                                      swatch(ChartPalette::tierRemote(), tr("remote tier"))
                                : swatch(ChartPalette::hit(), tr("reused from the cache"));
  m_legend->setText(reused + gap + swatch(ChartPalette::computed(), tr("computed in this prefill")) + gap +
                    cells);

  const QString text = QString::fromStdString(r.text);
  if (text.isEmpty()) {
    m_text->setText(tr("<i>(a trace replay has no prompt text: only token counts)</i>"));
    return;
  }
  if (!r.tokenEnds.empty()) {  // a real tokenizer: one shaded span per token
    const std::size_t n = r.tokenEnds.size(), hitTokens = std::min<std::size_t>(r.hitTokens, n);
    const QColor hitA = ChartPalette::hit().lighter(170), hitB = ChartPalette::hit().lighter(140);
    const QColor restA = ChartPalette::computed().lighter(150), restB = ChartPalette::computed().lighter(125);
    QString html;
    if (hitTokens > std::size_t(kHeadChars + kTailChars))
      html = tokenSpans(r.text, r.tokenEnds, 0, kHeadChars, hitA, hitB) +
             tr("<i> [... %1 more reused tokens ...] </i>").arg(hitTokens - kHeadChars - kTailChars) +
             tokenSpans(r.text, r.tokenEnds, hitTokens - kTailChars, hitTokens, hitA, hitB);
    else
      html = tokenSpans(r.text, r.tokenEnds, 0, hitTokens, hitA, hitB);
    const std::size_t shownEnd = std::min(n, hitTokens + std::size_t(kComputedChars));
    html += tokenSpans(r.text, r.tokenEnds, hitTokens, shownEnd, restA, restB);
    if (shownEnd < n) html += tr("<i> [... %1 more computed tokens]</i>").arg(n - shownEnd);
    m_text->setText(html);
    return;
  }
  const int hit = std::min<int>(int(r.hitTokens), int(text.size()));
  const QString prefix = text.left(hit);
  const QString rest = text.mid(hit);
  QString prefixShown = prefix.toHtmlEscaped();
  if (prefix.size() > kHeadChars + kTailChars)
    prefixShown =
        prefix.left(kHeadChars).toHtmlEscaped() +
        tr("<i> [... %1 more reused tokens ...] </i>").arg(prefix.size() - kHeadChars - kTailChars) +
        prefix.right(kTailChars).toHtmlEscaped();
  QString restShown = rest.left(kComputedChars).toHtmlEscaped();
  if (rest.size() > kComputedChars)
    restShown += tr("<i> [... %1 more computed tokens]</i>").arg(rest.size() - kComputedChars);
  m_text->setText(QStringLiteral("<span style='background:%1'>%2</span><span style='background:%3'>%4</span>")
                      .arg(ChartPalette::hit().lighter(170).name(), prefixShown,
                           ChartPalette::computed().lighter(150).name(), restShown));
}

void RequestView::applyTextFont() {
  QFont mono(QStringLiteral("monospace"));
  mono.setStyleHint(QFont::TypeWriter);
  mono.setPixelSize(std::max(8, m_typeScale.pixels(TextRole::Body) - 1));
  m_text->setFont(mono);
}

void RequestView::setTypeScale(const TypeScale& scale) {
  m_typeScale = scale;
  setFont(scale.font(TextRole::Body, font()));
  applyTextFont();
}

}  // namespace kvlab
