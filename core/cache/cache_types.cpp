// SPDX-License-Identifier: MIT
#include "core/cache/cache_types.h"

#include <string>

#include "core/util/input_error.h"

namespace kvlab {

std::string_view toString(MissReason reason) {
  switch (reason) {
    case MissReason::Cold:
      return "cold";
    case MissReason::Evicted:
      return "evicted";
    case MissReason::Expired:
      return "expired";
    case MissReason::Orphaned:
      return "orphaned";
  }
  return "?";
}

std::string_view toString(EvictReason reason) {
  switch (reason) {
    case EvictReason::Capacity:
      return "capacity";
    case EvictReason::Ttl:
      return "ttl";
    case EvictReason::PolicyChange:
      return "policy change";
    case EvictReason::Clear:
      return "clear";
  }
  return "?";
}

std::string_view toString(TtlMode mode) { return mode == TtlMode::Age ? "age" : "idle"; }

TtlMode parseTtlMode(std::string_view text, std::string_view field) {
  if (text == "idle") return TtlMode::Idle;
  if (text == "age") return TtlMode::Age;
  throw InputError("", 0, std::string(field),
                   "unknown TTL mode " + quoteForError(text) +
                       " (choose from: idle = since last use, age = since insertion)");
}

std::string_view toString(CacheEventType type) {
  switch (type) {
    case CacheEventType::Insert:
      return "insert";
    case CacheEventType::Hit:
      return "hit";
    case CacheEventType::Miss:
      return "miss";
    case CacheEventType::Eviction:
      return "eviction";
  }
  return "?";
}

}  // namespace kvlab
