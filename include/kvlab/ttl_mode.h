// SPDX-License-Identifier: MIT
#pragma once
// Public (installed) header: what a cache's TTL measures. Shared by the engine (core/cache/cache_types.h
// includes it) and the public SimpleKVCache, so both name the same kvlab::TtlMode.
#include <cstdint>

namespace kvlab {

// Idle: time since the entry was last used (refreshed by every hit). Age: time since it was inserted (a
// dict-with-timestamps cache, like the original SimpleKVCache; hits do not refresh it).
enum class TtlMode : std::uint8_t { Idle, Age };

}  // namespace kvlab
