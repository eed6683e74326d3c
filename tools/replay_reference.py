#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plain-Python reference of kvlab's trace-replay semantics (LRU or FIFO, OrderedDict), used to
cross-check `kvlab-cli replay` and as the baseline of the replay benchmark.

  python3 tools/replay_reference.py TRACE --max-tokens N [--block-size 512] [--policy lru|fifo] [--ttl-ms MS]
"""
import argparse
import json
from collections import OrderedDict


def replay(path, block_size, max_tokens, policy, ttl_ms):
    capacity = max_tokens // block_size
    cache = OrderedDict()  # hash id -> last touch time (ms); order = eviction order
    prompt = hit = blocks = hit_blocks = evictions = expirations = 0
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            now, ids, n = r["timestamp"], r["hash_ids"], r["input_length"]
            if ttl_ms > 0:  # expired entries are removed at arrival, oldest touch first
                for key in [k for k, t in cache.items() if now - t > ttl_ms]:
                    del cache[key]
                    expirations += 1
            run = 0
            for h in ids:
                if h not in cache:
                    break
                run += 1
            prompt += n
            hit += min(run * block_size, n)
            blocks += len(ids)
            hit_blocks += run
            for h in reversed(ids):
                if h in cache:
                    cache[h] = now
                    if policy == "lru":
                        cache.move_to_end(h)
                else:
                    if capacity == 0:
                        continue
                    while len(cache) >= capacity:
                        cache.popitem(last=False)
                        evictions += 1
                    cache[h] = now
    return {"prompt_tokens": prompt, "hit_tokens": hit, "token_hit_rate": hit / prompt if prompt else 0,
            "blocks": blocks, "hit_blocks": hit_blocks, "block_hit_rate": hit_blocks / blocks if blocks else 0,
            "evictions": evictions, "expirations": expirations}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("trace")
    p.add_argument("--block-size", type=int, default=512)
    p.add_argument("--max-tokens", type=int, required=True)
    p.add_argument("--policy", choices=["lru", "fifo"], default="lru")
    p.add_argument("--ttl-ms", type=int, default=0)
    a = p.parse_args()
    print(json.dumps(replay(a.trace, a.block_size, a.max_tokens, a.policy, a.ttl_ms)))
