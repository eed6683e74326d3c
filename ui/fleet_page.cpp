// SPDX-License-Identifier: MIT
#include "ui/fleet_page.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTextStream>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <chrono>

#include "core/fleet/kv_block_index.h"
#include "core/fleet/router_registry.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "ui/trace_drop_filter.h"
#include "ui/trace_file_dialog.h"

namespace kvlab {

namespace {

struct Cancelled {};  // thrown from the per-request callback to stop a run between requests

// occupancy: per cache, blocks held (from the KV index) / capacity.
FleetLiveView liveView(const FleetResult& r, const std::vector<double>& occupancy) {
  FleetLiveView v;
  v.router = QString::fromStdString(r.router);
  v.sharedCache = r.sharedCache;
  v.fleetHitRate = r.tokenHitRate();
  v.loadImbalance = r.loadImbalance();
  v.requests = r.fleet.requests;
  v.occupancy = occupancy;
  for (const ReplayResult& replica : r.replicas) {
    v.hitRate.push_back(replica.tokenHitRate());
    v.tokenShare.push_back(r.fleet.promptTokens ? double(replica.promptTokens) / double(r.fleet.promptTokens)
                                                : 0.0);
  }
  v.occupancy.resize(v.hitRate.size());
  return v;
}

}  // namespace

FleetPage::FleetPage(QWidget* parent) : QWidget(parent) {
  m_trace = new QLineEdit;
  m_trace->setObjectName(QStringLiteral("fleetTrace"));
  m_trace->setPlaceholderText(tr("Trace of any supported format: a file, or a folder (drop it here)"));
  auto* browse = new QPushButton(tr("Browse…"));
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString path = askForTrace(this, tr("Open a trace"), m_trace->text(), /*withScenarios=*/false);
    if (!path.isEmpty()) m_trace->setText(path);
  });
  connect(new TraceDropFilter(this), &TraceDropFilter::dropped, m_trace, &QLineEdit::setText);
  auto* traceRow = new QHBoxLayout;
  traceRow->addWidget(m_trace, 1);
  traceRow->addWidget(browse);
  m_replicas = new QSpinBox;
  m_replicas->setRange(1, int(KvBlockIndex::kMaxReplicas));
  m_replicas->setValue(4);
  m_maxTokens = new QLineEdit(QStringLiteral("1000000"));
  m_maxTokens->setToolTip(tr("Cache capacity of EACH replica, in tokens"));
  m_blockSize = new QSpinBox;
  m_blockSize->setRange(0, 1 << 20);
  m_blockSize->setSpecialValueText(tr("the trace's"));
  m_blockSize->setValue(0);
  m_blockSize->setToolTip(tr("Tokens per block key; the trace's own by default (512 for Mooncake, the "
                             "declared size for the formats that declare one, which another value contradicts)"));
  m_router = new QComboBox;
  for (const RouterInfo& info : routerRegistry()) {
    m_router->addItem(QString::fromStdString(info.name));
    m_router->setItemData(m_router->count() - 1, QString::fromStdString(info.description), Qt::ToolTipRole);
  }
  m_router->setCurrentText(QStringLiteral("kv-aware"));
  m_loadWeight = new QDoubleSpinBox;
  m_loadWeight->setRange(0, 1e6);
  m_loadWeight->setDecimals(3);
  m_loadWeight->setValue(RouterParams{}.loadWeight);
  m_loadWeight->setToolTip(tr("kv-aware: score = cached leading blocks − weight × requests so far"));
  m_affinityBlocks = new QSpinBox;
  m_affinityBlocks->setRange(1, 1 << 16);
  m_affinityBlocks->setValue(int(RouterParams{}.affinityBlocks));
  m_affinityBlocks->setToolTip(tr("session: leading blocks hashed into the affinity key"));
  auto* form = new QFormLayout;
  form->addRow(tr("Trace"), traceRow);
  form->addRow(tr("Replicas"), m_replicas);
  form->addRow(tr("Max tokens per replica"), m_maxTokens);
  form->addRow(tr("Block size (tokens)"), m_blockSize);
  form->addRow(tr("Router"), m_router);
  form->addRow(tr("Load weight (kv-aware)"), m_loadWeight);
  form->addRow(tr("Affinity blocks (session)"), m_affinityBlocks);

  m_run = new QPushButton(tr("Run router"));
  m_run->setObjectName(QStringLiteral("fleetRun"));
  m_compare = new QPushButton(tr("Compare all routers"));
  m_compare->setObjectName(QStringLiteral("fleetCompare"));
  m_stop = new QPushButton(tr("Stop"));
  m_stop->setEnabled(false);
  auto* exportPng = new QPushButton(tr("Export PNG…"));
  auto* exportCsv = new QPushButton(tr("Export CSV…"));
  connect(m_run, &QPushButton::clicked, this, &FleetPage::runSelectedRouter);
  connect(m_compare, &QPushButton::clicked, this, &FleetPage::compareAllRouters);
  connect(m_stop, &QPushButton::clicked, this, &FleetPage::stop);
  connect(exportPng, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export comparison"), QString(), tr("PNG (*.png)"));
    if (!path.isEmpty() && !exportComparisonPng(path)) m_status->setText(tr("Could not write %1").arg(path));
  });
  connect(exportCsv, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export comparison"), QString(), tr("CSV (*.csv)"));
    if (!path.isEmpty() && !exportComparisonCsv(path)) m_status->setText(tr("Could not write %1").arg(path));
  });
  auto* buttons = new QHBoxLayout;
  for (QPushButton* b : {m_run, m_compare, m_stop, exportPng, exportCsv}) buttons->addWidget(b);
  buttons->addStretch(1);
  m_status = new QLabel;
  m_status->setObjectName(QStringLiteral("fleetStatus"));
  m_status->setWordWrap(true);

  m_strips = new FleetReplicaStrips;
  m_strips->setObjectName(QStringLiteral("fleetStrips"));
  auto* stripsBox = new QGroupBox(tr("Replicas (live)"));
  (new QVBoxLayout(stripsBox))->addWidget(m_strips);
  m_table = new QTableWidget(0, 5);
  m_table->setObjectName(QStringLiteral("fleetComparison"));
  m_table->setHorizontalHeaderLabels(
      {tr("Router"), tr("Fleet token hit rate"), tr("Load imbalance"), tr("Evictions"), tr("Requests")});
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  m_table->verticalHeader()->setVisible(false);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setToolTip(tr("Select a router to see its replicas above"));
  connect(m_table, &QTableWidget::currentCellChanged, this, [this](int row) {
    if (row >= 0 && std::size_t(row) < m_rowViews.size()) m_strips->setView(m_rowViews[std::size_t(row)]);
  });
  auto* tableBox = new QGroupBox(tr("Router comparison: same trace, same capacity per replica"));
  (new QVBoxLayout(tableBox))->addWidget(m_table);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addLayout(buttons);
  layout->addWidget(m_status);
  layout->addWidget(stripsBox, 3);
  layout->addWidget(tableBox, 2);

  m_repaint = new QTimer(this);
  m_repaint->setSingleShot(true);
  m_repaint->setInterval(40);
  connect(m_repaint, &QTimer::timeout, this, [this] { m_strips->setView(m_pending); });
}

