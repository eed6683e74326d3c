// SPDX-License-Identifier: MIT
#include "core/trace/trace.h"

#include "core/util/input_error.h"

namespace kvlab {

InputError emptyTraceError(const std::string& path, std::uint64_t skippedLines) {
  return InputError(path, 0, "",
                    skippedLines > 0 ? "has no valid request: all " + std::to_string(skippedLines) +
                                           " non-blank lines were malformed and skipped"
                                     : "contains no requests (empty, or blank lines only)");
}

Trace readTrace(TraceReader& reader) {
  Trace trace;
  TraceRequest request;
  while (reader.next(request)) trace.requests.push_back(request);
  trace.info = reader.info();
  trace.skippedLines = reader.skippedLines();
  trace.skipReasons = reader.firstSkipReasons();
  if (trace.requests.empty()) throw emptyTraceError(trace.info.path, trace.skippedLines);
  return trace;
}

Trace loadTrace(const std::string& path, const TraceOpenOptions& options) {
  const auto reader = openTraceReader(path, options);
  return readTrace(*reader);
}

}  // namespace kvlab
