// SPDX-License-Identifier: MIT
// libFuzzer target: the size / duration / count parsers and their list forms. The first byte picks the
// parser, the rest is the text. Invariants: only InputError escapes, naming the field; an accepted value
// survives a format/parse round trip within the formatter's rounding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/util/input_error.h"
#include "core/util/units.h"

namespace {
void checkField(const kvlab::InputError& e, std::string_view field) {
  if (e.field.compare(0, field.size(), field) != 0 || e.message.empty()) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (which % 5) {
      case 0: {
        const uint64_t bytes = kvlab::parseSize(text, "max-size");
        if (bytes >= (15ull << 60)) break;  // "16.00 EiB" is past UINT64_MAX: no round trip up there
        // formatBytes prints two decimals: re-parsing is within 0.5% (+ rounding) of the value.
        const uint64_t again = kvlab::parseSize(kvlab::formatBytes(bytes), "again");
        const long double diff = static_cast<long double>(again) - static_cast<long double>(bytes);
        if ((diff < 0 ? -diff : diff) > static_cast<long double>(bytes) * 0.005L + 1) std::abort();
        break;
      }
      case 1: {
        const int64_t ms = kvlab::parseDurationMs(text, "ttl");
        if (ms < 0) std::abort();
        (void)kvlab::formatDurationMs(ms);
        break;
      }
      case 2: {
        const uint64_t lo = which >> 4;
        const uint64_t n = kvlab::parseCount(text, "count", lo, UINT32_MAX);
        if (n < lo || n > UINT32_MAX) std::abort();
        break;
      }
      case 3:
        (void)kvlab::parseSizeList(text, "sizes");
        break;
      case 4:
        (void)kvlab::parseCountList(text, "counts", 0);
        break;
    }
  } catch (const kvlab::InputError& e) {
    static constexpr std::string_view kFields[] = {"max-size", "ttl", "count", "sizes", "counts"};
    checkField(e, kFields[which % 5]);
  }
  return 0;
}
