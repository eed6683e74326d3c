// SPDX-License-Identifier: MIT
#include "ui/tune_ranking_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "core/policies/policy_registry.h"
#include "core/replay/sweep_ranking.h"
#include "ui/log_axis_labels.h"
#include "ui/tune_headline.h"
#include "ui/tune_results.h"

namespace kvlab {

namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }
QString pct(double share) { return QStringLiteral("%1 %").arg(100 * share, 0, 'f', 1); }
}  // namespace

TuneRankingPanel::TuneRankingPanel(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("tuneRanking"));
  m_table = new QTableWidget(0, 5, this);
  m_table->setObjectName(QStringLiteral("tuneKnees"));
  m_table->setHorizontalHeaderLabels({tr("Policy"), tr("Hit rate"), tr("Of the\nbound"),
                                      tr("Prefill saved\n(cost model)"), tr("90 % of\nbound at")});
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->verticalHeader()->hide();
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->setSelectionMode(QAbstractItemView::NoSelection);
  m_table->setToolTip(tr("Every policy at the chosen size, best first; Belady and the infinite cache below"));
  m_sizes = new QComboBox(this);
  m_sizes->setObjectName(QStringLiteral("tuneSizeSelector"));
  m_sizes->setToolTip(tr("The cache size the table and the headline rank the policies at"));
  connect(m_sizes, &QComboBox::activated, this,
          [this] { choose(m_sizes->currentData().toULongLong(), true); });
  auto* row = new QHBoxLayout;
  row->addWidget(new QLabel(tr("Rank the policies at"), this));
  row->addWidget(m_sizes, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(row);
  layout->addWidget(m_table, 1);
}

void TuneRankingPanel::clear() {
  m_sizes->clear();
  m_table->setRowCount(0);
  m_chosen = 0;
}

void TuneRankingPanel::setTypeScale(const TypeScale& scale) {
  const QFont body = scale.font(TextRole::Body, font());
  setFont(body);
  m_table->setFont(body);
  m_table->horizontalHeader()->setFont(body);
  m_table->resizeRowsToContents();
}

void TuneRankingPanel::choose(quint64 tokens, bool byUser) {
  m_userChose = m_userChose || byUser;
  m_chosen = tokens;
  const int index = m_sizes->findData(QVariant::fromValue<qulonglong>(tokens));
  if (index >= 0 && m_sizes->currentIndex() != index) m_sizes->setCurrentIndex(index);
  Q_EMIT sizeChosen(tokens);
}

void TuneRankingPanel::setChosenSize(quint64 tokens) { choose(tokens, true); }

void TuneRankingPanel::setPreferredBytes(Bytes bytes, const TuneResults& results) {
  m_preferredBytes = bytes;
  if (!m_userChose && !results.info.sizes.empty()) setSizes(results);
}

void TuneRankingPanel::setSizes(const TuneResults& results) {
  const std::vector<std::uint64_t>& sizes = results.info.sizes;
  m_sizes->clear();
  for (const std::uint64_t s : sizes)
    m_sizes->addItem(TuneHeadline::sizeText(results, s), QVariant::fromValue<qulonglong>(s));
  if (sizes.empty()) return;
  // The swept size nearest (log scale) to the Live view's max size; the middle one without it.
  std::uint64_t chosen = sizes[sizes.size() / 2];
  if (m_preferredBytes > 0 && results.bytesPerToken > 0) {
    const double want = std::log(double(m_preferredBytes) / double(results.bytesPerToken));
    double best = INFINITY;
    for (const std::uint64_t s : sizes)
      if (std::abs(std::log(double(s)) - want) < best) {
        best = std::abs(std::log(double(s)) - want);
        chosen = s;
      }
  }
  if (m_userChose && std::find(sizes.begin(), sizes.end(), m_chosen) != sizes.end()) chosen = m_chosen;
  choose(chosen, false);
}

void TuneRankingPanel::showResults(const TuneResults& results) {
  for (int i = 0; i < m_sizes->count(); ++i)  // the bytes follow the model chosen on the page
    m_sizes->setItemText(i, TuneHeadline::sizeText(results, m_sizes->itemData(i).toULongLong()));
  m_table->setRowCount(0);
  if (results.empty() || m_chosen == 0) return;
  const TuneSourceInfo& info = results.info;
  const double bound = info.unlimited.tokenHitRate();
  const SizeRanking r = rankAtSize(results.curves, info.policies, m_chosen, bound);
  const QString hw = qs(results.hardware);
  const auto saved = [&](std::uint64_t hits) {
    return tr("%1 s%2")
        .arg(TuneResults::secondsText(results.savedSeconds(hits)))
        .arg(results.perHour() ? tr("/h") : QString());
  };
  const auto ofBound = [&](double rate) {
    return bound > 0 ? QStringLiteral("%1 %").arg(100 * rate / bound, 0, 'f', 0) : QString();
  };
  const auto at90 = [&](const std::string& policy) {
    const std::optional<std::uint64_t> size =
        sizeForShareOfBound(results.curves, policy, bound, TuneHeadline::kShareOfBound);
    if (size) return LogAxisLabels::countText(double(*size));
    return info.sizes.empty() ? QString()
                              : tr("> %1").arg(LogAxisLabels::countText(double(info.sizes.back())));
  };
  const auto addRow = [&](const QStringList& cells, bool bold) {
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    for (int c = 0; c < cells.size(); ++c) {
      auto* item = new QTableWidgetItem(cells[c]);
      if (c > 0) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      if (bold) {
        QFont f = m_table->font();
        f.setBold(true);
        item->setFont(f);
      }
      m_table->setItem(row, c, item);
    }
  };
  for (std::size_t k = 0; k < r.online.size(); ++k) {
    const PolicyAtSize& p = r.online[k];
    addRow({QStringLiteral("%1. %2").arg(k + 1).arg(qs(policyLabel(p.policy))), pct(p.hitRate),
            ofBound(p.hitRate), saved(p.hitTokens), at90(p.policy)},
           k == 0);
  }
  if (r.reference)
    addRow({qs(policyLabel(r.reference->policy)) + (r.referenceBelowOnline ? tr(" ⚠ no bound") : QString()),
            pct(r.reference->hitRate), ofBound(r.reference->hitRate), saved(r.reference->hitTokens),
            at90(r.reference->policy)},
           false);
  addRow({tr("infinite cache (bound)"), pct(bound), QStringLiteral("100 %"), saved(info.unlimited.hitTokens),
          LogAxisLabels::countText(double(info.footprintTokens))},
         false);
  m_table->horizontalHeaderItem(3)->setText(tr("Prefill saved\n(cost model, %1)").arg(hw));
  m_table->resizeColumnsToContents();
  m_table->resizeRowsToContents();
  // Every row shown: the splitter gives the table at least the height of its rows.
  m_table->setMinimumHeight(m_table->horizontalHeader()->height() + m_table->verticalHeader()->length() +
                            2 * m_table->frameWidth() + 2);
}

}  // namespace kvlab
