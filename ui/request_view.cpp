// SPDX-License-Identifier: MIT
#include "ui/request_view.h"

#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>

#include "core/util/units.h"
#include "ui/chart_palette.h"
#include "ui/prompt_blocks_widget.h"
#include "ui/run_history.h"

namespace kvlab {

namespace {
constexpr int kHeadChars = 160;  // shown from the start of the reused prefix
constexpr int kTailChars = 120;  // shown from the end of the reused prefix
constexpr int kComputedChars = 400;

QString swatch(const QColor& color, const QString& text) {
  return QStringLiteral("<span style='background:%1'>&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;%2")
      .arg(color.name(), text);
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
  m_blocks = new PromptBlocksWidget(this);
  m_blocks->setObjectName(QStringLiteral("promptBlocks"));
  m_text = new QLabel(this);
  m_text->setTextFormat(Qt::RichText);
  m_text->setWordWrap(true);
  m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_text->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  QFont mono(QStringLiteral("monospace"));
  mono.setStyleHint(QFont::TypeWriter);
  mono.setPointSizeF(font().pointSizeF() * 0.9);
  m_text->setFont(mono);

  auto* textScroll = new QScrollArea(this);
  textScroll->setWidget(m_text);
  textScroll->setWidgetResizable(true);
  textScroll->setFrameShape(QFrame::NoFrame);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 4, 6, 4);
  layout->addWidget(m_headline);
  layout->addWidget(m_legend);
  layout->addWidget(m_blocks);
  layout->addWidget(textScroll, 1);

  connect(history, &RunHistory::updated, this, &RequestView::refresh);
  connect(history, &RunHistory::runStarted, this, &RequestView::refresh);
  connect(history, &RunHistory::cleared, this, &RequestView::refresh);
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
  QString timing;
  if (r.ttftUncachedMs >= 0 && r.ttftCachedMs > 0)
    timing = tr(" TTFT %1 ms with the cache, %2 ms without (%3×)%4.")
                 .arg(r.ttftCachedMs, 0, 'f', 1)
                 .arg(r.ttftUncachedMs, 0, 'f', 1)
                 .arg(r.ttftUncachedMs / r.ttftCachedMs, 0, 'f', 1)
                 .arg(r.simulated ? tr(", cost model") : QString());
  const QString position = run->info.requestsTotal > 0
                               ? tr("Request %1 of %2").arg(r.index + 1).arg(run->info.requestsTotal)
                               : tr("Request %1").arg(r.index + 1);
  m_headline->setText(tr("<b>%1</b> (%2): %3 prompt tokens, <b>%4 reused</b> (%5 %), %6 computed.%7")
                          .arg(position)
                          .arg(QString::fromStdString(r.session).toHtmlEscaped())
                          .arg(r.promptTokens)
                          .arg(r.hitTokens)
                          .arg(share, 0, 'f', 1)
                          .arg(r.computedTokens)
                          .arg(timing));
  const std::uint32_t perCell =
      tokensPerCellFor(r.promptTokens, r.blockSize ? r.blockSize : run->info.blockSize);
  m_blocks->setPrompt(r.promptTokens, r.hitTokens, perCell);
  m_legend->setText(swatch(ChartPalette::hit(), tr("reused from the cache")) +
                    QStringLiteral("&nbsp;&nbsp;&nbsp;") +
                    swatch(ChartPalette::computed(), tr("computed in this prefill")) +
                    tr("&nbsp;&nbsp;&nbsp;one cell = %1 tokens").arg(perCell));

  const QString text = QString::fromStdString(r.text);
  if (text.isEmpty()) {
    m_text->setText(tr("<i>(a trace replay has no prompt text: only token counts)</i>"));
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

}  // namespace kvlab
