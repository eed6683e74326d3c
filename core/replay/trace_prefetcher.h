// SPDX-License-Identifier: MIT
#pragma once
// Parses a trace on a thread of its own, a batch of requests ahead of the consumer, so parsing and replay
// overlap on two cores (each takes about half of a replay's time on the published traces).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/trace/trace_bounds.h"
#include "core/trace/trace_reader.h"

namespace kvlab {

class TracePrefetcher {
public:
  // A request of a batch; its hash ids are batch.hashIds[firstId, firstId + idCount), its per-block token
  // counts (formats that give them) batch.blockTokens[firstToken, firstToken + tokenCount) (0 or idCount).
  struct Request {
    std::int64_t timestampMs = 0;
    std::uint32_t inputLength = 0;
    std::uint32_t outputLength = 0;
    std::size_t firstId = 0;
    std::size_t idCount = 0;
    std::size_t firstToken = 0;
    std::size_t tokenCount = 0;
    std::uint32_t session = kNoLabel;  // the reader's annotations (TraceInfo label indices)
    std::uint32_t model = kNoLabel;
  };
  // Flat storage: a recycled batch's memory is bounded by the largest batch seen (kBatchRequests requests
  // and their ids), not by per-request vectors that each keep the capacity of the longest request that
  // ever passed through them.
  struct Batch {
    std::vector<Request> requests;
    std::vector<std::uint64_t> hashIds;
    std::vector<std::uint32_t> blockTokens;
    std::uint64_t bytesRead = 0;  // of the file, after the batch's last line
    std::span<const std::uint64_t> idsOf(const Request& r) const {
      return {hashIds.data() + r.firstId, r.idCount};
    }
    std::span<const std::uint32_t> tokensOf(const Request& r) const {
      return {blockTokens.data() + r.firstToken, r.tokenCount};
    }
  };

  // Starts the parser thread on an opened reader (trace_format.h: openTraceReader), which it owns.
  explicit TracePrefetcher(std::unique_ptr<TraceReader> reader);
  ~TracePrefetcher();  // stops and joins the parser thread
  TracePrefetcher(const TracePrefetcher&) = delete;
  TracePrefetcher& operator=(const TracePrefetcher&) = delete;

  // The next batch in file order, or false at the end. A parse error (InputError) is rethrown here, after
  // every request before the bad line was delivered. Consumer thread only; pass the batch back with
  // recycle() to reuse its memory.
  bool next(Batch& batch);
  void recycle(Batch&& batch);

  std::uint64_t fileSize() const { return m_fileSize; }
  // The reader's trace description (format, block size); its label tables are complete once next()
  // returned false.
  const TraceInfo& info() const { return m_reader->info(); }
  // Valid once next() returned false.
  std::uint64_t skippedLines() const { return m_skippedLines; }
  // For traces that keep chunk ids (TraceInfo::hasChunkIds): the infinite-cache bounds, prefix and
  // chunk-level, computed on the parser thread as it reads; nullopt otherwise. Valid once next() returned
  // false.
  const std::optional<TraceBounds>& bounds() const { return m_bounds; }
  const std::vector<std::string>& skipReasons() const { return m_skipReasons; }

private:
  void parseAll();

  static constexpr std::size_t kBatchRequests = 1024;
  static constexpr std::size_t kBatchesAhead = 4;

  std::unique_ptr<TraceReader> m_reader;  // parser thread only, until it finishes
  TraceRequest m_request;        // parser thread only: the line being parsed
  std::uint64_t m_fileSize = 0;
  std::unique_ptr<TraceBoundsPass> m_boundsPass;  // parser thread only; formats with chunk ids

  std::mutex m_mutex;  // guards everything below
  std::condition_variable m_changed;
  std::deque<Batch> m_ready;
  std::vector<Batch> m_free;
  bool m_done = false;
  bool m_stop = false;
  std::exception_ptr m_error;
  std::uint64_t m_skippedLines = 0;
  std::vector<std::string> m_skipReasons;
  std::optional<TraceBounds> m_bounds;

  std::thread m_thread;  // last: starts after every member above exists
};

}  // namespace kvlab
