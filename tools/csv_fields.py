#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reads a CSV file with Python's csv module (an RFC 4180 reader independent of ours) and prints each record
as one JSON array per line. tests/engine/tst_csv_writer checks that what CsvWriter writes reads back to the
fields it was given."""
import csv
import json
import sys


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: csv_fields.py FILE.csv", file=sys.stderr)
        return 2
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        for record in csv.reader(f, strict=True):
            print(json.dumps(record, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
