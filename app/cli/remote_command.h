// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli remote stats|clear|bench --remote URL: show, empty or time this lab's keys in a shared Redis
// tier (its namespace only: the keys of one model preset + block size, see core/tiers/model_blob_layout.h),
// on one server (redis://) or a Redis Cluster (redis-cluster://, every master). Torch-free.
#include "replay_commands.h"

namespace kvlab {

CommandAction addRemoteCommand(CLI::App& app);

}  // namespace kvlab
