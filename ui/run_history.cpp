// SPDX-License-Identifier: MIT
#include "ui/run_history.h"

#include <algorithm>

#include "core/util/units.h"

namespace kvlab {

RunHistory::RunHistory(QObject* parent) : QObject(parent) {}

double RunHistory::windowedHitRate(const RunTrack& run, std::size_t i, std::size_t window) {
  std::uint64_t hit = 0;
  std::uint64_t total = 0;
  const std::size_t first = i + 1 >= window ? i + 1 - window : 0;
  for (std::size_t k = first; k <= i && k < run.points.size(); ++k) {
    hit += run.points[k].hitTokens;
    total += run.points[k].promptTokens;
  }
  return total ? double(hit) / double(total) : 0.0;
}

MissBreakdown RunHistory::missesOf(const RunTrack& run, std::size_t i) {
  MissBreakdown m;
  if (i >= run.points.size()) return m;
  const RequestPoint& p = run.points[i];
  const RequestPoint* before = i > 0 ? &run.points[i - 1] : nullptr;
  for (int r = 0; r < kMissReasonCount; ++r)
    m.tokens[std::size_t(r)] =
        p.missTokens[std::size_t(r)] - (before ? before->missTokens[std::size_t(r)] : 0);
  m.tooLarge = p.tooLargeTokens - (before ? before->tooLargeTokens : 0);
  return m;
}

MissBreakdown RunHistory::missesSoFar(const RunTrack& run) {
  MissBreakdown m;
  if (run.points.empty()) return m;
  m.tokens = run.points.back().missTokens;
  m.tooLarge = run.points.back().tooLargeTokens;
  return m;
}

QString RunHistory::labelFor(const RunInfo& info) {
  QString text = QStringLiteral("#%1 %2")
                     .arg(info.runId)
                     .arg(QString::fromStdString(std::string(toString(info.granularity))));
  if (info.granularity == Granularity::Block) text += QStringLiteral("/%1").arg(info.blockSize);
  text += QStringLiteral(" %1 %2").arg(QString::fromStdString(info.policy),
                                       QString::fromStdString(formatBytes(info.maxBytes)));
  text += info.ttlMs > 0 ? QStringLiteral(" ttl %1").arg(QString::fromStdString(formatDurationMs(info.ttlMs)))
                         : QStringLiteral(" ttl off");
  return text;
}

namespace {
// The parameters a legend may name, in order.
QStringList legendParts(const RunInfo& info) {
  QString layout = QString::fromStdString(std::string(toString(info.granularity)));
  if (info.granularity == Granularity::Block) layout += QStringLiteral("/%1").arg(info.blockSize);
  return {QString::fromStdString(info.scenarioName), layout, QString::fromStdString(info.policy),
          QString::fromStdString(formatBytes(info.maxBytes)),
          info.ttlMs > 0 ? QStringLiteral("ttl %1").arg(QString::fromStdString(formatDurationMs(info.ttlMs)))
                         : QStringLiteral("ttl off")};
}
}  // namespace

QString RunHistory::legendLabel(const RunTrack& run) const {
  const QStringList mine = legendParts(run.info);
  QStringList shown;
  for (qsizetype i = 0; i < mine.size(); ++i) {
    bool differs = false;
    for (const RunTrack& other : m_runs) differs = differs || legendParts(other.info)[i] != mine[i];
    if (differs) shown << mine[i];
  }
  if (shown.isEmpty()) return QStringLiteral("#%1 (same settings)").arg(run.info.runId);
  const QString label = QStringLiteral("#%1 ").arg(run.info.runId) + shown.join(QLatin1Char(' '));
  return label;
}

int RunHistory::earlierIndex(const RunTrack& run) const {
  for (std::size_t i = 0; i + 1 < m_runs.size(); ++i)
    if (&m_runs[i] == &run) return int(i);
  return -1;
}

void RunHistory::applyEvent(CacheSnapshot& live, const CacheEvent& event) {
  live.timeMs = std::max(live.timeMs, event.timeMs);
  const std::size_t layers = live.layerBytes.size();
  auto adjust = [&](int sign) {
    const Bytes bytes = event.bytes;
    live.usedBytes = sign > 0 ? live.usedBytes + bytes : live.usedBytes - std::min(live.usedBytes, bytes);
    live.entries = sign > 0 ? live.entries + 1 : (live.entries ? live.entries - 1 : 0);
    for (std::size_t l = 0; l < layers; ++l) {
      if (event.layer != kAllLayers && std::size_t(event.layer) != l) continue;
      const Bytes share = event.layer == kAllLayers ? bytes / Bytes(layers) : bytes;
      Bytes& b = live.layerBytes[l];
      b = sign > 0 ? b + share : b - std::min(b, share);
      if (l < live.layerEntries.size()) {
        std::uint64_t& n = live.layerEntries[l];
        n = sign > 0 ? n + 1 : (n ? n - 1 : 0);
      }
    }
  };
  switch (event.type) {
    case CacheEventType::Insert:
      adjust(+1);
      break;
    case CacheEventType::Eviction:
      adjust(-1);
      ++live.counters.evictions[std::size_t(event.evictReason)];
      live.counters.evictedTokens[std::size_t(event.evictReason)] += event.tokens;
      break;
    case CacheEventType::Hit:
    case CacheEventType::Miss:
      break;
  }
}

void RunHistory::apply(const RunBatch& batch) {
  if (batch.started) {
    RunTrack track;
    track.runId = batch.runId;
    track.info = *batch.started;
    track.label = labelFor(track.info);
    track.cache.capacityBytes = track.info.maxBytes;
    track.cache.ttlMs = track.info.ttlMs;
    track.cache.policy = track.info.policy;
    track.cache.layerBytes.assign(std::size_t(std::max(0, track.info.layers)), 0);
    track.cache.layerEntries.assign(std::size_t(std::max(0, track.info.layers)), 0);
    track.live = track.cache;
    // An unfinished earlier run without data (cancelled at once) is not worth comparing against.
    if (!m_runs.empty() && m_runs.back().points.empty()) m_runs.pop_back();
    m_runs.push_back(std::move(track));
    while (int(m_runs.size()) - 1 > kMaxEarlierRuns) m_runs.erase(m_runs.begin());
    Q_EMIT runStarted();
  }
  if (m_runs.empty() || m_runs.back().runId != batch.runId) {
    // A run that failed before it started: nothing to chart, the error goes to runFailed.
    return;
  }
  RunTrack& run = m_runs.back();
  // With tiers under the device cache, a block fetched from a lower tier was queried (and missed) in the
  // device cache, whose counters then do not count it as a hit: the hit-rate figures add, per request, the
  // record's hit tokens beyond the device counters' increase (0 if a tier's hits are counted there).
  const bool tiered = !run.info.remote.empty() || run.info.hostMaxBytes > 0;
  for (const RequestUpdate& update : batch.requests) {
    const RequestRecord& r = update.record;
    const CacheSnapshot& c = update.cache;
    RequestPoint p;
    p.index = r.index;
    p.session = r.session;
    p.timeS = double(c.timeMs) / 1000.0;
    p.promptTokens = r.promptTokens;
    p.hitTokens = r.hitTokens;
    p.hostHitTokens = r.hostHitTokens;
    p.remoteHitTokens = r.remoteHitTokens;
    p.ttftCachedMs = r.ttftCachedMs;
    p.ttftUncachedMs = r.ttftUncachedMs;
    p.flopsCached = r.flopsCached;
    p.flopsUncached = r.flopsUncached;
    p.maxAbsLogitDiff = r.maxAbsLogitDiff;
    p.requestEvictions = r.evictions;
    p.usedBytes = c.usedBytes;
    p.capacityBytes = c.capacityBytes;
    p.entries = c.entries;
    if (tiered) run.lowerTierHits.add(r, c);
    p.deviceCumHitTokens = c.counters.hitTokens;
    p.cumHitTokens = c.counters.hitTokens + run.lowerTierHits.total();
    p.cumQueriedTokens = c.counters.queriedTokens;
    p.evictions = c.counters.evictions;
    p.csvRow = RequestRow::from(run.runId, r, c, run.lowerTierHits.total());
    p.evictedTokens = c.counters.evictedTokens;
    p.missTokens = c.counters.missTokens;
    p.tooLargeTokens = c.counters.tooLargeTokens;
    p.pinnedBytes = c.pinnedBytes;
    run.points.push_back(std::move(p));
  }
  run.decodeSteps.insert(run.decodeSteps.end(), batch.decodeSteps.begin(), batch.decodeSteps.end());
  if (!batch.requests.empty()) {
    run.lastRecord = batch.requests.back().record;
    run.cache = batch.requests.back().cache;
    run.live = run.cache;
    run.liveAhead = false;
  }
  const std::size_t tail = batch.requests.empty() ? batch.events.size() : batch.eventsAfterLastRequest;
  for (std::size_t i = batch.events.size() - std::min(tail, batch.events.size()); i < batch.events.size();
       ++i) {
    applyEvent(run.live, batch.events[i]);
    run.liveAhead = true;
  }
  run.events += batch.events.size() + batch.droppedEvents;
  run.droppedEvents += batch.droppedEvents;
  if (!batch.error.empty()) run.error = QString::fromStdString(batch.error);
  if (batch.finished) {
    run.summary = *batch.finished;
    if (!batch.finished->cache.layerBytes.empty()) {
      run.cache = batch.finished->cache;
      run.live = run.cache;
      run.liveAhead = false;
    }
  }
  if (!batch.events.empty()) Q_EMIT eventsArrived(batch.events);
  Q_EMIT updated();
  if (batch.finished) Q_EMIT runFinished();
}

void RunHistory::setLiveCapacity(Bytes bytes) {
  if (m_runs.empty() || m_runs.back().finished()) return;
  RunTrack& run = m_runs.back();
  run.live.capacityBytes = bytes;
  run.liveAhead = true;
  Q_EMIT updated();
}

void RunHistory::clearEarlier() {
  if (m_runs.size() <= 1) return;
  m_runs.erase(m_runs.begin(), m_runs.end() - 1);
  Q_EMIT cleared();
}

void RunHistory::clearAll() {
  m_runs.clear();
  Q_EMIT cleared();
}

}  // namespace kvlab
