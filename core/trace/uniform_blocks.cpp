// SPDX-License-Identifier: MIT
#include "core/trace/uniform_blocks.h"

#include <stdexcept>

#include "core/trace/block_chainer.h"

namespace kvlab {

std::vector<TraceRequest> uniformBlockRequests(const Trace& trace, std::uint32_t blockSize) {
  if (blockSize == 0) throw std::invalid_argument("uniformBlockRequests: block size must be at least 1");
  if (!trace.info.perBlockTokens) return trace.requests;
  std::vector<TraceRequest> out;
  out.reserve(trace.requests.size());
  BlockChainer keys;  // (source key, end offset in it) -> uniform key
  for (const TraceRequest& r : trace.requests) {
    TraceRequest u;
    u.timestampMs = r.timestampMs;
    u.inputLength = r.inputLength;
    u.outputLength = r.outputLength;
    u.requestId = r.requestId;
    u.parentId = r.parentId;
    u.session = r.session;
    u.model = r.model;
    u.requestType = r.requestType;
    u.turn = r.turn;
    // Walk the source blocks, emitting a uniform key each time a multiple of blockSize is reached.
    std::uint64_t start = 0;  // first token of source block b
    std::uint64_t nextEnd = blockSize;
    const std::uint64_t prompt = r.inputLength;
    for (std::size_t b = 0; b < r.hashIds.size() && b < r.blockTokens.size(); ++b) {
      const std::uint64_t end = std::min<std::uint64_t>(start + r.blockTokens[b], prompt);
      while (nextEnd <= end) {
        u.hashIds.push_back(keys.key(r.hashIds[b], nextEnd - start));
        nextEnd += blockSize;
      }
      start = end;
      if (start >= prompt) break;
    }
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<TraceRequest> servingRequests(const Trace& trace, std::uint32_t requested, std::uint32_t* blockSize) {
  if (trace.info.perBlockTokens) {
    *blockSize = requested ? requested : trace.info.blockSize;
    return uniformBlockRequests(trace, *blockSize);
  }
  *blockSize = resolveBlockSize(trace.info, requested);
  return trace.requests;
}

}  // namespace kvlab
