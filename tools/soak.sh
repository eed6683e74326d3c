#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Soak: replay the conversation trace ten times in a row while the cache's max size shrinks and grows every
# 1000 requests (tests/soak/soak_replay.cpp); checks the engine's invariants after every resize and that
# RSS stays bounded, and prints the figures. Skips (exit 0) without the trace.
#   tools/soak.sh [TRACE] [passes] [resize_every] [max_tokens] [policy]
# Builds kvlab-soak in build-soak/ (Release) unless KVLAB_SOAK_BUILD names another configured build dir.
set -euo pipefail
cd "$(dirname "$0")/.."
trace=${1:-../shared/data/conversation_trace.jsonl}
shift || true
if [[ ! -f "$trace" ]]; then
  echo "soak: skipped: no trace at $trace"
  exit 0
fi
dir=${KVLAB_SOAK_BUILD:-build-soak}
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVLAB_GUI=OFF -DKVLAB_COMPUTE=OFF >/dev/null
fi
cmake --build "$dir" -j "${KVLAB_JOBS:-2}" --target kvlab-soak >/dev/null
# Without an explicit policy: every registered policy in turn (the soak takes about a second each).
passes=${1:-10} every=${2:-1000} tokens=${3:-20000000}
policies=(${4:-lru fifo lfu sieve})
status=0
for policy in "${policies[@]}"; do
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f "soak: wall %e s, max RSS %M KiB (/usr/bin/time)" \
      "$dir/bin/kvlab-soak" "$trace" "$passes" "$every" "$tokens" "$policy" || status=1
  else
    "$dir/bin/kvlab-soak" "$trace" "$passes" "$every" "$tokens" "$policy" || status=1
  fi
done
exit $status
