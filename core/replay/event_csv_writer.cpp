// SPDX-License-Identifier: MIT
#include "core/replay/event_csv_writer.h"

namespace kvlab {

EventCsvWriter::EventCsvWriter(const std::string& path) : m_file(path), m_csv(m_file.stream()) {
  writeHeader(m_csv);
}

void EventCsvWriter::onCacheEvent(const CacheEvent& e) { writeRow(m_csv, ++m_rows, e); }

void EventCsvWriter::writeHeader(CsvWriter& csv) {
  csv.row({"seq", "time_ms", "type", "reason", "entry_id", "layer", "block", "bytes", "tokens", "age_ms",
           "idle_ms", "reuse_count"});
}

void EventCsvWriter::writeRow(CsvWriter& csv, std::uint64_t seq, const CacheEvent& e) {
  std::string_view reason;
  if (e.type == CacheEventType::Eviction)
    reason = toString(e.evictReason);
  else if (e.type == CacheEventType::Miss)
    reason = toString(e.missReason);
  csv.field(seq).field(e.timeMs).field(toString(e.type)).field(reason).field(e.entryId).field(e.layer);
  csv.field(e.block).field(e.bytes).field(e.tokens).field(e.ageMs).field(e.idleMs).field(e.reuseCount);
  csv.endRow();
}

}  // namespace kvlab
