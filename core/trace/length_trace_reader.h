// SPDX-License-Identifier: MIT
#pragma once
// Reader for length-only CSV traces: arrival times and token counts, no block ids, so no prefix reuse
// (TraceInfo::hasBlockIds = false: replay and sweep refuse them; simulate and fleet --serving take them as
// load). Two layouts, told apart by the header line:
//  - Azure LLM inference 2023 (Azure/AzurePublicDataset, AzureLLMInferenceTrace_{code,conv}.csv):
//      TIMESTAMP,ContextTokens,GeneratedTokens
//      2023-11-16 18:17:03.9799600,4808,10
//    TIMESTAMP is a date and time (UTC, 7 fractional digits): arrival = ms since the first row, rounded.
//  - BurstGPT (HPMLL/BurstGPT):
//      Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
//      5,ChatGPT,472,18,490,Conversation log
//    Timestamp is in seconds (ms = round(s x 1000)); Model and Log Type become the model and request-type
//    annotations.
// Rows must be in time order (both published sets are); the last line may lack its newline. Streams.
#include <string>

#include "core/trace/line_reader.h"
#include "core/trace/trace_reader.h"

namespace kvlab {

struct TraceSniff;

class LengthTraceReader final : public TraceReader {
public:
  enum class Layout { Azure, BurstGpt };

  // Reads the header line at once; throws InputError naming the file (line 1) if it is not the layout's.
  LengthTraceReader(const std::string& path, Layout layout, TraceReadOptions options = {});

  bool next(TraceRequest& out) override;
  std::uint64_t bytesRead() const override { return m_lines.bytesRead(); }
  std::uint64_t fileSize() const override { return m_lines.fileSize(); }

  static bool sniffAzure(const TraceSniff& sniff);
  static bool sniffBurstGpt(const TraceSniff& sniff);

private:
  LineReader m_lines;
  Layout m_layout;
  int m_time = -1, m_input = -1, m_output = -1, m_model = -1, m_type = -1;  // column indices
  std::size_t m_columns = 0;
  bool m_haveFirst = false;
  std::int64_t m_firstMs = 0;  // Azure: the first row's time, ms since the epoch
  std::int64_t m_lastTimestampMs = 0;
};

}  // namespace kvlab
