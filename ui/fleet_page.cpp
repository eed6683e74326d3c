// SPDX-License-Identifier: MIT
#include "ui/fleet_page.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTextStream>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <chrono>

#include "core/fleet/kv_block_index.h"
#include "core/fleet/router_registry.h"
#include "core/trace/trace_format.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "ui/fleet_router_chart.h"
#include "ui/headline_banner.h"
#include "ui/report_document.h"
#include "ui/source_picker.h"
#include "ui/source_requests.h"
#include "ui/source_selection.h"
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

// What each router does, for a newcomer (the registry's descriptions are one-liners for --help).
QString routerExplanation(const RouterInfo& info) {
  static const std::pair<const char*, const char*> kText[] = {
      {"round-robin",
       "request i goes to replica i mod N: an even load, but the next turn of a conversation lands on "
       "another "
       "replica, which has not seen its prefix."},
      {"random", "a random replica for each request: like round-robin, blind to where prefixes are cached."},
      {"least-loaded",
       "the replica that has received the fewest requests so far: balances the load, ignores the caches."},
      {"prefix-hash",
       "a consistent hash of the prompt's first blocks (Affinity blocks) picks the replica, so requests that "
       "start alike (one system prompt, one conversation) land on the same one."},
      {"session-affinity",
       "every request of a session goes to the replica its first request went to (the least loaded then): "
       "needs a trace that carries session ids (RAGPulse, Qwen-Bailian, kv-cache-tester)."},
      {"kv-aware",
       "NVIDIA Dynamo's cost: overlap weight × the prompt blocks the replica would still compute + the blocks "
       "it already has in flight, lowest wins; the cached blocks come from an index the replicas' store and "
       "evict events keep up to date, a few milliseconds late (--event-lag)."},
      {"kv-score",
       "the replica whose cache holds the most leading blocks of the prompt, minus Load weight × its "
       "requests so far (the lab's earlier kv-aware score)."},
      {"oracle-shared",
       "not a router: one cache of N × the capacity, read by every replica. The bound for separate caches."},
  };
  for (const auto& [name, text] : kText)
    if (info.name == name) return QObject::tr(text);
  return QString::fromStdString(info.description);
}

}  // namespace

