// SPDX-License-Identifier: MIT
#include "core/replay/trace_prefetcher.h"

namespace kvlab {

TracePrefetcher::TracePrefetcher(std::unique_ptr<TraceReader> reader)
    : m_reader(std::move(reader)),
      m_fileSize(m_reader->fileSize()),
      m_boundsPass(m_reader->info().hasChunkIds ? std::make_unique<TraceBoundsPass>(m_reader->info().blockSize)
                                                : nullptr),
      m_thread([this] { parseAll(); }) {}

TracePrefetcher::~TracePrefetcher() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_changed.notify_all();
  m_thread.join();
}

void TracePrefetcher::parseAll() {
  try {
    while (true) {
      Batch batch;
      {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [this] { return m_stop || m_ready.size() < kBatchesAhead; });
        if (m_stop) return;
        if (!m_free.empty()) {
          batch = std::move(m_free.back());
          m_free.pop_back();
        }
      }
      batch.requests.clear();  // keeps the capacity of a recycled batch
      batch.hashIds.clear();
      batch.blockTokens.clear();
      std::size_t n = 0;
      for (; n < kBatchRequests && m_reader->next(m_request); ++n) {
        if (m_boundsPass) m_boundsPass->add(m_request);
        batch.requests.push_back({m_request.timestampMs, m_request.inputLength, m_request.outputLength,
                                  batch.hashIds.size(), m_request.hashIds.size(), batch.blockTokens.size(),
                                  m_request.blockTokens.size(), m_request.session, m_request.model});
        batch.hashIds.insert(batch.hashIds.end(), m_request.hashIds.begin(), m_request.hashIds.end());
        if (!m_request.blockTokens.empty())
          batch.blockTokens.insert(batch.blockTokens.end(), m_request.blockTokens.begin(),
                                   m_request.blockTokens.end());
      }
      batch.bytesRead = m_reader->bytesRead();
      const bool last = n < kBatchRequests;
      {
        std::lock_guard lock(m_mutex);
        if (n > 0) m_ready.push_back(std::move(batch));
        if (last) {
          m_done = true;
          m_skippedLines = m_reader->skippedLines();
          m_skipReasons = m_reader->firstSkipReasons();
          if (m_boundsPass) m_bounds = m_boundsPass->result();
        }
      }
      m_changed.notify_all();
      if (last) return;
    }
  } catch (...) {
    // The requests parsed before the bad line are in a batch that is lost here; a replay that stops on a
    // malformed line reports the error, not partial counts, so that is fine.
    {
      std::lock_guard lock(m_mutex);
      m_error = std::current_exception();
      m_done = true;
    }
    m_changed.notify_all();
  }
}

bool TracePrefetcher::next(Batch& batch) {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [this] { return !m_ready.empty() || m_done; });
  if (!m_ready.empty()) {
    batch = std::move(m_ready.front());
    m_ready.pop_front();
    lock.unlock();
    m_changed.notify_all();
    return true;
  }
  if (m_error) std::rethrow_exception(m_error);
  return false;
}

void TracePrefetcher::recycle(Batch&& batch) {
  std::lock_guard lock(m_mutex);
  m_free.push_back(std::move(batch));
}

}  // namespace kvlab
