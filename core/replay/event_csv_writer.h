// SPDX-License-Identifier: MIT
#pragma once
#include <string>

#include "core/cache/cache_types.h"
#include "core/util/atomic_file.h"

namespace kvlab {

// Writes every cache event as one CSV row (time_ms,type,reason,entry_id,layer,block,bytes,tokens,age_ms,
// idle_ms,reuse_count). Call finish() to publish the file; without it no file appears.
class EventCsvWriter final : public CacheObserver {
public:
  explicit EventCsvWriter(const std::string& path);
  void onCacheEvent(const CacheEvent& event) override;
  void finish() { m_file.commit(); }
  std::uint64_t rows() const { return m_rows; }

private:
  AtomicFile m_file;
  std::uint64_t m_rows = 0;
};

}  // namespace kvlab
