// SPDX-License-Identifier: MIT
#include "core/replay/event_csv_writer.h"

namespace kvlab {

EventCsvWriter::EventCsvWriter(const std::string& path) : m_file(path) {
  m_file.stream() << "time_ms,type,reason,entry_id,layer,block,bytes,tokens,age_ms,idle_ms,reuse_count\n";
}

void EventCsvWriter::onCacheEvent(const CacheEvent& e) {
  std::string_view reason;
  if (e.type == CacheEventType::Eviction)
    reason = toString(e.evictReason);
  else if (e.type == CacheEventType::Miss)
    reason = toString(e.missReason);
  m_file.stream() << e.timeMs << ',' << toString(e.type) << ',' << reason << ',' << e.entryId << ','
                  << e.layer << ',' << e.block << ',' << e.bytes << ',' << e.tokens << ',' << e.ageMs << ','
                  << e.idleMs << ',' << e.reuseCount << '\n';
  ++m_rows;
}

}  // namespace kvlab
