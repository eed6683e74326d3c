// SPDX-License-Identifier: MIT
#pragma once
// A larger trace made from a smaller one, for measuring replay at scale: the published Mooncake traces
// hold about 12k requests, production traces 100x more.
#include <cstdint>
#include <string>

#include "core/trace/trace_format.h"
#include "core/trace/trace_request.h"

namespace kvlab {

// How copy k (0-based) of the source trace is shifted: every hash id h becomes h + k * idStride and every
// timestamp t becomes t + k * timeStrideMs.
struct TraceScaling {
  std::uint64_t idStride = 0;     // source's largest hash id + 1, so no two copies share a block
  std::int64_t timeStrideMs = 0;  // source's last - first timestamp + 1 ms, so timestamps stay sorted
  std::uint32_t copies = 1;
};

struct ScaledTraceInfo {
  TraceScaling scaling;
  std::uint64_t requests = 0;  // in the written file (source requests x copies)
  std::uint64_t blocks = 0;    // hash ids in the written file
};

// Copy `copy` of a source request under `scaling` (the rule in TraceScaling). Pure; the caller checked
// that the shifted values fit (writeScaledTrace does).
TraceRequest scaledRequest(const TraceRequest& request, std::uint32_t copy, const TraceScaling& scaling);

// Writes `copies` back-to-back copies of the trace at inputPath (any format with uniform blocks; its
// chained keys become the hash ids) to outputPath as Mooncake JSON lines (the four fields, in the
// published traces' layout). Streams: reads the source copies + 1 times (one pass to find the strides) and
// holds one request at a time, so any size can be written in constant memory. The output appears whole or
// not at all (AtomicFile). Throws InputError naming the source file, line and field for a malformed source
// line (the reader's rules), naming the field 'scale' for copies = 0, for a source with per-block token
// counts or without block ids (Mooncake lines cannot carry them) or when shifted ids or timestamps would
// not fit in 64 bits, and naming outputPath if it cannot be written.
ScaledTraceInfo writeScaledTrace(const std::string& inputPath, const std::string& outputPath,
                                 std::uint32_t copies, const TraceOpenOptions& options = {});

}  // namespace kvlab
