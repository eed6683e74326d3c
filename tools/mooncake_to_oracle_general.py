#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a Mooncake trace (JSON lines with "timestamp" in ms and "hash_ids") as the block accesses our
replay's cache sees, in libCacheSim's oracleGeneral binary format, so libCacheSim's `cachesim` can replay the
same lookups side by side with `kvlab-cli replay` (docs/replay.md, "Against libCacheSim").

The sequence: for each request in file order, its hash ids LAST TO FIRST - the order in which our replayer
commits a request's blocks (touching the ones present, inserting the others: README "Trace replay"). An LRU
cache of C objects of size 1 fed this sequence goes through exactly the states of our LRU of C blocks
(--max-tokens = C x --block-size): each access is a touch or an insert that evicts the least recently used.
So libCacheSim's miss count must equal our inserts = `evictions` + final `tiers.device.entries` of
`kvlab-cli replay --json`. (Our hit_blocks counts the leading run found at lookup time; a block found then
and evicted by the same request's own inserts before its commit counts as a hit there and as a miss here.)

Each record: uint32 time (s), uint64 obj_id (the hash id), uint32 obj_size (1), int64 next_access_vtime (-1:
not computed; LRU does not read it), little-endian, packed (24 bytes).

  python3 tools/mooncake_to_oracle_general.py TRACE.jsonl OUT.oracleGeneral.bin
  cachesim OUT.oracleGeneral.bin oracleGeneral lru C --ignore-obj-size 1
"""
import json
import struct
import sys

RECORD = struct.Struct("<IQIq")


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: mooncake_to_oracle_general.py TRACE.jsonl OUT.bin", file=sys.stderr)
        return 2
    source, target = sys.argv[1], sys.argv[2]
    requests = accesses = 0
    with open(source, encoding="utf-8") as f, open(target, "wb") as out:
        buffer = bytearray()
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                request = json.loads(line)
                seconds = int(request["timestamp"]) // 1000
                ids = [int(i) for i in request["hash_ids"]]
            except (ValueError, KeyError, TypeError) as e:
                print(f"{source}:{number}: not a Mooncake request ({e})", file=sys.stderr)
                return 2
            for block in reversed(ids):
                buffer += RECORD.pack(seconds & 0xFFFFFFFF, block, 1, -1)
            requests += 1
            accesses += len(ids)
            if len(buffer) >= 1 << 22:
                out.write(buffer)
                buffer.clear()
        out.write(buffer)
    print(json.dumps({"requests": requests, "accesses": accesses, "path": target}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
