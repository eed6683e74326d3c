// SPDX-License-Identifier: MIT
#pragma once
// The registry of trace formats and the one place that tells them apart: every consumer (replay, sweep,
// simulate, fleet, bench, the GUI) opens a trace through openTraceReader() or loadTrace() (trace.h) and
// never names a reader class. A format is detected from the content (the first line, a file's head, a
// directory's files), never from the file name alone; --input-format NAME forces one.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/trace/trace_reader.h"

namespace kvlab {

// What the sniffers look at, read once per detection.
struct TraceSniff {
  std::string path;
  bool isDirectory = false;
  std::vector<std::string> entries;  // a directory's regular file names, sorted
  std::string head;                  // a file's first bytes (up to 1 MiB)
  std::string firstLine;             // its first non-blank line within head (a BOM and CR removed)
  // When firstLine is one JSON object: its top-level keys, and the JSON type of its hash_ids ("array",
  // "object", "" = none). Sniffers go by keys, not values, so a bad value on line 1 still reaches the
  // right reader, which names the field.
  bool firstLineIsObject = false;
  std::vector<std::string> keys;
  std::string hashIdsType;
  bool hasKey(std::string_view key) const;
};

struct TraceFormat {
  std::string name;         // --input-format NAME
  std::string description;  // one line: what it is and its block size convention
  std::string patterns;     // file dialog patterns ("*.jsonl"); a directory format names its index file
  bool (*sniff)(const TraceSniff&) = nullptr;
  std::unique_ptr<TraceReader> (*open)(const std::string& path, TraceReadOptions options) = nullptr;
};

// Every format, in sniffing order (the first whose sniffer accepts wins).
const std::vector<TraceFormat>& traceFormats();
const TraceFormat* findTraceFormat(std::string_view name);
// "mooncake, qwen-bailian, ..." for help texts and errors.
std::string traceFormatNames();

struct TraceOpenOptions {
  std::string format;  // "" = detect from the content
  bool skipBadLines = false;
  PromptTextOptions prompts;  // the prompts format's tokenizer, chat template and block size
};

// The format of the trace at path, from its content. When no sniffer claims a file, the lab's own Mooncake
// reader takes it, so a broken line still gets its line number and field, unless its first line is a CSV
// header no reader knows: then, as for a directory no format claims, throws InputError(path, 0, "", ...)
// showing the first line and the --input-format names.
const TraceFormat& detectTraceFormat(const std::string& path);
// Opens a reader of the given or detected format. Throws InputError naming the field 'input-format' for an
// unknown name, or the file for what the reader's constructor rejects.
std::unique_ptr<TraceReader> openTraceReader(const std::string& path, const TraceOpenOptions& options = {});
// True when path is a directory or a file some trace format accepts, or a *.jsonl file (a broken trace:
// scenarios are .json), so simulate and the GUI tell traces from scenario files with it. Never throws.
bool looksLikeTrace(const std::string& path);

}  // namespace kvlab
