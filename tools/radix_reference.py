#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A plain-Python model of SGLang's radix-tree prefix cache replayed over a block trace, written from SGLang's
source (python/sglang/srt/mem_cache/radix_cache.py: TreeNode, match_prefix / _match_prefix_helper,
insert / _insert_helper, evict with its heap of leaves by last_access_time, inc_lock_ref / dec_lock_ref),
sharing no code with kvlab's C++ (core/replay/radix_block_replayer.cpp). One node per block (a page-size
tree split at every page); time is a counter bumped at every access, as time.monotonic() orders them.

Per request, in trace order:
  1. match: walk the tree from the root along the request's block ids while a child holds the next id;
     every node walked is accessed (root to leaf). Those blocks are hits.
  2. lock the matched path (inc_lock_ref); then for every remaining block, in order: while the cache is full,
     evict the least recently accessed leaf whose lock count is 0 (a parent left childless becomes a leaf);
     if none is left, stop inserting; else add the block as a child of the previous one, accessed now and
     locked until the request ends.
  3. unlock every node locked in 2 (dec_lock_ref).
A block stands for tokens [i*B, (i+1)*B) of the prompt cut at its input length. A missed block is "evicted"
if this id after the same previous id was stored before, else "cold".

--policy opt: Belady over the tree. Every block access of the trace gets a position (request by request, each
request's blocks last to first); a node's next use is the position of its id's next access in a later request
(never: +infinity), read at its last access. The victim is the unlocked leaf with the farthest next use (ties:
least recently accessed), and when the cache is full a block is not inserted, nor the rest of its path, unless
that victim's next use is farther than the block's own (bypass).

Usage: radix_reference.py TRACE.jsonl --block-size B --capacity-blocks N [--policy lru|opt] [--limit K]
Prints one JSON object: per-request hit tokens, and the totals.
"""
import argparse
import heapq
import json
import sys


NEVER = float("inf")


def next_uses(requests):
    """For each request and block: the position of the id's next access in a later request, or NEVER."""
    result = [[NEVER] * len(r["hash_ids"]) for r in requests]
    last_seen = {}  # id -> (request index, block index) of its latest access so far
    position = 0
    for r, req in enumerate(requests):
        ids = req["hash_ids"]
        for k in range(len(ids)):
            i = len(ids) - 1 - k  # last block first
            seen = last_seen.get(ids[i])
            if seen is not None and seen[0] != r:
                result[seen[0]][seen[1]] = position + k
            if seen is None or seen[0] != r:
                last_seen[ids[i]] = (r, i)
        position += len(ids)
    return result


class Node:
    __slots__ = ("block_id", "parent", "children", "lock", "last_access", "next_use")

    def __init__(self, block_id, parent):
        self.block_id = block_id
        self.parent = parent
        self.children = {}
        self.lock = 0
        self.last_access = 0
        self.next_use = NEVER


class RadixBlocks:
    def __init__(self, capacity_blocks, policy):
        self.capacity = capacity_blocks
        self.policy = policy
        self.root = Node(None, None)
        self.clock = 0
        self.size = 0
        self.evictions = 0
        self.heap = []  # (last_access, serial, node): candidates; validated when popped
        self.serial = 0

    def order(self, node):
        # Smallest first is the victim: lru by last access; opt by farthest next use, then last access.
        if self.policy == "opt":
            return (-node.next_use, node.last_access)
        return (node.last_access,)

    def access(self, node, next_use):
        self.clock += 1
        node.last_access = self.clock
        node.next_use = next_use
        self.offer(node)

    def offer(self, node):
        # A node may be evictable now (a leaf, unlocked): push it; stale entries are skipped when popped.
        if node is not self.root and not node.children and node.lock == 0:
            self.serial += 1
            heapq.heappush(self.heap, (self.order(node), self.serial, node))

    def victim(self):
        """The valid heap top (stale entries dropped), or None."""
        while self.heap:
            key, _, node = self.heap[0]
            if node.parent is None or node.children or node.lock or key != self.order(node):
                heapq.heappop(self.heap)  # no longer a leaf, locked, re-accessed or already evicted
                continue
            return node
        return None

    def evict_one(self):
        while self.heap:
            key, _, node = heapq.heappop(self.heap)
            if node.parent is None or node.children or node.lock or key != self.order(node):
                continue  # no longer a leaf, locked, re-accessed or already evicted
            parent = node.parent
            del parent.children[node.block_id]
            node.parent = None
            self.size -= 1
            self.evictions += 1
            self.offer(parent)
            return True
        return False


def replay(requests, block_size, capacity_blocks, policy="lru"):
    cache = RadixBlocks(capacity_blocks, policy)
    uses = next_uses(requests) if policy == "opt" else [[NEVER] * len(r["hash_ids"]) for r in requests]
    stored_once = set()
    per_request = []
    totals = {"hit_tokens": 0, "prompt_tokens": 0, "cold_tokens": 0, "evicted_tokens": 0}
    for r, req in enumerate(requests):
        length = req["input_length"]
        ids = req["hash_ids"]

        def tokens_of(i):
            start = min(i * block_size, length)
            return min((i + 1) * block_size, length) - start

        node = cache.root
        hit = 0
        i = 0
        while i < len(ids) and ids[i] in node.children:
            node = node.children[ids[i]]
            cache.access(node, uses[r][i])
            hit += tokens_of(i)
            i += 1
        locked = []
        walk = node
        while walk is not cache.root:
            walk.lock += 1
            locked.append(walk)
            walk = walk.parent
        parent = node
        inserting = True
        for j in range(i, len(ids)):
            place = (ids[j - 1] if j > 0 else None, ids[j])
            if place in stored_once:
                totals["evicted_tokens"] += tokens_of(j)
            else:
                totals["cold_tokens"] += tokens_of(j)
            if not inserting:
                continue
            if policy == "opt" and cache.size >= cache.capacity:
                top = cache.victim()
                if top is None or top.next_use <= uses[r][j]:
                    inserting = False  # bypass: nothing cached is needed later than this block
                    continue
            while cache.size >= cache.capacity and cache.evict_one():
                pass
            if cache.size >= cache.capacity:
                inserting = False
                continue
            child = Node(ids[j], parent)
            parent.children[ids[j]] = child
            cache.size += 1
            cache.clock += 1
            child.last_access = cache.clock
            child.next_use = uses[r][j]
            child.lock += 1
            locked.append(child)
            stored_once.add(place)
            parent = child
        covered = min(len(ids) * block_size, length)
        totals["cold_tokens"] += length - covered
        for n in locked:
            n.lock -= 1
            cache.offer(n)
        per_request.append(hit)
        totals["hit_tokens"] += hit
        totals["prompt_tokens"] += length
    totals["evictions"] = cache.evictions
    totals["cached_blocks"] = cache.size
    return per_request, totals


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace")
    ap.add_argument("--block-size", type=int, required=True)
    ap.add_argument("--capacity-blocks", type=int, required=True)
    ap.add_argument("--policy", choices=["lru", "opt"], default="lru")
    ap.add_argument("--limit", type=int, default=0, help="first K requests only (0 = all)")
    args = ap.parse_args()
    requests = []
    with open(args.trace) as f:
        for line in f:
            if line.strip():
                requests.append(json.loads(line))
                if args.limit and len(requests) >= args.limit:
                    break
    per_request, totals = replay(requests, args.block_size, args.capacity_blocks, args.policy)
    json.dump({"hit_tokens_per_request": per_request, **totals}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
