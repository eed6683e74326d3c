// SPDX-License-Identifier: MIT
#pragma once
// Keeps what a run reported (info, per-request records, one cache snapshot row per request, the summary)
// and writes it out: requests.csv, snapshots.csv, summary.json. Used by `kvlab-cli run --out` and the GUI's
// exports. Callbacks arrive on the run thread; read the data only after onRunFinished (or under your own
// synchronisation).
#include <string>
#include <vector>

#include "core/runner/request_row.h"
#include "core/runner/run_types.h"

namespace kvlab {

struct SnapshotRow {
  int request = 0;
  TimeMs timeMs = 0;
  double tokenHitRate = 0;  // cumulative
  Bytes usedBytes = 0;
  Bytes capacityBytes = 0;
  Bytes pinnedBytes = 0;
  std::uint64_t entries = 0;
  std::uint64_t evictions = 0;  // cumulative, all reasons except TTL
  std::uint64_t expirations = 0;
};

class RunRecorder : public RunObserver {
public:
  void onRunStarted(const RunInfo& info) override { m_info = info; }
  void onRequestDone(const RequestRecord& record, const CacheSnapshot& cache) override;
  void onRunFinished(const RunSummary& summary) override { m_summary = summary; }

  const RunInfo& info() const { return m_info; }
  const std::vector<RequestRecord>& records() const { return m_records; }
  const std::vector<SnapshotRow>& snapshots() const { return m_snapshots; }
  const RunSummary& summary() const { return m_summary; }

  // requests.csv rows (schema: core/runner/request_row.h), one per request.
  const std::vector<RequestRow>& rows() const { return m_rows; }

  // Each writer goes through a temporary file and a rename (no half-written file on failure).
  static void writeSnapshotsCsv(const std::string& path, const std::vector<SnapshotRow>& rows);
  void writeAll(const std::string& directory) const;  // creates the directory if needed

private:
  RunInfo m_info;
  LowerTierHits m_lowerTierHits;  // tiered runs: hits the device counters did not count
  std::vector<RequestRecord> m_records;
  std::vector<RequestRow> m_rows;
  std::vector<SnapshotRow> m_snapshots;
  RunSummary m_summary;
};

// The run summary as one JSON object (the keys `kvlab-cli run --json` prints).
std::string summaryJson(const RunInfo& info, const RunSummary& summary);

}  // namespace kvlab
