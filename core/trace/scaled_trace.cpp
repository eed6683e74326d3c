// SPDX-License-Identifier: MIT
#include "core/trace/scaled_trace.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>
#include <stdexcept>

#include "core/util/atomic_file.h"
#include "core/util/input_error.h"

namespace kvlab {

namespace {

constexpr std::size_t kFlushBytes = 1u << 20;

void appendNumber(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// The published traces' layout: {"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0,
// 1]}
void appendLine(std::string& out, const TraceRequest& r) {
  out += "{\"timestamp\": ";
  appendNumber(out, std::uint64_t(r.timestampMs));
  out += ", \"input_length\": ";
  appendNumber(out, r.inputLength);
  out += ", \"output_length\": ";
  appendNumber(out, r.outputLength);
  out += ", \"hash_ids\": [";
  for (std::size_t i = 0; i < r.hashIds.size(); ++i) {
    if (i > 0) out += ", ";
    appendNumber(out, r.hashIds[i]);
  }
  out += "]}\n";
}

}  // namespace

TraceRequest scaledRequest(const TraceRequest& request, std::uint32_t copy, const TraceScaling& scaling) {
  TraceRequest out = request;
  out.timestampMs += std::int64_t(copy) * scaling.timeStrideMs;
  const std::uint64_t idShift = std::uint64_t(copy) * scaling.idStride;
  for (std::uint64_t& id : out.hashIds) id += idShift;
  return out;
}

ScaledTraceInfo writeScaledTrace(const std::string& inputPath, const std::string& outputPath,
                                 std::uint32_t copies, const TraceOpenOptions& options) {
  if (copies == 0) throw InputError("", 0, "scale", "must be at least 1 copy, got 0");

  // Pass 1: the strides (and a full validation of the source before anything is written).
  std::uint64_t maxId = 0, requests = 0, blocks = 0;
  std::int64_t firstMs = 0, lastMs = 0;
  {
    const std::unique_ptr<TraceReader> reader = openTraceReader(inputPath, options);
    if (!reader->info().hasBlockIds || reader->info().perBlockTokens)
      throw InputError(inputPath, 0, "scale",
                       "a scaled copy is written as Mooncake lines, which carry uniform blocks only; this " +
                           reader->info().format + " trace has " +
                           (reader->info().hasBlockIds ? "per-block token counts" : "no block ids"));
    TraceRequest r;
    while (reader->next(r)) {
      if (requests == 0) firstMs = r.timestampMs;
      lastMs = r.timestampMs;  // the reader guarantees sorted timestamps
      for (const std::uint64_t id : r.hashIds) maxId = std::max(maxId, id);
      ++requests;
      blocks += r.hashIds.size();
    }
  }
  if (requests == 0) throw InputError(inputPath, 0, "", "contains no requests (empty, or blank lines only)");

  constexpr auto kMaxU64 = std::numeric_limits<std::uint64_t>::max();
  constexpr auto kMaxI64 = std::numeric_limits<std::int64_t>::max();
  const std::uint64_t extra = copies - 1;  // copies beyond the first
  if (maxId == kMaxU64 || (extra > 0 && (maxId + 1) > (kMaxU64 - maxId) / extra))
    throw InputError(
        "", 0, "scale",
        std::to_string(copies) + " copies of ids up to " + std::to_string(maxId) + " do not fit in 64 bits");
  const std::uint64_t timeStride = std::uint64_t(lastMs - firstMs) + 1;
  if (extra > 0 && timeStride > (std::uint64_t(kMaxI64) - std::uint64_t(lastMs)) / extra)
    throw InputError("", 0, "scale",
                     std::to_string(copies) + " copies of a trace spanning " + std::to_string(timeStride) +
                         " ms do not fit in 64-bit timestamps");

  ScaledTraceInfo info;
  info.scaling = TraceScaling{maxId + 1, std::int64_t(timeStride), copies};
  info.requests = requests * copies;
  info.blocks = blocks * copies;

  // Passes 2..copies+1: one per copy, streaming through a 1 MiB text buffer.
  std::unique_ptr<AtomicFile> file;
  try {
    file = std::make_unique<AtomicFile>(outputPath);
  } catch (const std::runtime_error& e) {
    throw InputError(outputPath, 0, "", "cannot be written: " + std::string(e.what()));
  }
  std::string text;
  text.reserve(kFlushBytes + 4096);
  TraceRequest r;
  for (std::uint32_t copy = 0; copy < copies; ++copy) {
    const std::unique_ptr<TraceReader> reader = openTraceReader(inputPath, options);
    while (reader->next(r)) {
      appendLine(text, scaledRequest(r, copy, info.scaling));
      if (text.size() >= kFlushBytes) {
        file->stream().write(text.data(), std::streamsize(text.size()));
        text.clear();
      }
    }
  }
  file->stream().write(text.data(), std::streamsize(text.size()));
  try {
    file->commit();
  } catch (const std::runtime_error& e) {
    throw InputError(outputPath, 0, "", e.what());
  }
  return info;
}

}  // namespace kvlab
