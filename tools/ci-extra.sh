#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The checks beyond the normal test run: sanitizer builds of the engine suites, fuzz smoke runs.
# Called by ./setup.sh test after ctest; grows with the reliability work.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "ci-extra: nothing more yet"
