// SPDX-License-Identifier: MIT
#pragma once
// The GUI-thread record of the current run and of earlier runs kept for comparison. Fed by
// RunController::batchReady; every chart, the request view and the status bar observe it and read it
// when it signals. Keeps per-request numbers (not whole snapshots), the latest cache snapshot, and a live
// copy of it advanced by the cache events that came after the last finished request, so a max-size change
// during a pause shows at once.
#include <QObject>
#include <QString>
#include <array>
#include <vector>

#include "core/runner/request_row.h"
#include "ui/run_batch.h"

namespace kvlab {

// One finished request, reduced to what the charts and the CSV export need.
struct RequestPoint {
  int index = 0;
  std::string session;
  double timeS = 0;  // engine clock after the request, seconds
  std::uint32_t promptTokens = 0;
  std::uint32_t hitTokens = 0;        // every tier
  std::uint32_t hostHitTokens = 0;    // part of hitTokens promoted from the host tier
  std::uint32_t remoteHitTokens = 0;  // part of hitTokens fetched from the remote tier
  double ttftCachedMs = 0;
  double ttftUncachedMs = -1;  // -1: no baseline
  double flopsCached = 0;
  double flopsUncached = 0;
  double maxAbsLogitDiff = -1;
  std::uint64_t requestEvictions = 0;
  Bytes usedBytes = 0;
  Bytes capacityBytes = 0;
  std::uint64_t entries = 0;
  std::uint64_t cumHitTokens = 0;        // cache counters after the request, + lower-tier hits (every tier)
  std::uint64_t deviceCumHitTokens = 0;  // the device cache's counter alone
  std::uint64_t cumQueriedTokens = 0;
  std::array<std::uint64_t, kEvictReasonCount> evictions{};      // cumulative entries, by reason
  RequestRow csvRow;                                             // the request as requests.csv writes it
  std::array<std::uint64_t, kEvictReasonCount> evictedTokens{};  // cumulative tokens, by reason
  std::array<std::uint64_t, kMissReasonCount> missTokens{};      // cumulative, by MissReason
  std::uint64_t tooLargeTokens = 0;                              // cumulative: larger than the cache
  Bytes pinnedBytes = 0;
};

// Why tokens were computed instead of reused: cold, evicted, expired, orphaned, too large.
struct MissBreakdown {
  std::array<std::uint64_t, kMissReasonCount> tokens{};
  std::uint64_t tooLarge = 0;
  std::uint64_t total() const { return tokens[0] + tokens[1] + tokens[2] + tokens[3]; }
};

struct RunTrack {
  int runId = 0;
  RunInfo info;
  QString label;  // parameters, for legends: "#2 block/16 lru 64.00 MiB ttl off"
  std::vector<RequestPoint> points;
  LowerTierHits lowerTierHits;  // tiered runs: hit tokens so far that the device counters did not count
  RequestRecord lastRecord;     // with its text, for the request view
  CacheSnapshot cache;          // after the last finished request
  CacheSnapshot live;           // `cache` advanced by later events (== cache when liveAhead is false)
  bool liveAhead = false;
  std::uint64_t events = 0;  // received (the log keeps only the newest)
  std::uint64_t droppedEvents = 0;
  std::vector<DecodeStep> decodeSteps;  // the decode scenario: per-step times both ways, in step order
  std::optional<RunSummary> summary;
  QString error;
  bool finished() const { return summary.has_value(); }
};

class RunHistory : public QObject {
  Q_OBJECT
public:
  static constexpr int kMaxEarlierRuns = 6;

  explicit RunHistory(QObject* parent = nullptr);

  // GUI thread. The last element is the current run; the others are earlier runs, oldest first.
  const std::vector<RunTrack>& runs() const { return m_runs; }
  const RunTrack* current() const { return m_runs.empty() ? nullptr : &m_runs.back(); }
  int earlierCount() const { return m_runs.empty() ? 0 : int(m_runs.size()) - 1; }
  // A legend name for `run` that fits a chart: "#2 64.00 MiB" — the run number and only the parameters
  // that differ between the runs kept (scenario, granularity/block size, policy, max size, TTL);
  // "#2 (same settings)" when none differs.
  QString legendLabel(const RunTrack& run) const;
  // The position of `run` among the earlier runs (0 = oldest kept), for its colour; -1 for the current one.
  int earlierIndex(const RunTrack& run) const;

  // Cumulative token hit rate (0..1) after point i; windowed over the `window` requests ending at i.
  static double windowedHitRate(const RunTrack& run, std::size_t i, std::size_t window);
  // Miss tokens of point i alone (difference of the cumulative counters), or of the whole run so far.
  static MissBreakdown missesOf(const RunTrack& run, std::size_t i);
  static MissBreakdown missesSoFar(const RunTrack& run);

public Q_SLOTS:
  void apply(const kvlab::RunBatch& batch);
  // The user changed max size during the run: the live view shows the new limit before the next request.
  void setLiveCapacity(kvlab::Bytes bytes);
  void clearEarlier();
  void clearAll();

Q_SIGNALS:
  void runStarted();  // a new current run (earlier runs may have changed too)
  void updated();     // current run changed; at most once per batch
  void eventsArrived(const std::deque<kvlab::CacheEvent>& events);
  void runFinished();
  void cleared();  // runs removed

private:
  static QString labelFor(const RunInfo& info);
  static void applyEvent(CacheSnapshot& live, const CacheEvent& event);

  std::vector<RunTrack> m_runs;
};

}  // namespace kvlab
