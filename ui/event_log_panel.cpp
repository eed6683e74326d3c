// SPDX-License-Identifier: MIT
#include "ui/event_log_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

#include "ui/event_log_filter.h"
#include "ui/event_log_model.h"
#include "ui/run_history.h"

namespace kvlab {

EventLogPanel::EventLogPanel(const RunHistory* history, QWidget* parent)
    : QWidget(parent), m_history(history) {
  m_model = new EventLogModel(20000, this);
  m_filter = new EventLogFilter(this);
  m_filter->setSourceModel(m_model);

  m_type = new QComboBox(this);
  m_type->setObjectName(QStringLiteral("eventTypeFilter"));
  m_type->addItem(tr("All types"), -1);
  for (CacheEventType t :
       {CacheEventType::Insert, CacheEventType::Hit, CacheEventType::Miss, CacheEventType::Eviction})
    m_type->addItem(QString::fromLatin1(toString(t).data(), qsizetype(toString(t).size())), int(t));
  m_layer = new QComboBox(this);
  m_layer->setObjectName(QStringLiteral("eventLayerFilter"));
  m_follow = new QCheckBox(tr("Follow newest"), this);
  m_follow->setChecked(true);
  m_count = new QLabel(this);
  m_count->setWordWrap(true);  // a long count wraps instead of widening the dock

  m_table = new QTableView(this);
  m_table->setModel(m_filter);
  m_table->verticalHeader()->setVisible(false);
  m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 4);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setAlternatingRowColors(true);
  m_table->setWordWrap(false);
  const int digit = fontMetrics().horizontalAdvance(QLatin1Char('0'));
  for (int c = 0; c < EventLogModel::ColumnCount; ++c)
    m_table->setColumnWidth(c, digit * (c == EventLogModel::Reason                               ? 15
                                        : (c == EventLogModel::Size || c == EventLogModel::Time) ? 10
                                                                                                 : 7));
  m_table->setMinimumWidth(200);

  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Type:"), this));
  bar->addWidget(m_type);
  bar->addWidget(new QLabel(tr("Layer:"), this));
  bar->addWidget(m_layer);
  bar->addWidget(m_follow);
  bar->addStretch(1);
  m_count->setAlignment(Qt::AlignRight);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(bar);
  layout->addWidget(m_table, 1);
  layout->addWidget(m_count);

  onRunStarted();
  connect(m_type, &QComboBox::currentIndexChanged, this, &EventLogPanel::applyFilters);
  connect(m_layer, &QComboBox::currentIndexChanged, this, &EventLogPanel::applyFilters);
  connect(history, &RunHistory::runStarted, this, &EventLogPanel::onRunStarted);
  connect(history, &RunHistory::cleared, this, [this] {
    if (!m_history->current()) m_model->clear();
    updateCount();
  });
  connect(history, &RunHistory::eventsArrived, this, [this](const std::deque<CacheEvent>& events) {
    // Events the run's buffer dropped (too many between two redraws) came before these: number past them,
    // so a row's # is the event's number in the run, as `kvlab-cli replay --events` writes it.
    const RunTrack* run = m_history->current();
    const std::uint64_t dropped = run ? run->droppedEvents : 0;
    m_model->skip(dropped - std::min(dropped, m_droppedSeen));
    m_droppedSeen = dropped;
    m_model->append(events);
    updateCount();
    if (m_follow->isChecked()) m_table->scrollToBottom();
  });
}

void EventLogPanel::onRunStarted() {
  m_model->clear();
  m_droppedSeen = 0;
  const RunTrack* run = m_history->current();
  const int layers = run ? run->info.layers : 0;
  const QVariant previous = m_layer->currentData();
  m_layer->blockSignals(true);
  m_layer->clear();
  m_layer->addItem(tr("Any"), EventLogFilter::kAnyLayer);
  m_layer->addItem(tr("All-layer entries"), kAllLayers);
  for (int l = 0; l < layers; ++l) m_layer->addItem(tr("Layer %1").arg(l), l);
  const int index = previous.isValid() ? m_layer->findData(previous) : 0;
  m_layer->setCurrentIndex(std::max(0, index));
  m_layer->blockSignals(false);
  applyFilters();
}

void EventLogPanel::applyFilters() {
  const int type = m_type->currentData().toInt();
  m_filter->setTypeFilter(type < 0 ? std::nullopt : std::optional<CacheEventType>(CacheEventType(type)));
  m_filter->setLayerFilter(m_layer->currentData().isValid() ? m_layer->currentData().toInt()
                                                            : EventLogFilter::kAnyLayer);
  updateCount();
}

void EventLogPanel::updateCount() {
  // "kept" counts only rows the log holds; older ones and those dropped before reaching it are named apart.
  const RunTrack* run = m_history->current();
  const std::uint64_t bufferDropped = run ? run->droppedEvents : 0;
  QString text = tr("%1 shown · %2 kept").arg(m_filter->rowCount()).arg(m_model->rowCount());
  if (m_model->droppedOldest() > 0) text += tr(" · %1 older not kept").arg(m_model->droppedOldest());
  if (bufferDropped > 0) text += tr(" · %1 never shown (too many at once)").arg(bufferDropped);
  m_count->setText(text);
}

}  // namespace kvlab
