#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plain-Python reference of what kvlab's trace readers make of each public trace format (stdlib only,
written from the formats' own descriptions - docs/traces.md and each data set's README - not from the C++).
Prints one JSON object: the format read, requests, prompt/output tokens, blocks, and the infinite-cache
bounds: prefix hit tokens (a block is a hit when an earlier request had the same path of blocks up to it)
and, where the format keeps its own chunk ids, chunk hit tokens (a block is a hit when its chunk occurred in
an earlier request, at any position: what chunk-level reuse, CacheBlend-style, could reach).

  python3 tools/trace_reference.py PATH --format NAME [--block-size B] [--first N]

Token accounting (the same for every format): a request's prompt tokens are its input length; block i stands
for tokens [i*B, (i+1)*B) of the prompt cut at the input length, unless the format gives per-block counts
(kvcache-simulator's block_tokens, RAGPulse's token_length), which then count, cut the same way.
--first N keeps the first N requests in arrival order (tests use slices of big traces).
"""
import argparse
import csv
import datetime
import glob
import json
import math
import os


def ms_of_seconds(seconds):
    # Round half away from zero, as C's llround (Python's round() rounds half to even).
    return int(math.floor(float(seconds) * 1000.0 + 0.5))


def request(ts_ms, inp, out, ids=None, weights=None, ns=0, chunks=None):
    """ids: the source's block ids; ns: their namespace; weights: per-block tokens or None; chunks: the ids
    chunk-level reuse compares (namespaced), or None when the format keeps none."""
    return {"ts": ts_ms, "in": inp, "out": out, "ids": ids or [], "w": weights, "ns": ns, "chunks": chunks}


def read_mooncake(path):
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                yield request(r["timestamp"], r["input_length"], r["output_length"], r["hash_ids"])


def read_bailian(path):
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                ids = r["hash_ids"]
                yield request(ms_of_seconds(r["timestamp"]), r["input_length"], r["output_length"], ids,
                              chunks=list(ids))


def read_kvcache_simulator(path):
    last = 0
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                if "timestamp" in r:
                    last = int(math.floor(float(r["timestamp"]) + 0.5))
                yield request(last, r["input_length"], r.get("output_length", 0), r["hash_ids"],
                              r.get("block_tokens"))


RAGPULSE_SEGMENTS = ["sys_prompt", "passages_ids", "history", "web_search", "user_input"]


def read_ragpulse(path):
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    tokens = {}
    for side in sorted(glob.glob(os.path.join(folder, "[1-5]_*.jsonl"))):
        with open(side) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    key = [k for k in r if k.endswith("_id")][0]
                    tokens[r[key]] = r["token_length"]
    out = []
    with open(os.path.join(folder, "0_trace.jsonl")) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                ids = [c for seg in RAGPULSE_SEGMENTS for c in r["hash_ids"].get(seg, [])]
                out.append(request(ms_of_seconds(r["timestamp"]), r["input_length"], r["output_length"], ids,
                                   [tokens[c] for c in ids], chunks=list(ids)))
    out.sort(key=lambda q: q["ts"])  # stable: equal times keep file order
    return out


def read_kv_cache_tester(path):
    files = sorted(glob.glob(os.path.join(path, "*.json"))) if os.path.isdir(path) else [path]
    out = []
    namespaces = [0]  # next free namespace; 0 is "global"

    def fresh():
        namespaces[0] += 1
        return namespaces[0]

    def flatten(entries, base_ms, ns, per_context):
        for e in entries:
            t = base_ms + ms_of_seconds(e["t"])
            if e.get("type") == "subagent":
                flatten(e["requests"], t, fresh() if per_context else ns, per_context)
            else:
                out.append(request(t, e["in"], e["out"], e["hash_ids"], ns=ns))

    for name in files:
        with open(name) as f:
            doc = json.load(f)
        scope = doc.get("hash_id_scope", "per_context")
        flatten(doc["requests"], 0, 0 if scope == "global" else fresh(), scope not in ("global", "local"))
    out.sort(key=lambda q: q["ts"])
    return out


def read_length_csv(path, time_column, input_column, output_column):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    first = None
    for row in rows:
        text = row[time_column]
        if time_column == "TIMESTAMP":  # 2023-11-16 18:17:03.9799600
            day, clock = text.split(" ")
            whole, _, fraction = clock.partition(".")
            when = datetime.datetime.strptime(day + " " + whole, "%Y-%m-%d %H:%M:%S")
            seconds = (when - datetime.datetime(1970, 1, 1)).total_seconds()
            ms = int(seconds) * 1000 + ms_of_seconds(float("0." + fraction) if fraction else 0.0)
            if first is None:
                first = ms
            ms -= first
        else:
            ms = ms_of_seconds(text)
        yield request(ms, int(row[input_column]), int(row[output_column]))


def read_prompt_token_ids(path, block_size):
    """Your own prompts, token-id lines only ({"prompt_token_ids": [...], "timestamp": s, "max_tokens": n}):
    as vLLM's prefix cache cuts them (vllm/v1/core/kv_cache_utils.py, hash_request_tokens): full blocks of
    block_size tokens only, a block named by the tokens it holds and chained below (a partial last block gets
    no id and is never a hit). A line without a timestamp arrives 1 s after the previous one (the first at
    0); without max_tokens the output is 256 tokens (docs/traces.md)."""
    last = None
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                tokens = r["prompt_token_ids"]
                ts = ms_of_seconds(r["timestamp"]) if "timestamp" in r else (0 if last is None else last + 1000)
                last = ts
                out = r.get("max_tokens", r.get("max_completion_tokens", 256))
                ids = [tuple(tokens[i:i + block_size]) for i in range(0, len(tokens) - block_size + 1, block_size)]
                yield request(ts, len(tokens), out, ids)


READERS = {
    "prompts": (read_prompt_token_ids, 16, True),
    "mooncake": (read_mooncake, 512, False),  # (reader, block size, keys chained here)
    "qwen-bailian": (read_bailian, 16, True),
    "kvcache-simulator": (read_kvcache_simulator, None, True),
    "ragpulse": (read_ragpulse, 512, True),
    "kv-cache-tester": (read_kv_cache_tester, None, True),
    "azure-llm": (lambda p: read_length_csv(p, "TIMESTAMP", "ContextTokens", "GeneratedTokens"), 512, False),
    "burstgpt": (lambda p: read_length_csv(p, "Timestamp", "Request tokens", "Response tokens"), 512, False),
}


def declared_block_size(path, fmt):
    if fmt == "kvcache-simulator":
        with open(path) as f:
            for line in f:
                if line.strip():
                    return json.loads(line)["block_size"]
    if fmt == "kv-cache-tester":
        first = sorted(glob.glob(os.path.join(path, "*.json")))[0] if os.path.isdir(path) else path
        with open(first) as f:
            return json.load(f)["block_size"]
    return READERS[fmt][1]


def block_tokens(q, block_size):
    """The tokens each block of request q stands for, cut at its input length."""
    widths = q["w"] if q["w"] is not None else [block_size] * len(q["ids"])
    out, start = [], 0
    for w in widths:
        end = min(start + w, q["in"])
        out.append(max(0, end - start))
        start = max(start, end)
    return out


def summarise(path, fmt, block_size=None, first=None):
    reader, _, chained_here = READERS[fmt]
    b = block_size or declared_block_size(path, fmt)
    requests = list(reader(path, b) if fmt == "prompts" else reader(path))
    if first is not None:
        requests = requests[:first]
    seen_paths = {}  # (parent path node, id) -> path node number: paths some earlier request had
    next_node = 0
    seen_chunks = set()
    prefix_hit = chunk_hit = 0
    has_chunks = any(q["chunks"] is not None for q in requests)
    for q in requests:
        widths = block_tokens(q, b)
        # Prefix: the leading blocks whose whole path an earlier request had. Mooncake ids name their path
        # already; the other formats' ids are chained here: (the path so far, id).
        node, hits, run, pending = ("root", q["ns"]), 0, True, {}
        for i, h in enumerate(q["ids"]):
            key = (node, h) if chained_here else h
            number = seen_paths.get(key)
            present = number is not None
            if not present:
                number = pending.get(key)
                if number is None:
                    number = pending[key] = next_node
                    next_node += 1
            if present and run:
                hits += widths[i]
            else:
                run = False
            node = number
        seen_paths.update(pending)  # this request's blocks are there for the next ones
        prefix_hit += hits
        if q["chunks"] is not None:
            chunk_hit += sum(w for c, w in zip(q["chunks"], widths) if (q["ns"], c) in seen_chunks)
            seen_chunks.update((q["ns"], c) for c in q["chunks"])
    result = {
        "format": fmt,
        "block_size": b,
        "requests": len(requests),
        "prompt_tokens": sum(q["in"] for q in requests),
        "output_tokens": sum(q["out"] for q in requests),
        "blocks": sum(len(q["ids"]) for q in requests),
        "first_timestamp_ms": requests[0]["ts"] if requests else 0,
        "last_timestamp_ms": requests[-1]["ts"] if requests else 0,
        "timestamp_sum_ms": sum(q["ts"] for q in requests),
        "prefix_hit_tokens": prefix_hit,
    }
    if has_chunks:
        result["chunk_hit_tokens"] = chunk_hit
    return result


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("trace")
    p.add_argument("--format", required=True, choices=sorted(READERS))
    p.add_argument("--block-size", type=int)
    p.add_argument("--first", type=int)
    a = p.parse_args()
    print(json.dumps(summarise(a.trace, a.format, a.block_size, a.first)))
