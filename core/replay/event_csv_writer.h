// SPDX-License-Identifier: MIT
#pragma once
#include <string>

#include "core/cache/cache_types.h"
#include "core/util/atomic_file.h"
#include "core/util/csv_writer.h"

namespace kvlab {

// Writes every cache event as one CSV record (`kvlab-cli replay --events`). The events.csv schema is defined
// here once and shared with the GUI's export: seq,time_ms,type,reason,entry_id,layer,block,bytes,tokens,
// age_ms,idle_ms,reuse_count. seq numbers the events of a run from 1 (the GUI keeps only the newest, so
// its seq may start later); reason is the miss or eviction reason, empty for other events.
// Call finish() to publish the file; without it no file appears.
class EventCsvWriter final : public CacheObserver {
public:
  explicit EventCsvWriter(const std::string& path);
  void onCacheEvent(const CacheEvent& event) override;
  void finish() { m_file.commit(); }
  std::uint64_t rows() const { return m_rows; }  // events written

  static void writeHeader(CsvWriter& csv);
  static void writeRow(CsvWriter& csv, std::uint64_t seq, const CacheEvent& event);

private:
  AtomicFile m_file;
  CsvWriter m_csv;
  std::uint64_t m_rows = 0;
};

}  // namespace kvlab