FleetPage::~FleetPage() {
  if (m_cancel) m_cancel->store(true);
  if (m_thread) {
    m_thread->wait();
    delete m_thread;
  }
}

void FleetPage::setTracePath(const QString& path) { m_trace->setText(path); }
void FleetPage::setReplicas(int replicas) { m_replicas->setValue(replicas); }
void FleetPage::setMaxTokensPerReplica(const QString& tokens) { m_maxTokens->setText(tokens); }
void FleetPage::setBlockSize(int tokens) { m_blockSize->setValue(tokens); }

void FleetPage::runSelectedRouter() { start({m_router->currentText()}, /*comparison=*/false); }

void FleetPage::compareAllRouters() {
  QStringList routers;
  for (const std::string& name : routerNames()) routers << QString::fromStdString(name);
  if (start(routers, /*comparison=*/true)) {
    m_table->setRowCount(0);
    m_rowViews.clear();
  }
}

void FleetPage::stop() {
  if (m_cancel) m_cancel->store(true);
}

bool FleetPage::start(const QStringList& routers, bool comparison) {
  if (m_thread) return false;
  FleetConfig base;
  try {
    base.replica.blockSize = std::uint32_t(m_blockSize->value());
    base.replica.maxTokens = parseCount(m_maxTokens->text().toStdString(), "max tokens per replica", 0);
  } catch (const InputError& e) {
    m_status->setText(QString::fromStdString(e.what()));
    Q_EMIT runFailed(m_status->text());
    return false;
  }
  base.replicas = std::size_t(m_replicas->value());
  base.routerParams.loadWeight = m_loadWeight->value();
  base.routerParams.affinityBlocks = std::uint32_t(m_affinityBlocks->value());
  const std::string trace = m_trace->text().toStdString();
  std::vector<FleetConfig> configs;
  for (const QString& router : routers) {
    configs.push_back(base);
    configs.back().router = router.toStdString();
  }
  const int runId = ++m_runId;
  m_comparison = comparison;
  m_cancel = std::make_shared<std::atomic<bool>>(false);
  auto cancel = m_cancel;
  m_thread = QThread::create([this, runId, cancel, configs, trace] {
    QString error;
    try {
      for (const FleetConfig& config : configs) {
        auto last = std::chrono::steady_clock::now();
        std::vector<double> occupancy;
        const FleetResult result =
            replayFleetFile(trace, config, {}, [&](const FleetReplayer& fleet, std::size_t) {
              if (cancel->load()) throw Cancelled{};
              occupancy.resize(fleet.cacheCount());
              for (std::size_t i = 0; i < occupancy.size(); ++i)
                occupancy[i] = fleet.capacityBlocks()
                                   ? double(fleet.index().heldBlocks(i)) / double(fleet.capacityBlocks())
                                   : 0.0;
              const auto now = std::chrono::steady_clock::now();
              if (now - last < std::chrono::milliseconds(20)) return;  // enough for a 40 ms repaint
              last = now;
              const FleetLiveView view = liveView(fleet.result(), occupancy);
              QMetaObject::invokeMethod(
                  this, [this, runId, view] { receiveSnapshot(runId, view); }, Qt::QueuedConnection);
            });
        const FleetLiveView view = liveView(result, occupancy);
        QMetaObject::invokeMethod(
            this, [this, runId, result, view] { receiveResult(runId, result, view); }, Qt::QueuedConnection);
      }
    } catch (const Cancelled&) {
      error = tr("Stopped.");
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(
        this, [this, runId, error] { receiveEnd(runId, error); }, Qt::QueuedConnection);
  });
  setBusy(true);
  m_status->setText(comparison ? tr("Comparing %1 routers…").arg(routers.size())
                               : tr("Running %1…").arg(routers.front()));
  m_thread->start();
  return true;
}

void FleetPage::receiveSnapshot(int runId, const FleetLiveView& view) {
  if (runId != m_runId) return;
  m_pending = view;
  if (!m_repaint->isActive()) m_repaint->start();
}

void FleetPage::receiveResult(int runId, const FleetResult& result, const FleetLiveView& view) {
  if (runId != m_runId) return;
  m_repaint->stop();
  m_strips->setView(view);  // this router's end state
  if (m_comparison) {
    m_rowViews.push_back(view);
    addComparisonRow(result);
  }
}

void FleetPage::receiveEnd(int runId, const QString& error) {
  if (m_thread) {
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
  }
  setBusy(false);
  if (runId != m_runId) return;
  if (!error.isEmpty()) {
    m_status->setText(error);
    Q_EMIT runFailed(error);
    return;
  }
  m_status->setText(m_comparison ? tr("Done: every router on the same trace, one line each.") : tr("Done."));
  Q_EMIT(m_comparison ? comparisonFinished() : runFinished());
}

void FleetPage::addComparisonRow(const FleetResult& r) {
  const int row = m_table->rowCount();
  m_table->insertRow(row);
  const QStringList cells = {QString::fromStdString(r.router),
                             QStringLiteral("%1 %").arg(100 * r.tokenHitRate(), 0, 'f', 2),
                             QString::number(r.loadImbalance(), 'f', 3), QString::number(r.fleet.evictions),
                             QString::number(r.fleet.requests)};
  for (int c = 0; c < cells.size(); ++c) {
    auto* item = new QTableWidgetItem(cells[c]);
    if (c > 0) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_table->setItem(row, c, item);
  }
  // Machine-readable copies for the CSV export.
  m_table->item(row, 1)->setData(Qt::UserRole, r.tokenHitRate());
  m_table->item(row, 2)->setData(Qt::UserRole, r.loadImbalance());
}

void FleetPage::setBusy(bool busy) {
  m_run->setEnabled(!busy);
  m_compare->setEnabled(!busy);
  m_stop->setEnabled(busy);
}

bool FleetPage::exportComparisonCsv(const QString& path) const {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) return false;
  QTextStream out(&file);
  out << "router,replicas,max_tokens_per_replica,block_size,token_hit_rate,load_imbalance,evictions,"
         "requests\n";
  for (int row = 0; row < m_table->rowCount(); ++row)
    out << m_table->item(row, 0)->text() << ',' << m_replicas->value() << ',' << m_maxTokens->text().trimmed()
        << ',' << m_blockSize->value() << ','
        << QString::number(m_table->item(row, 1)->data(Qt::UserRole).toDouble(), 'f', 6) << ','
        << QString::number(m_table->item(row, 2)->data(Qt::UserRole).toDouble(), 'f', 6) << ','
        << m_table->item(row, 3)->text() << ',' << m_table->item(row, 4)->text() << '\n';
  out.flush();
  return file.error() == QFile::NoError;
}

bool FleetPage::exportComparisonPng(const QString& path) const { return m_table->grab().save(path, "PNG"); }

}  // namespace kvlab
