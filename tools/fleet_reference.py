#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plain-Python reference of `kvlab-cli fleet` (core/fleet), written from the README's rules and not from the
C++ code: N replicas, each an LRU or FIFO OrderedDict with trace replay's semantics (no TTL), behind one of
the routers. tests/engine/tst_fleet_routers runs it and compares the placement of every request.

  python3 tools/fleet_reference.py TRACE --replicas N --router R --max-tokens PER_REPLICA
          [--block-size 512] [--policy lru|fifo] [--seed 1] [--affinity-blocks 1] [--virtual-nodes 64]
          [--load-weight 1.0]

          [--overlap-weight 1.0] [--event-lag-ms 5]

Prints one JSON object: the replica of every request (`assignment`), per-replica counts and fleet figures.

kv-aware follows NVIDIA Dynamo's KV router, read from ai-dynamo/dynamo at commit
db19bd2a659d4cb04998fb4101cd0dbfbbeba9d4: DefaultWorkerSelector.select_worker (lib/llm/src/kv_router/
scheduler.rs) with ActiveSequences.potential_blocks_and_tokens / new_blocks / new_tokens (sequence.rs),
temperature 0:
  logit(w) = overlap_weight * prefill_tokens(w) / block_size + decode_blocks(w), lowest wins,
  prefill_tokens(w) = max(0, isl - overlap(w) * block_size) + active prefill tokens on w,
  decode_blocks(w)  = request blocks not among w's active blocks + w's distinct active blocks,
  ties (equal logits): the worker whose index holds the fewest blocks (tree size), then the lowest index.
overlap(w) comes from an index fed by each replica's stored/removed events, each seen event_lag ms after
it happened. Replay has no time in flight: a request is freed right after it is replayed, so the active
figures are empty at every routing decision here (the C++ serving fleet exercises them).
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

    def replay(self, r, block_size, events=None):
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
                    gone, _ = self.cache.popitem(last=False)
                    self.evictions += 1
                    if events is not None:
                        events.append((gone, False))
                self.cache[h] = True
                if events is not None:
                    events.append((h, True))


class LaggedIndex:
    """Which replica holds which block, as a router hears it: events reach it lag ms after they happen."""

    def __init__(self, replicas, lag):
        self.holders = {}
        self.counts = [0] * replicas
        self.lag = lag
        self.pending = []  # (due, seq, replica, key, stored), applied in (due, seq) order
        self.seq = 0

    def event(self, now, replica, key, stored):
        if self.lag > 0:
            self.pending.append((now + self.lag, self.seq, replica, key, stored))
            self.seq += 1
        else:
            self.apply(replica, key, stored)

    def apply(self, replica, key, stored):
        held = self.holders.setdefault(key, set())
        if stored and replica not in held:
            held.add(replica)
            self.counts[replica] += 1
        elif not stored and replica in held:
            held.discard(replica)
            self.counts[replica] -= 1

    def advance(self, now):
        self.pending.sort()
        while self.pending and self.pending[0][0] <= now:
            _, _, replica, key, stored = self.pending.pop(0)
            self.apply(replica, key, stored)

    def leading(self, replica, ids):
        run = 0
        for h in ids:
            if replica not in self.holders.get(h, ()):
                break
            run += 1
        return run


def dynamo_select(r, n, index, active, block_size, weight):
    """Dynamo's DefaultWorkerSelector at temperature 0 (see the module docstring)."""
    isl, ids = r["input_length"], r["hash_ids"]
    best, best_key = None, None
    for w in range(n):
        overlap = index.leading(w, ids)
        prefill = max(0, isl - overlap * block_size) + active[w]["tokens"]
        new_blocks = sum(1 for h in ids if h not in active[w]["blocks"])
        logit = weight * prefill / block_size + new_blocks + len(active[w]["blocks"])
        key = (logit, index.counts[w], w)
        if best_key is None or key < best_key:
            best, best_key = w, key
    return best


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
    index = LaggedIndex(caches, a.event_lag_ms)
    # Dynamo's router-side ActiveSequences; empty at every decision in replay (see the docstring).
    active = [{"tokens": 0, "blocks": {}} for _ in range(caches)]
    assignment = []
    with open(a.trace) as f:
        for i, line in enumerate(line for line in f if line.strip()):
            r = json.loads(line)
            now = r.get("timestamp", 0)
            index.advance(now)
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
            elif a.router in ("prefix-hash", "session"):  # session: prefix-hash's old name
                target = ring_owner(positions, owners, affinity_key(r["hash_ids"], a.affinity_blocks))
            elif a.router == "kv-aware":
                target = dynamo_select(r, caches, index, active, a.block_size, a.overlap_weight)
            elif a.router == "kv-score":
                # highest (overlap - w x load); ties: lower load, then lower index
                target = max(range(caches), key=lambda x: (reps[x].leading(r["hash_ids"]) - a.load_weight * loads[x],
                                                           -loads[x], -x))
            else:
                raise SystemExit("unknown router " + a.router)
            assignment.append(target)
            events = []
            reps[target].replay(r, a.block_size, events)
            for key, stored in events:
                index.event(now, target, key, stored)
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
    p.add_argument("--overlap-weight", type=float, default=1.0)
    p.add_argument("--event-lag-ms", type=float, default=5.0)
    print(json.dumps(run(p.parse_args())))
