#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The checks beyond the normal test run (called by ./setup.sh test --all after ctest; docs/reliability.md):
#   1. ASan+UBSan build (build-asan): every engine suite, the bad-input catalogue, kvlab-cli under test.
#   2. TSan build (build-tsan): the concurrency suite (worker thread vs snapshot readers, live changes)
#      and the CLI suite (a TSan kvlab-cli running multi-threaded sweeps).
#   3. libFuzzer build (build-fuzz, clang): a short smoke run of each fuzz target over its seed corpus.
# LibTorch stays out of all three (KVLAB_COMPUTE=OFF): Debian's LibTorch is not built with sanitizers, so
# compute code cannot run under TSan, and under ASan it only adds minutes of build time.
# Sanitizer builds use -O1 -g1 (line tables: what a sanitizer report needs): full -O2 -g made the ASan
# build alone take ~21 of CI's 45 minutes on the 2-core VM.
# Stages:  tools/ci-extra.sh [asan] [tsan] [fuzz]   (default: all). KVLAB_FUZZ_SECONDS (default 15) per target.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${KVLAB_JOBS:-$(nproc)}
stages=("$@")
((${#stages[@]})) || stages=(asan tsan fuzz)
fuzz_seconds=${KVLAB_FUZZ_SECONDS:-15}

configure() {   # configure DIR [cmake args...]: only when not configured yet (keeps incremental builds)
  local dir=$1; shift
  [[ -f "$dir/CMakeCache.txt" ]] || cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
}

sanitizer_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1")

stage_start=0
begin() { stage_start=$SECONDS; echo "== ci-extra: $1"; }
end() { echo "== ci-extra: $1 passed in $((SECONDS - stage_start)) s"; }

asan() {
  begin "ASan+UBSan"
  configure build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo "${sanitizer_flags[@]}" -DKVLAB_SANITIZE=address -DKVLAB_COMPUTE=OFF -DKVLAB_GUI=ON
  cmake --build build-asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  QT_QPA_PLATFORM=offscreen \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
  end "ASan+UBSan"
}

tsan() {
  begin "TSan"
  configure build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo "${sanitizer_flags[@]}" -DKVLAB_SANITIZE=thread -DKVLAB_COMPUTE=OFF -DKVLAB_GUI=ON
  # The CLI suite runs a TSan-built kvlab-cli: sweep's replay threads (missRatioCurve) are checked in
  # the child, whose sanitizer report fails the test.
  cmake --build build-tsan -j "$jobs" --target tst_snapshot_concurrency tst_cli_bad_input
  TSAN_OPTIONS=suppressions=$root/tools/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan --output-on-failure -R '^(tst_snapshot_concurrency|tst_cli_bad_input)$'
  end "TSan"
}

fuzz() {
  begin "fuzz smoke (${fuzz_seconds} s per target)"
  configure build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DKVLAB_FUZZ=ON -DKVLAB_GUI=OFF -DKVLAB_COMPUTE=OFF
  cmake --build build-fuzz -j "$jobs" --target kvlab_fuzzers
  for target in trace_line scenario units cli_args; do
    local work=build-fuzz/smoke-$target
    rm -rf "$work" && mkdir -p "$work"   # new inputs go here; the checked-in seeds stay as they are
    echo "-- fuzz_$target"
    # Absolute paths: fuzz_cli_args works inside its own temp directory.
    if ! "build-fuzz/bin/fuzz_$target" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
        -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$root/$work/" \
        "$root/$work" "$root/tests/fuzz/corpus/$target" >"$work.log" 2>&1; then
      tail -n 40 "$work.log" >&2
      echo "ci-extra: fuzz_$target failed; the input is in $work/ (crash-*, timeout-*, oom-*, leak-*)" >&2
      return 1
    fi
    grep -E '^(Done|stat::new_units_added)' "$work.log"
  done
  end "fuzz smoke"
}

total_start=$SECONDS
for stage in "${stages[@]}"; do
  case "$stage" in
    asan|tsan|fuzz) "$stage" ;;
    *) echo "usage: tools/ci-extra.sh [asan] [tsan] [fuzz]" >&2; exit 2 ;;
  esac
done
echo "ci-extra: all stages passed in $((SECONDS - total_start)) s"
