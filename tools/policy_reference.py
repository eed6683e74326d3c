#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plain-Python reference of kvlab's trace replay for every eviction policy, written from the policies'
papers and the documented rules, sharing no code with the C++ engine. tests/engine/tst_policy_reference
runs it on the sample traces in tests/data and compares hit counts and evictions with `replayTraceFile`.

Replay semantics (README "Trace replay semantics"): capacity = max_tokens // block_size blocks; at each
request's arrival, blocks idle for longer than the TTL are removed; the hit run is the longest run of
leading ids present; hit tokens = min(run * block_size, input_length); then the request touches its ids
last to first: a present id is a hit for the policy, an absent one is inserted (evicting per policy while
the cache is full). One touch per id occurrence.

  python3 tools/policy_reference.py TRACE --policy s3fifo --max-tokens 8192,32768 [--block-size 512]
      [--ttl-ms MS] [--bytes-per-token B]
prints one JSON object per size, one per line.
"""
import argparse
import bisect
import heapq
import json
from collections import OrderedDict

NEVER = float("inf")


class Lru:
    def __init__(self, cap, **_):
        self.cap, self.d = cap, OrderedDict()

    def __contains__(self, k):
        return k in self.d

    def hit(self, k):
        self.d.move_to_end(k)

    def insert(self, k):
        evicted = 0
        while len(self.d) >= self.cap:
            self.d.popitem(last=False)
            evicted += 1
        self.d[k] = True
        return evicted

    def remove(self, k):
        del self.d[k]


class Fifo(Lru):
    def hit(self, k):
        pass


class Lfu:
    """Fewest uses first; ties: least recently used (a tick counts inserts and hits)."""

    def __init__(self, cap, **_):
        self.cap, self.rank, self.heap, self.tick = cap, {}, [], 0

    def __contains__(self, k):
        return k in self.rank

    def _set(self, k, uses):
        self.tick += 1
        self.rank[k] = (uses, self.tick)
        heapq.heappush(self.heap, (uses, self.tick, k))

    def hit(self, k):
        self._set(k, self.rank[k][0] + 1)

    def insert(self, k):
        evicted = 0
        while len(self.rank) >= self.cap:
            uses, tick, v = heapq.heappop(self.heap)
            if self.rank.get(v) == (uses, tick):
                del self.rank[v]
                evicted += 1
        self._set(k, 1)
        return evicted

    def remove(self, k):
        del self.rank[k]


class Sieve:
    """SIEVE (NSDI '24): FIFO queue, visited bits, a hand moving from the oldest towards the newest."""

    def __init__(self, cap, **_):
        self.cap, self.visited = cap, {}
        self.prev, self.next = {}, {}
        self.oldest = self.newest = self.hand = None

    def __contains__(self, k):
        return k in self.visited

    def hit(self, k):
        self.visited[k] = True

    def _unlink(self, k):
        if self.hand == k:
            self.hand = self.next[k]
        p, n = self.prev.pop(k), self.next.pop(k)
        if p is None:
            self.oldest = n
        else:
            self.next[p] = n
        if n is None:
            self.newest = p
        else:
            self.prev[n] = p
        del self.visited[k]

    def insert(self, k):
        evicted = 0
        while len(self.visited) >= self.cap:
            o = self.hand if self.hand is not None else self.oldest
            while self.visited[o]:
                self.visited[o] = False
                o = self.next[o] if self.next[o] is not None else self.oldest
            self.hand = self.next[o]
            self._unlink(o)
            evicted += 1
        self.visited[k] = False
        self.prev[k], self.next[k] = self.newest, None
        if self.newest is None:
            self.oldest = k
        else:
            self.next[self.newest] = k
        self.newest = k
        return evicted

    def remove(self, k):
        self._unlink(k)


class S3Fifo:
    """S3-FIFO (SOSP '23) with kvlab's documented thresholds: small queue target floor(0.1 x capacity
    bytes); evict from small while it holds at least that (or main is empty); leaving small with freq >= 1
    -> main with freq 0, else evicted and ghosted; main: freq > 0 -> freq - 1 and back of main, else
    evicted; hits: freq = min(freq + 1, 3); ghost bytes <= capacity - small target; an insert whose id is
    a ghost (checked before evicting) enters main."""

    def __init__(self, cap, block_bytes, **_):
        self.cap, self.bb = cap, block_bytes
        cap_bytes = cap * block_bytes
        self.small_target = int(cap_bytes * 0.1)
        self.ghost_limit = cap_bytes - min(cap_bytes, self.small_target)
        self.small, self.main, self.ghost, self.freq = OrderedDict(), OrderedDict(), OrderedDict(), {}

    def __contains__(self, k):
        return k in self.freq

    def hit(self, k):
        self.freq[k] = min(self.freq[k] + 1, 3)

    def _evict_one(self):
        while True:
            if self.small and (len(self.small) * self.bb >= self.small_target or not self.main):
                k = next(iter(self.small))
                del self.small[k]
                if self.freq[k] >= 1:
                    self.main[k] = True
                    self.freq[k] = 0
                    continue
                del self.freq[k]
                self.ghost[k] = True
                while self.ghost and len(self.ghost) * self.bb > self.ghost_limit:
                    self.ghost.popitem(last=False)
                return
            k = next(iter(self.main))
            if self.freq[k] > 0:
                self.freq[k] -= 1
                self.main.move_to_end(k)
                continue
            del self.main[k]
            del self.freq[k]
            return

    def insert(self, k):
        was_ghost = self.ghost.pop(k, None) is not None
        evicted = 0
        while len(self.freq) >= self.cap:
            self._evict_one()
            evicted += 1
        (self.main if was_ghost else self.small)[k] = True
        self.freq[k] = 0
        return evicted

    def remove(self, k):
        self.small.pop(k, None)
        self.main.pop(k, None)
        del self.freq[k]


class Arc:
    """ARC (FAST '03), Figure 4 of the paper, c = capacity in blocks; REPLACE only when the cache is full
    (always the case in the paper without TTL removals)."""

    def __init__(self, cap, **_):
        self.c, self.p = cap, 0
        self.t1, self.t2, self.b1, self.b2 = OrderedDict(), OrderedDict(), OrderedDict(), OrderedDict()
        self.evicted = 0

    def __contains__(self, k):
        return k in self.t1 or k in self.t2

    def hit(self, k):
        if k in self.t1:
            del self.t1[k]
        else:
            del self.t2[k]
        self.t2[k] = True

    def _replace(self, in_b2):
        if len(self.t1) + len(self.t2) < self.c:
            return
        if self.t1 and (len(self.t1) > self.p or (in_b2 and len(self.t1) == self.p)):
            k, _ = self.t1.popitem(last=False)
            self.b1[k] = True
        elif self.t2:
            k, _ = self.t2.popitem(last=False)
            self.b2[k] = True
        else:
            k, _ = self.t1.popitem(last=False)
            self.b1[k] = True
        self.evicted += 1

    def insert(self, x):
        before = self.evicted
        c = self.c
        if x in self.b1:
            self.p = min(c, self.p + max(1, len(self.b2) // len(self.b1)))
            self._replace(False)
            del self.b1[x]
            self.t2[x] = True
        elif x in self.b2:
            self.p = max(0, self.p - max(1, len(self.b1) // len(self.b2)))
            self._replace(True)
            del self.b2[x]
            self.t2[x] = True
        else:
            if len(self.t1) + len(self.b1) >= c:
                if len(self.t1) < c:
                    self.b1.popitem(last=False)
                    self._replace(False)
                else:
                    self.t1.popitem(last=False)
                    self.evicted += 1
            else:
                total = len(self.t1) + len(self.t2) + len(self.b1) + len(self.b2)
                if total >= 2 * c:
                    self.b2.popitem(last=False)
                self._replace(False)
            self.t1[x] = True
        return self.evicted - before

    def remove(self, k):
        self.t1.pop(k, None)
        self.t2.pop(k, None)


class Gdsf:
    """GreedyDual-Size-Frequency: H = L + freq * tokens / bytes; evict the lowest H (ties: H set longest
    ago); L = H of the last evicted block."""

    def __init__(self, cap, block_size, block_bytes, **_):
        self.cap, self.tokens, self.bytes = cap, block_size, block_bytes
        self.L, self.tick, self.rank, self.freq, self.heap = 0.0, 0, {}, {}, []

    def __contains__(self, k):
        return k in self.rank

    def _set(self, k):
        self.tick += 1
        h = self.L + self.freq[k] * self.tokens / self.bytes
        self.rank[k] = (h, self.tick)
        heapq.heappush(self.heap, (h, self.tick, k))

    def hit(self, k):
        self.freq[k] += 1
        self._set(k)

    def insert(self, k):
        evicted = 0
        while len(self.rank) >= self.cap:
            h, tick, v = heapq.heappop(self.heap)
            if self.rank.get(v) == (h, tick):
                del self.rank[v], self.freq[v]
                self.L = h
                evicted += 1
        self.freq[k] = 1
        self._set(k)
        return evicted

    def remove(self, k):
        del self.rank[k], self.freq[k]


class Opt:
    """Belady: evict the block whose next touch (touch order: request by request, ids last to first) by a
    later request is farthest; never touched again = infinitely far. Needs the whole trace (positions)."""

    def __init__(self, cap, positions, **_):
        self.cap, self.positions, self.next, self.heap = cap, positions, {}, []
        self.request_end = 0  # first touch position of the next request

    def __contains__(self, k):
        return k in self.next

    def _set(self, k):
        pos = self.positions[k]
        i = bisect.bisect_left(pos, self.request_end)
        nu = pos[i] if i < len(pos) else NEVER
        self.next[k] = nu
        heapq.heappush(self.heap, (-nu, k))

    def hit(self, k):
        self._set(k)

    def insert(self, k):
        evicted = 0
        while len(self.next) >= self.cap:
            nu, v = heapq.heappop(self.heap)
            if self.next.get(v) == -nu:
                del self.next[v]
                evicted += 1
        self._set(k)
        return evicted

    def remove(self, k):
        del self.next[k]


POLICIES = {"lru": Lru, "fifo": Fifo, "lfu": Lfu, "sieve": Sieve, "s3fifo": S3Fifo, "arc": Arc,
            "gdsf": Gdsf, "opt": Opt}


def read_trace(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def replay(requests, policy, max_tokens, block_size=512, ttl_ms=0, bytes_per_token=1):
    cap = max_tokens // block_size
    positions = {}
    if policy == "opt":
        pos = 0
        for r in requests:
            for h in reversed(r["hash_ids"]):
                positions.setdefault(h, []).append(pos)
                pos += 1
    cache = POLICIES[policy](cap, block_size=block_size, block_bytes=block_size * bytes_per_token,
                             positions=positions)
    last = {}  # id -> last touch time (ms), resident ids only
    prompt = hit = blocks = hit_blocks = evictions = expirations = 0
    touches = 0
    for r in requests:
        now, ids, n = r["timestamp"], r["hash_ids"], r["input_length"]
        if ttl_ms > 0:
            for k in [k for k, t in last.items() if now - t > ttl_ms]:
                del last[k]
                if k in cache:  # else evicted since its last touch
                    cache.remove(k)
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
        touches += len(ids)
        if policy == "opt":
            cache.request_end = touches
        for h in reversed(ids):
            if h in cache:
                cache.hit(h)
            elif cap > 0:
                evictions += cache.insert(h)
            else:
                continue
            last[h] = now
    return {"policy": policy, "max_tokens": max_tokens, "prompt_tokens": prompt, "hit_tokens": hit,
            "blocks": blocks, "hit_blocks": hit_blocks, "evictions": evictions, "expirations": expirations}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("trace")
    p.add_argument("--policy", choices=sorted(POLICIES), required=True)
    p.add_argument("--max-tokens", required=True, help="one size or a comma-separated list")
    p.add_argument("--block-size", type=int, default=512)
    p.add_argument("--ttl-ms", type=int, default=0)
    p.add_argument("--bytes-per-token", type=int, default=1)
    a = p.parse_args()
    reqs = read_trace(a.trace)
    for size in a.max_tokens.split(","):
        print(json.dumps(replay(reqs, a.policy, int(size), a.block_size, a.ttl_ms, a.bytes_per_token)))
