#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plain-Python reference of ONE live block cache with LRU eviction (kvlab-cli run, block granularity),
written from the documented rules and sharing no code with the C++ engine. tests/compute/tst_live_host_tier
compares the per-request hit tokens of a device tier of N blocks over a host tier of M blocks (both LRU)
with this cache of N + M blocks: an exclusive LRU hierarchy that demotes on eviction and promotes on a hit
is one LRU of the combined size (docs/tiers.md derives it).

Rules (core/cache/block_cache.h, core/runner/live_kv_cache.h): a prompt of n byte tokens has
floor(n / B) full blocks, each keyed by its whole prefix; the hit run is the longest run of leading blocks
in the cache; a live prefill reuses at most floor((n - 1) / B) * B tokens (the last token is always
computed); the run's blocks are in use until the prompt is stored, and storing touches the prompt's blocks
last to first: a present block becomes most recent, an absent one is inserted, evicting the least recently
used block not in use while the cache is full (no block free to evict: not stored).

  python3 tools/live_lru_reference.py PROMPTS.txt --block-size 4 --blocks 10
PROMPTS.txt: one prompt per line (byte tokens). Prints the hit tokens of each prompt, one per line.
"""
import argparse
from collections import OrderedDict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prompts")
    ap.add_argument("--block-size", type=int, required=True)
    ap.add_argument("--blocks", type=int, required=True)
    args = ap.parse_args()
    b, cap = args.block_size, args.blocks
    cache = OrderedDict()  # prefix bytes -> None, least recently used first
    with open(args.prompts, "rb") as f:
        prompts = [line.rstrip(b"\n") for line in f if line.strip()]
    for p in prompts:
        n = len(p)
        keys = [p[: b * (i + 1)] for i in range(n // b)]
        run = 0
        while run < len(keys) and keys[run] in cache:
            run += 1
        limit = (n - 1) // b * b if n > 0 else 0
        print(min(run * b, limit))
        in_use = set(keys[:run])
        for k in reversed(keys):
            if k in cache:
                cache.move_to_end(k)
                continue
            while len(cache) >= cap:
                victim = next((v for v in cache if v not in in_use), None)
                if victim is None:
                    break
                del cache[victim]
            if len(cache) < cap:
                cache[k] = None


if __name__ == "__main__":
    main()
