// SPDX-License-Identifier: MIT
#pragma once
// The in-memory trace every consumer reads: the requests of any format in arrival order, with what the
// reader knew about them (format, block size, label tables) and what it skipped. Streaming consumers
// (kvlab-cli replay, fleet) read a TraceReader directly instead; both come from trace_format.h.
#include <cstdint>
#include <string>
#include <vector>

#include "core/trace/trace_format.h"
#include "core/trace/trace_info.h"
#include "core/trace/trace_request.h"
#include "core/util/input_error.h"

namespace kvlab {

struct Trace {
  TraceInfo info;
  std::vector<TraceRequest> requests;  // arrival order
  std::uint64_t skippedLines = 0;      // malformed lines (records) skipped with skipBadLines
  std::vector<std::string> skipReasons;  // the first 10, as full messages
};

// Reads the whole trace at path (detected or forced format) into memory. Throws InputError on a malformed
// line (unless options.skipBadLines) and when no request is left (emptyTraceError).
Trace loadTrace(const std::string& path, const TraceOpenOptions& options = {});
// The rest of an opened reader, same rules.
Trace readTrace(TraceReader& reader);

// The error for a trace without a single request: empty or blank, or every line skipped.
InputError emptyTraceError(const std::string& path, std::uint64_t skippedLines);

}  // namespace kvlab
