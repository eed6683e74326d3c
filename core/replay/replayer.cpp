// SPDX-License-Identifier: MIT
#include "core/replay/replayer.h"

#include "core/replay/lean_block_replayer.h"
#include "core/replay/trace_replayer.h"

namespace kvlab {

std::unique_ptr<Replayer> makeReplayer(const ReplayConfig& config,
                                       std::shared_ptr<const NextUseIndex> nextUse) {
  if (LeanBlockReplayer::supports(config)) return std::make_unique<LeanBlockReplayer>(config);
  return std::make_unique<TraceReplayer>(config, std::move(nextUse));
}

}  // namespace kvlab
