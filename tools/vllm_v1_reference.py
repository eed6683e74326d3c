#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A plain-Python model of vLLM v1's prefix-cached KV block pool and its scheduler loop, written from vLLM's
source and sharing no code with kvlab's C++ serving simulator. It has no clock: requests join the waiting
queue at the step index `kvlab-cli simulate` reports for them (requests.csv `arrival_step`), and every step
is then replayed in vLLM's order. tests/engine/tst_serving_vllm_reference runs it against `simulate` on
hand-made bursts and slices of the Mooncake traces; per request the status, hit tokens (at first
admission), preemptions, recomputed tokens and recompute hit tokens must be equal, and so must the step
and eviction counts.

vLLM source followed (github.com/vllm-project/vllm; the copy of each file that could be read, not one
release tag: the parts used agree across them, except that this kv_cache_utils.py predates prepend_n, whose
use is block_pool.py's at c59cb79):
  vllm/v1/core/block_pool.py                    c59cb7941357443da7c5eef75cfa8697d683d228
      BlockPool: get_new_blocks (pop the free queue's head, evicting a cached block's hash), touch,
      free_blocks (freed blocks without a hash go to the HEAD of the queue, hashed ones to the tail),
      cache_full_blocks, BlockHashToBlockMap (no de-duplication: one hash, several blocks, first wins)
  vllm/v1/core/kv_cache_utils.py                bbf906a88ba1a39104884c88c9811a4f968e4659
      FreeKVCacheBlockQueue (doubly linked, ordered by block id at start; prepend_n as used above)
  vllm/v1/core/kv_cache_manager.py              ace980e6de0540f49b0c63248437a1a7807590c1
      get_computed_blocks (max hit = num_tokens - 1), allocate_slots (check, touch, allocate, then cache
      up to min(computed + new, num_tokens) tokens AT SCHEDULING TIME), free
  vllm/v1/core/single_type_kv_cache_manager.py  129ab7c60cbb8eb11e875373e67f7e521b74aa30
      FullAttentionManager.find_longest_cache_hit, get_num_blocks_to_allocate (evictable hits count),
      cache_blocks, free (blocks in reverse order: a request's tail is evicted before its head)
  vllm/v1/core/sched/scheduler.py               b4622cf924bc72504aed99e486062d6633fde39e
      schedule(): running requests first (preempt the newest running request until allocation succeeds),
      then, only if nothing was preempted, waiting requests FCFS while budget and max_num_seqs allow (the
      head blocks the queue); _preempt_request (free, num_computed_tokens = 0, back to the queue's front);
      update_from_output (a request whose prompt is fully computed gets one token; finished ones are freed
      in scheduling order)
  vllm/v1/request.py                            dba83d52c06471eabafba4310718ac7a100cbfa4
      block_hashes grow as output tokens are appended: a block that generated tokens fill is hashed too

Mapping of a trace onto vLLM (the same rules as the C++ simulator, docs/serving.md):
  - pool_blocks usable blocks = vLLM num_gpu_blocks - 1 (vLLM keeps block 0 as its null block);
  - default vLLM v1 config otherwise: chunked prefill on, FCFS policy, no long_prefill_token_threshold,
    no speculative decoding, no KV connector, max_model_len larger than every request;
  - block j's hash: a full prompt block (j < input_length // block_size) with a trace id is chained as vLLM
    chains hashes, (parent hash, hash_ids[j]); any other full block (one that generated tokens fill, or a
    prompt block the trace gives no id for) gets a hash unique to its request, since its tokens are not
    known to be anyone else's. A partial block is never hashed; the trace's id for a partial last prompt
    block is not used;
  - the lab's own rule, not vLLM's: a request whose prompt + output cannot fit in the whole pool, or whose
    prompt is empty, is rejected when it arrives (it never joins the queue); output 0 is served as 1.

Usage:
  python3 tools/vllm_v1_reference.py --trace T.jsonl --cli build/bin/kvlab-cli --pool-blocks 100 \\
      [--block-size 512] [--max-batched-tokens 8192] [--max-running 256] [--no-prefix-cache] \\
      [--limit N] [--speed X]
        runs `kvlab-cli simulate` on the trace (its first N requests with --limit) and compares;
  python3 tools/vllm_v1_reference.py --trace T.jsonl --requests-csv DIR/requests.csv \\
      [--summary-json DIR/summary.json] --pool-blocks 100 ...
        compares with a run made before (same flags as that run).
Prints one JSON object; exit 0 if every figure agrees, 1 on a mismatch, 2 on bad input.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import deque


class InputProblem(Exception):
    pass


# ---- the block pool (block_pool.py, kv_cache_utils.py) ------------------------------------------------


class Block:
    __slots__ = ("block_id", "ref_cnt", "block_hash", "prev", "next")

    def __init__(self, block_id):
        self.block_id = block_id
        self.ref_cnt = 0
        self.block_hash = None
        self.prev = None
        self.next = None


class FreeQueue:
    """Doubly linked list with sentinels; the head is allocated (and evicted) first."""

    def __init__(self, blocks):
        self.head, self.tail = Block(-1), Block(-2)
        self.head.next, self.tail.prev = self.tail, self.head
        self.size = 0
        self.append_n(blocks)

    def remove(self, b):
        b.prev.next, b.next.prev = b.next, b.prev
        b.prev = b.next = None
        self.size -= 1

    def popleft_n(self, n):
        out = []
        for _ in range(n):
            b = self.head.next
            assert b is not self.tail, "free queue ran dry"
            self.remove(b)
            out.append(b)
        return out

    def append_n(self, blocks):
        for b in blocks:
            last = self.tail.prev
            last.next, b.prev, b.next, self.tail.prev = b, last, self.tail, b
            self.size += 1

    def prepend_n(self, blocks):
        # blocks[0] ends at the very head, the others after it in order.
        first, prev = self.head.next, self.head
        for b in blocks:
            prev.next, b.prev = b, prev
            prev = b
        prev.next, first.prev = first, prev
        self.size += len(blocks)


class BlockPool:
    def __init__(self, num_gpu_blocks, enable_caching):
        self.enable_caching = enable_caching
        self.blocks = [Block(i) for i in range(num_gpu_blocks)]
        self.free_queue = FreeQueue(self.blocks)
        self.null_block = self.free_queue.popleft_n(1)[0]  # never handed out, never freed
        # hash -> {block_id: block}, insertion-ordered: several blocks may hold one hash.
        self.cached = {}
        self.evictions = 0

    def num_free(self):
        return self.free_queue.size

    def get_cached_block(self, block_hash):
        blocks = self.cached.get(block_hash)
        return next(iter(blocks.values())) if blocks else None

    def cache_full_blocks(self, blocks, block_hashes, num_cached, num_full):
        for i in range(num_cached, num_full):
            b = blocks[i]
            if b.block_hash is not None:  # a prefix hit: already cached under this very hash
                assert b.block_hash == block_hashes[i]
                continue
            b.block_hash = block_hashes[i]
            self.cached.setdefault(b.block_hash, {})[b.block_id] = b

    def _maybe_evict(self, b):
        if b.block_hash is None:
            return
        holders = self.cached.get(b.block_hash)
        if holders is None or holders.pop(b.block_id, None) is None:
            return
        if not holders:
            del self.cached[b.block_hash]
        b.block_hash = None
        self.evictions += 1

    def get_new_blocks(self, n):
        assert n <= self.num_free()
        out = self.free_queue.popleft_n(n)
        for b in out:
            if self.enable_caching:
                self._maybe_evict(b)
            assert b.ref_cnt == 0
            b.ref_cnt = 1
        return out

    def touch(self, blocks):
        for b in blocks:
            if b.ref_cnt == 0 and b is not self.null_block:
                self.free_queue.remove(b)
            b.ref_cnt += 1

    def free_blocks(self, ordered):
        ordered = list(ordered)
        for b in ordered:
            b.ref_cnt -= 1
        freeable = [b for b in ordered if b.ref_cnt == 0 and b is not self.null_block]
        self.free_queue.prepend_n([b for b in freeable if b.block_hash is None])
        self.free_queue.append_n([b for b in freeable if b.block_hash is not None])


# ---- the request and the KV cache manager (request.py, kv_cache_manager.py, single_type_...) ----------


class Request:
    def __init__(self, index, prompt, max_tokens, trace_ids, block_size):
        self.index = index
        self.num_prompt_tokens = prompt
        self.max_tokens = max_tokens
        self.trace_ids = trace_ids
        self.block_size = block_size
        self.num_tokens = prompt  # prompt + output tokens so far
        self.num_output_tokens = 0
        self.num_computed_tokens = 0
        self.num_cached_tokens = -1  # prefix hit at first admission
        self.num_preemptions = 0
        self.recomputed_tokens = 0
        self.recompute_hit_tokens = 0
        self.status = "waiting"
        self.block_hashes = []
        self.update_block_hashes()

    def update_block_hashes(self):
        # One hash per full block, as the request's block hasher appends them.
        bs = self.block_size
        while (len(self.block_hashes) + 1) * bs <= self.num_tokens:
            j = len(self.block_hashes)
            parent = self.block_hashes[-1] if j else None
            if (j + 1) * bs <= self.num_prompt_tokens and j < len(self.trace_ids):
                self.block_hashes.append((parent, self.trace_ids[j]))
            else:
                self.block_hashes.append(("request", self.index, j))

    def append_output_token(self):
        self.num_output_tokens += 1
        self.num_tokens += 1
        self.update_block_hashes()


class KVCacheManager:
    def __init__(self, pool, block_size, enable_caching):
        self.pool = pool
        self.block_size = block_size
        self.enable_caching = enable_caching
        self.req_to_blocks = {}
        self.num_cached_block = {}

    def get_computed_blocks(self, req):
        if not self.enable_caching:
            return [], 0
        max_blocks = (req.num_tokens - 1) // self.block_size  # the last token is always recomputed
        hits = []
        for h in req.block_hashes[:max_blocks]:
            b = self.pool.get_cached_block(h)
            if b is None:
                break
            hits.append(b)
        return hits, len(hits) * self.block_size

    def allocate_slots(self, req, num_new_tokens, new_computed_blocks=()):
        bs = self.block_size
        blocks = self.req_to_blocks.get(req.index, [])
        computed = req.num_computed_tokens + len(new_computed_blocks) * bs
        need_slots = computed + num_new_tokens
        required = -(-need_slots // bs)
        if req.index in self.num_cached_block:  # running: no new prefix hits
            to_allocate = max(required - len(blocks), 0)
        else:
            evictable = sum(1 for b in new_computed_blocks if b.ref_cnt == 0)
            to_allocate = max(required - len(new_computed_blocks) - len(blocks), 0) + evictable
        if to_allocate > self.pool.num_free():
            return None
        if req.index not in self.num_cached_block:
            if self.enable_caching:
                self.pool.touch(new_computed_blocks)
            blocks = self.req_to_blocks.setdefault(req.index, [])
            blocks.extend(new_computed_blocks)
            self.num_cached_block[req.index] = len(blocks)
        n = required - len(blocks)
        if n > 0:
            blocks.extend(self.pool.get_new_blocks(n))
        if self.enable_caching:
            self.cache_blocks(req, min(computed + num_new_tokens, req.num_tokens))
        return blocks

    def cache_blocks(self, req, num_tokens):
        num_cached = self.num_cached_block.get(req.index, 0)
        num_full = num_tokens // self.block_size
        if num_cached >= num_full:
            return
        self.pool.cache_full_blocks(self.req_to_blocks[req.index], req.block_hashes, num_cached, num_full)
        self.num_cached_block[req.index] = num_full

    def free(self, req):
        blocks = self.req_to_blocks.pop(req.index, [])
        self.pool.free_blocks(reversed(blocks))  # tail first: evicted before the head
        self.num_cached_block.pop(req.index, None)


# ---- the scheduler (sched/scheduler.py) --------------------------------------------------------------


class Scheduler:
    def __init__(self, pool_blocks, block_size, max_batched_tokens, max_running, prefix_cache):
        self.pool = BlockPool(pool_blocks + 1, prefix_cache)
        self.kv = KVCacheManager(self.pool, block_size, prefix_cache)
        self.max_batched_tokens = max_batched_tokens
        self.max_running = max_running
        self.waiting = deque()
        self.running = []
        self.steps = 0

    def schedule(self):
        scheduled = {}  # request -> tokens, in scheduling order
        budget = self.max_batched_tokens
        preempted = []
        i = 0
        while i < len(self.running) and budget > 0:
            req = self.running[i]
            n = min(req.num_tokens - req.num_computed_tokens, budget)
            while True:
                ok = self.kv.allocate_slots(req, n)
                if ok is not None:
                    break
                victim = self.running.pop()  # FCFS: the newest running request
                self.preempt(victim)
                preempted.append(victim)
                if victim is req:
                    break
            if ok is None:
                break
            scheduled[req] = n
            budget -= n
            i += 1
        if not preempted:
            while self.waiting and budget > 0 and len(self.running) < self.max_running:
                req = self.waiting[0]
                hits, hit_tokens = self.kv.get_computed_blocks(req)
                n = min(req.num_tokens - hit_tokens, budget)
                if self.kv.allocate_slots(req, n, hits) is None:
                    break  # the head blocks the queue
                self.waiting.popleft()
                self.running.append(req)
                scheduled[req] = n
                budget -= n
                if req.num_cached_tokens < 0:
                    req.num_cached_tokens = hit_tokens
                else:
                    req.recompute_hit_tokens += hit_tokens
                req.num_computed_tokens = hit_tokens
                req.status = "running"
        for req, n in scheduled.items():  # _update_after_schedule
            req.num_computed_tokens += n
        return scheduled

    def preempt(self, req):
        self.kv.free(req)
        req.recomputed_tokens += req.num_computed_tokens
        req.num_computed_tokens = 0
        req.num_preemptions += 1
        req.status = "preempted"
        self.waiting.appendleft(req)

    def update_from_output(self, scheduled):
        stopped = set()
        for req in scheduled:
            if req.num_computed_tokens < req.num_tokens:
                continue  # a prefill chunk that did not reach the end: no token
            req.append_output_token()
            if req.num_output_tokens >= req.max_tokens:
                req.status = "completed"
                self.kv.free(req)
                stopped.add(req)
        if stopped:
            self.running = [r for r in self.running if r not in stopped]

    def step(self):
        scheduled = self.schedule()
        if not scheduled:
            raise InputProblem("a step with nothing to schedule at step %d" % self.steps)
        self.update_from_output(scheduled)
        self.steps += 1


# ---- replay and comparison ---------------------------------------------------------------------------


def read_trace(path, limit):
    out = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                out.append((int(r["input_length"]), int(r["output_length"]), [int(h) for h in r["hash_ids"]]))
            except (ValueError, KeyError, TypeError) as e:
                raise InputProblem("%s:%d: %s" % (path, number, e))
            if limit and len(out) >= limit:
                break
    return out


def read_requests_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = [line for line in f if not line.startswith("#")]
    table = list(csv.DictReader(rows))
    if not table or "arrival_step" not in table[0]:
        raise InputProblem("%s: no arrival_step column (a requests.csv from kvlab-cli simulate --out)" % path)
    return table


def replay(trace, arrival_steps, args):
    """Runs the trace through the model; returns (requests, scheduler)."""
    sched = Scheduler(args.pool_blocks, args.block_size, args.max_batched_tokens, args.max_running,
                      not args.no_prefix_cache)
    requests = []
    for i, (prompt, output, ids) in enumerate(trace):
        r = Request(i, prompt, max(1, output), ids, args.block_size)
        needed = -(-(prompt + r.max_tokens - 1) // args.block_size)
        if prompt == 0 or needed > args.pool_blocks:
            r.status = "rejected"
        requests.append(r)
    order = sorted(range(len(requests)), key=lambda i: (arrival_steps[i], i))
    nxt = 0
    while True:
        while nxt < len(order) and arrival_steps[order[nxt]] <= sched.steps:
            r = requests[order[nxt]]
            nxt += 1
            if r.status != "rejected":
                sched.waiting.append(r)
        if not sched.waiting and not sched.running:
            if nxt == len(order):
                break
            raise InputProblem("idle at step %d before request %d's arrival step %d" %
                               (sched.steps, order[nxt], arrival_steps[order[nxt]]))
        sched.step()
    return requests, sched


def compare(requests, sched, table, summary):
    fields = [("status", lambda r: r.status),
              ("hit_tokens", lambda r: max(r.num_cached_tokens, 0)),
              ("preemptions", lambda r: r.num_preemptions),
              ("recomputed_tokens", lambda r: r.recomputed_tokens),
              ("recompute_hit_tokens", lambda r: r.recompute_hit_tokens)]
    mismatches, first = 0, None
    if len(table) != len(requests):
        return 1, "simulate reported %d requests, the trace has %d" % (len(table), len(requests))
    for r, row in zip(requests, table):
        for name, get in fields:
            ours = get(r)
            theirs = row[name] if name == "status" else int(row[name])
            if ours != theirs:
                mismatches += 1
                if first is None:
                    first = "request %d %s: vLLM reference %s, simulate %s" % (r.index, name, ours, theirs)
    if summary is not None:
        for name, ours in (("steps", sched.steps), ("evictions", sched.pool.evictions)):
            if int(summary[name]) != ours:
                mismatches += 1
                first = first or "%s: vLLM reference %d, simulate %s" % (name, ours, summary[name])
    return mismatches, first


def run_cli(args, workdir):
    trace = args.trace
    if args.limit:
        trace = os.path.join(workdir, "slice.jsonl")
        with open(args.trace, encoding="utf-8") as src, open(trace, "w", encoding="utf-8") as dst:
            kept = 0
            for line in src:
                if kept >= args.limit:
                    break
                if line.strip():
                    dst.write(line)
                    kept += 1
    out = os.path.join(workdir, "run")
    cmd = [args.cli, "simulate", trace, "--pool-blocks", str(args.pool_blocks), "--block-size",
           str(args.block_size), "--max-batched-tokens", str(args.max_batched_tokens), "--max-running",
           str(args.max_running), "--speed", repr(args.speed), "--policy", "lru", "--out", out, "--format",
           "json"]
    if args.no_prefix_cache:
        cmd.append("--no-prefix-cache")
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise InputProblem("kvlab-cli simulate failed (%d): %s" % (done.returncode, done.stderr.strip()))
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)["runs"][0]
    return os.path.join(out, "requests.csv"), summary


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trace", required=True)
    p.add_argument("--cli", help="kvlab-cli to run simulate with")
    p.add_argument("--requests-csv", help="requests.csv of a simulate run made with the same flags")
    p.add_argument("--summary-json", help="its summary.json (compares steps and evictions too)")
    p.add_argument("--limit", type=int, default=0, help="only the trace's first N requests")
    p.add_argument("--pool-blocks", type=int, required=True)
    p.add_argument("--block-size", type=int, default=512)
    p.add_argument("--max-batched-tokens", type=int, default=8192)
    p.add_argument("--max-running", type=int, default=256)
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--no-prefix-cache", action="store_true")
    args = p.parse_args()
    try:
        if args.pool_blocks < 1 or args.block_size < 1 or args.max_batched_tokens < 1 or args.max_running < 1:
            raise InputProblem("pool, block size, budget and max running must be at least 1")
        with tempfile.TemporaryDirectory() as workdir:
            if args.cli:
                csv_path, summary = run_cli(args, workdir)
            elif args.requests_csv:
                csv_path, summary = args.requests_csv, None
                if args.summary_json:
                    with open(args.summary_json, encoding="utf-8") as f:
                        runs = json.load(f)["runs"]
                    if len(runs) != 1:
                        raise InputProblem("%s holds %d runs; compare one" % (args.summary_json, len(runs)))
                    summary = runs[0]
            else:
                raise InputProblem("give --cli or --requests-csv")
            table = read_requests_csv(csv_path)
            trace = read_trace(args.trace, args.limit)
            arrival_steps = [int(row["arrival_step"]) for row in table]
            if len(arrival_steps) != len(trace):
                raise InputProblem("%s has %d requests, the trace %d" % (csv_path, len(arrival_steps), len(trace)))
            requests, sched = replay(trace, arrival_steps, args)
            mismatches, first = compare(requests, sched, table, summary)
    except (InputProblem, OSError) as e:
        print("vllm_v1_reference: %s" % e, file=sys.stderr)
        return 2
    print(json.dumps({
        "requests": len(requests),
        "completed": sum(r.status == "completed" for r in requests),
        "rejected": sum(r.status == "rejected" for r in requests),
        "hit_tokens": sum(max(r.num_cached_tokens, 0) for r in requests),
        "prompt_tokens": sum(r.num_prompt_tokens for r in requests if r.status == "completed"),
        "preemptions": sum(r.num_preemptions for r in requests),
        "recompute_hit_tokens": sum(r.recompute_hit_tokens for r in requests),
        "steps": sched.steps,
        "evictions": sched.pool.evictions,
        "mismatches": mismatches,
        "first_mismatch": first,
    }))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