FleetPage::FleetPage(SourceSelection* selection, QWidget* parent)
    : PageWidget(QStringLiteral("fleet"), parent),
      m_selection(selection ? selection : new SourceSelection(this)) {
  // A trace file or folder dropped on the page becomes the source of every page.
  connect(new TraceDropFilter(this), &TraceDropFilter::dropped, m_selection, &SourceSelection::openFile);
  m_replicas = new QSpinBox;
  m_replicas->setRange(1, int(KvBlockIndex::kMaxReplicas));
  m_replicas->setValue(4);
  m_maxTokens = new QLineEdit(QStringLiteral("1000000"));
  m_maxTokens->setToolTip(tr("Cache capacity of EACH replica, in tokens"));
  m_blockSize = new QSpinBox;
  m_blockSize->setRange(0, 1 << 20);
  m_blockSize->setValue(0);
  m_blockSize->setSpecialValueText(tr("source's"));
  m_blockSize->setToolTip(tr("Tokens per block key; source's = the trace's own (512 for Mooncake, the declared "
                             "size for the formats that declare one, which another value contradicts), a "
                             "scenario's own block size"));
  m_router = new QComboBox;
  for (const RouterInfo& info : routerRegistry()) {
    m_router->addItem(QString::fromStdString(info.name));
    m_router->setItemData(m_router->count() - 1, routerExplanation(info), Qt::ToolTipRole);
  }
  m_router->setCurrentText(QStringLiteral("kv-aware"));
  m_loadWeight = new QDoubleSpinBox;
  m_loadWeight->setRange(0, 1e6);
  m_loadWeight->setDecimals(3);
  m_loadWeight->setValue(RouterParams{}.loadWeight);
  m_loadWeight->setToolTip(tr("kv-score: score = cached leading blocks − weight × requests so far"));
  m_affinityBlocks = new QSpinBox;
  m_affinityBlocks->setRange(1, 1 << 16);
  m_affinityBlocks->setValue(int(RouterParams{}.affinityBlocks));
  m_affinityBlocks->setToolTip(tr("prefix-hash: leading blocks hashed into the affinity key"));

  m_compare = new QPushButton(tr("Compare routers"));
  m_compare->setObjectName(QStringLiteral("fleetCompare"));
  m_compare->setToolTip(
      tr("Every router on the same source and capacity, and the shared-cache bound (Ctrl+R)"));
  m_run = new QPushButton(tr("Run one router"));
  m_run->setObjectName(QStringLiteral("fleetRun"));
  m_stop = new QPushButton(tr("Stop"));
  m_stop->setEnabled(false);
  connect(m_run, &QPushButton::clicked, this, &FleetPage::runSelectedRouter);
  connect(m_compare, &QPushButton::clicked, this, &FleetPage::compareAllRouters);
  connect(m_stop, &QPushButton::clicked, this, &FleetPage::stop);

  auto* controls = new QWidget;
  auto* grid = new QGridLayout(controls);
  grid->setContentsMargins(0, 0, 0, 0);
  const auto add = [&](int row, int col, const QString& label, QWidget* w) {
    grid->addWidget(new QLabel(label), row, col * 2);
    grid->addWidget(w, row, col * 2 + 1);
  };
  grid->addWidget(new QLabel(tr("Source")), 0, 0);
  grid->addWidget(new SourcePicker(m_selection), 0, 1, 1, 3);
  add(0, 2, tr("Replicas"), m_replicas);
  add(0, 3, tr("Max tokens per replica"), m_maxTokens);
  add(0, 4, tr("Block size"), m_blockSize);
  add(1, 0, tr("Run one router"), m_router);
  add(1, 2, tr("Load weight (kv-score)"), m_loadWeight);
  add(1, 3, tr("Affinity blocks (prefix-hash)"), m_affinityBlocks);
  auto* buttons = new QHBoxLayout;
  for (QPushButton* b : {m_compare, m_run, m_stop}) buttons->addWidget(b);
  grid->addLayout(buttons, 0, 10, 2, 1);
  grid->setColumnStretch(1, 2);
  m_status = new QLabel;
  m_status->setObjectName(QStringLiteral("fleetStatus"));
  m_status->setWordWrap(true);
  m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  grid->addWidget(m_status, 2, 0, 1, 11);

  m_chart = new FleetRouterChart;
  m_chart->setObjectName(QStringLiteral("fleetRouterChart"));
  m_strips = new FleetReplicaStrips;
  m_strips->setObjectName(QStringLiteral("fleetStrips"));
  auto* stripsBox =
      new QGroupBox(tr("Replicas of the router shown (live while it runs; select a line below)"));
  stripsBox->setObjectName(QStringLiteral("fleetStripsBox"));
  (new QVBoxLayout(stripsBox))->addWidget(m_strips);
  QString explain = tr("<b>How the routers choose a replica</b><ul>");
  for (const RouterInfo& info : routerRegistry())
    explain +=
        QStringLiteral("<li><b>%1</b>: %2</li>")
            .arg(QString::fromStdString(info.name).toHtmlEscaped(), routerExplanation(info).toHtmlEscaped());
  explain +=
      tr("</ul>Each replica has its own cache of <i>Max tokens per replica</i>; a request can only hit "
         "what its replica holds.");
  m_explain = new QLabel(explain);
  m_explain->setObjectName(QStringLiteral("fleetRouterExplanations"));
  m_explain->setWordWrap(true);
  m_explain->setTextFormat(Qt::RichText);
  m_explain->setAlignment(Qt::AlignTop | Qt::AlignLeft);
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

  auto* right = new QSplitter(Qt::Vertical);
  right->addWidget(stripsBox);
  right->addWidget(m_table);
  right->addWidget(m_explain);
  right->setStretchFactor(0, 3);
  right->setStretchFactor(1, 2);
  right->setStretchFactor(2, 2);
  auto* body = new QSplitter(Qt::Horizontal);
  body->addWidget(m_chart);
  body->addWidget(right);
  body->setStretchFactor(0, 3);
  body->setStretchFactor(1, 2);
  addSlide(m_chart, m_chart->title());
  addSlide(stripsBox, tr("Replicas"));
  addSlide(m_explain, tr("How the routers choose"));
  setParts(controls, body);
  updateHeadline();

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

void FleetPage::setTracePath(const QString& path) { m_selection->setSource(path); }
void FleetPage::setReplicas(int replicas) { m_replicas->setValue(replicas); }
void FleetPage::setMaxTokensPerReplica(const QString& tokens) { m_maxTokens->setText(tokens); }
void FleetPage::setBlockSize(int tokens) { m_blockSize->setValue(tokens); }
void FleetPage::setExplanationsVisible(bool visible) { m_chart->setExplanationVisible(visible); }

void FleetPage::setTypeScale(const TypeScale& scale) {
  PageWidget::setTypeScale(scale);
  const QFont body = scale.font(TextRole::Body, font());
  for (QWidget* w : std::initializer_list<QWidget*>{m_strips, m_explain, m_table}) w->setFont(body);
}

void FleetPage::runSelectedRouter() { start({m_router->currentText()}, /*comparison=*/false); }

void FleetPage::compareAllRouters() {
  // A router that reads session ids runs only on a trace whose format carries them (as the CLI's "all").
  bool sessions = false;
  const QString source = m_selection->source();
  if (isTraceSource(source)) {
    try {
      sessions = formatCarriesSessions(detectTraceFormat(source.toStdString()).name);
    } catch (const std::exception&) {
      sessions = false;  // the run itself reports what is wrong with the source
    }
  }
  QStringList routers;
  for (const RouterInfo& info : routerRegistry())
    if (!info.needsSessions || sessions) routers << QString::fromStdString(info.name);
  if (start(routers, /*comparison=*/true)) {
    m_table->setRowCount(0);
    m_rowViews.clear();
    m_rows.clear();
    updateHeadline();
  }
}

void FleetPage::stop() {
  if (m_cancel) m_cancel->store(true);
}

QString FleetPage::capacityText() const { return tr("%1 tokens").arg(m_maxTokens->text().trimmed()); }

bool FleetPage::start(const QStringList& routers, bool comparison) {
  if (m_thread) return false;
  FleetConfig base;
  try {
    base.replica.maxTokens = parseCount(m_maxTokens->text().toStdString(), "max tokens per replica", 0);
  } catch (const InputError& e) {
    m_status->setText(QString::fromStdString(e.what()));
    Q_EMIT runFailed(m_status->text());
    Q_EMIT workFinished(false);
    return false;
  }
  base.replicas = std::size_t(m_replicas->value());
  base.replica.prompts = m_selection->promptOptions();  // a prompts file's tokenizer and chat template
  base.routerParams.loadWeight = m_loadWeight->value();
  base.routerParams.affinityBlocks = std::uint32_t(m_affinityBlocks->value());
  const std::string source = m_selection->source().toStdString();
  const std::uint32_t blockSize = std::uint32_t(m_blockSize->value());
  std::vector<FleetConfig> configs;
  for (const QString& router : routers) {
    configs.push_back(base);
    configs.back().router = router.toStdString();
  }
  const int runId = ++m_runId;
  m_comparison = comparison;
  m_runReplicas = m_replicas->value();
  m_runCapacity = capacityText();
  m_cancel = std::make_shared<std::atomic<bool>>(false);
  auto cancel = m_cancel;
  m_thread = QThread::create([this, runId, cancel, configs, source, blockSize] {
    QString error;
    try {
      // A trace streams from its file (replayFleetFile, as `kvlab-cli fleet`); a scenario's request stream
      // is built once and replayed through the same FleetReplayer.
      const bool trace = SourceSelection::isTrace(QString::fromStdString(source));
      SourceRequests scenario;
      if (!trace) scenario = loadSourceRequests(source, {}, blockSize);
      for (FleetConfig config : configs) {
        config.replica.blockSize = trace ? blockSize : scenario.blockSize;  // 0 = the trace's own
        auto last = std::chrono::steady_clock::now();
        std::vector<double> occupancy;
        const auto onRequest = [&](const FleetReplayer& fleet, std::size_t) {
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
        };
        FleetResult result;
        if (trace) {
          result = replayFleetFile(source, config, {}, onRequest);
        } else {
          FleetReplayer fleet(config);
          for (const TraceRequest& request : scenario.requests) onRequest(fleet, fleet.replay(request));
          result = fleet.result();
        }
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
  m_status->setText(comparison ? tr("Comparing %1 routers on %2…")
                                     .arg(routers.size())
                                     .arg(SourceSelection::displayName(QString::fromStdString(source)))
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
    m_rows.push_back({QString::fromStdString(result.router), result.tokenHitRate(), result.loadImbalance(),
                      result.sharedCache, result.fleet.evictions});
    updateHeadline();
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
  updateHeadline();
  if (!error.isEmpty()) {
    m_status->setText(error);
    Q_EMIT runFailed(error);
    Q_EMIT workFinished(false);
    return;
  }
  m_status->setText(
      m_comparison
          ? tr("Every router on %1: %2 replicas × %3 each; core/fleet, as kvlab-cli fleet --router all.")
                .arg(SourceSelection::displayName(m_selection->source()))
                .arg(m_runReplicas)
                .arg(m_runCapacity)
          : tr("Done."));
  if (m_comparison) {
    // The strips show the headline's router (the best with separate caches), not the bound that ran last.
    int best = -1;
    for (std::size_t i = 0; i < m_rows.size(); ++i)
      if (!m_rows[i].sharedCache && (best < 0 || m_rows[i].hitRate > m_rows[std::size_t(best)].hitRate))
        best = int(i);
    if (best >= 0) m_table->selectRow(best);
  }
  Q_EMIT(m_comparison ? comparisonFinished() : runFinished());
  Q_EMIT workFinished(true);
}

void FleetPage::updateHeadline() {
  const FleetHeadlineText text = FleetHeadline::compose(m_rows, m_runReplicas, isRunning() && m_comparison);
  headline()->setText(text.headline, text.detail);
  m_chart->setRows(m_rows, m_runReplicas, m_runCapacity);
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
  // Every line shown: the splitter gives the table at least the height of its rows.
  m_table->resizeRowsToContents();
  m_table->setMinimumHeight(m_table->horizontalHeader()->height() + m_table->verticalHeader()->length() +
                            2 * m_table->frameWidth() + 2);
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

void FleetPage::appendReport(ReportDocument& report) const {
  report.section(tr("Fleet: routers against the shared-cache bound"), headline()->headline(),
                 headline()->detail());
  QString html = QStringLiteral("<p>%1</p><table border=1 cellspacing=0 cellpadding=3><tr>")
                     .arg(m_status->text().toHtmlEscaped());
  for (int c = 0; c < m_table->columnCount(); ++c)
    html += QStringLiteral("<th>%1</th>").arg(m_table->horizontalHeaderItem(c)->text().toHtmlEscaped());
  html += QStringLiteral("</tr>");
  for (int r = 0; r < m_table->rowCount(); ++r) {
    html += QStringLiteral("<tr>");
    for (int c = 0; c < m_table->columnCount(); ++c)
      html += QStringLiteral("<td>%1</td>")
                  .arg(m_table->item(r, c) ? m_table->item(r, c)->text().toHtmlEscaped() : QString());
    html += QStringLiteral("</tr>");
  }
  report.html(html + QStringLiteral("</table>"));
  report.chart(*m_chart);
  report.html(m_explain->text());
}

QStringList FleetPage::exportFiles(const QDir& dir) const {
  QStringList written;
  if (!hasResults()) return written;
  QDir().mkpath(dir.path());
  written << m_chart->writeFiles(dir.path());
  written << dir.filePath(QStringLiteral("fleet-comparison.csv"));
  if (!exportComparisonCsv(written.last()))
    throw std::runtime_error("could not write " + written.last().toStdString());
  return written;
}

}  // namespace kvlab
