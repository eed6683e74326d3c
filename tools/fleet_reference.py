#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plain-Python reference of `kvlab-cli fleet` (core/fleet), written from the README's rules and not from the
C++ code: N replicas, each an LRU or FIFO OrderedDict with trace replay's semantics (no TTL), behind one of
the routers. tests/engine/tst_fleet_routers runs it and compares the placement of every request.

  python3 tools/fleet_reference.py TRACE --replicas N --router R --max-tokens PER_REPLICA
          [--block-size 512] [--policy lru|fifo] [--seed 1] [--affinity-blocks 1] [--virtual-nodes 64]
          [--load-weight 1.0]

Prints one JSON object: the replica of every request (`assignment`), per-replica counts and fleet figures.
"""
import argparse
import bisect
import json
from collections import OrderedDict

MASK = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


class MT19937_64:
    """The standard 64-bit Mersenne Twister (std::mt19937_64), from its published definition."""

    def __init__(self, seed):
        self.mt = [0] * 312
        self.mt[0] = seed & MASK
        for i in range(1, 312):
            self.mt[i] = (6364136223846793005 * (self.mt[i - 1] ^ (self.mt[i - 1] >> 62)) + i) & MASK
        self.index = 312

    def next(self):
        if self.index >= 312:
            for i in range(312):
                x = (self.mt[i] & 0xFFFFFFFF80000000) | (self.mt[(i + 1) % 312] & 0x7FFFFFFF)
                xa = x >> 1
                if x & 1:
                    xa ^= 0xB5026F5AA96619E9
                self.mt[i] = self.mt[(i + 156) % 312] ^ xa
            self.index = 0
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK


class SeededRandom:
    """kvlab's portable generator (core/workload/seeded_random.h): mt19937_64 seeded through splitmix64,
    uniform integers by rejecting the top partial bucket."""

    def __init__(self, seed, stream=0):
        self.engine = MT19937_64(splitmix64(splitmix64(seed) ^ ((stream * 0xD1B54A32D192ED03 + 1) & MASK)))

    def uniform_int(self, lo, hi):
        rng = hi - lo + 1
        limit = MASK - (MASK % rng + 1) % rng
        x = self.engine.next()
        while x > limit:
            x = self.engine.next()
        return lo + x % rng


class Replica:
    def __init__(self, capacity, policy):
        self.capacity, self.policy = capacity, policy
        self.cache = OrderedDict()
        self.requests = self.prompt = self.hit = self.blocks = self.hit_blocks = self.evictions = 0

    def leading(self, ids):
        run = 0
        for h in ids:
            if h not in self.cache:
                break
            run += 1
        return run

    def replay(self, r, block_size):
        ids, n = r["hash_ids"], r["input_length"]
        run = self.leading(ids)
        self.requests += 1
        self.prompt += n
        self.hit += min(run * block_size, n)
        self.blocks += len(ids)
        self.hit_blocks += run
        for h in reversed(ids):
            if h in self.cache:
                if self.policy == "lru":
                    self.cache.move_to_end(h)
            elif self.capacity > 0:
                while len(self.cache) >= self.capacity:
                    self.cache.popitem(last=False)
                    self.evictions += 1
                self.cache[h] = True


def ring(replicas, vnodes):
    points = sorted((splitmix64(splitmix64(r) ^ v), r) for r in range(replicas) for v in range(vnodes))
    return [p for p, _ in points], [r for _, r in points]


def affinity_key(ids, k):
    key = 0x6B766C61622D6B76
    for h in ids[:k]:
        key = splitmix64(key ^ h)
    return splitmix64(key)


def ring_owner(positions, owners, key):
    i = bisect.bisect_left(positions, key)
    return owners[i % len(owners)]


def run(a):
    shared = a.router == "oracle-shared"
    caches = 1 if shared else a.replicas
    capacity = (a.max_tokens // a.block_size) * (a.replicas if shared else 1)
    reps = [Replica(capacity, a.policy) for _ in range(caches)]
    rng = SeededRandom(a.seed)
    positions, owners = ring(caches, a.virtual_nodes)
    assignment = []
    with open(a.trace) as f:
        for i, line in enumerate(line for line in f if line.strip()):
            r = json.loads(line)
            loads = [rep.requests for rep in reps]
            least = min(range(caches), key=lambda x: (loads[x], x))
            if shared:
                target = 0
            elif a.router == "round-robin":
                target = i % caches
            elif a.router == "random":
                target = rng.uniform_int(0, caches - 1)
            elif a.router == "least-loaded":
                target = least
            elif a.router == "session":
                target = ring_owner(positions, owners, affinity_key(r["hash_ids"], a.affinity_blocks))
            elif a.router == "kv-aware":
                # highest (overlap - w x load); ties: lower load, then lower index
                target = max(range(caches), key=lambda x: (reps[x].leading(r["hash_ids"]) - a.load_weight * loads[x],
                                                           -loads[x], -x))
            else:
                raise SystemExit("unknown router " + a.router)
            assignment.append(target)
            reps[target].replay(r, a.block_size)
    prompt = sum(x.prompt for x in reps)
    hit = sum(x.hit for x in reps)
    mean = prompt / caches
    return {
        "assignment": assignment,
        "replicas": [{"requests": x.requests, "prompt_tokens": x.prompt, "hit_tokens": x.hit,
                      "hit_blocks": x.hit_blocks, "evictions": x.evictions} for x in reps],
        "prompt_tokens": prompt, "hit_tokens": hit, "token_hit_rate": hit / prompt if prompt else 0,
        "load_imbalance": 1.0 if shared or not prompt else max(x.prompt for x in reps) / mean,
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("trace")
    p.add_argument("--replicas", type=int, required=True)
    p.add_argument("--router", required=True)
    p.add_argument("--max-tokens", type=int, required=True)
    p.add_argument("--block-size", type=int, default=512)
    p.add_argument("--policy", choices=["lru", "fifo"], default="lru")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--affinity-blocks", type=int, default=1)
    p.add_argument("--virtual-nodes", type=int, default=64)
    p.add_argument("--load-weight", type=float, default=1.0)
    print(json.dumps(run(p.parse_args())))
