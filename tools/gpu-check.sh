#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gpu-check.sh - build kvlab-cli + the compute module against the machine's PyTorch LibTorch and run the GPU
# checks once, each step under a time limit, recording one JSON per step and summary.json (docs/gpu.md).
#
#   tools/gpu-check.sh [OUT_DIR]      # run from the repository root; OUT_DIR defaults to $OUT, else gpu-check-out/
#
# Needs: python3 with torch (2.x, CUDA), cmake >= 3.25, ninja, a C++20 compiler, nvcc (LibTorch's CMake config
# looks for the CUDA toolkit), and the kit from tools/device-kit.sh in kit/ (or KVLAB_KIT=<dir>) unless the
# system has the -dev packages. No Qt, no network. The whole script stays under KVLAB_GPU_CHECK_BUDGET_S
# (default 470 s): each step gets min(its own limit, the time left); steps past the budget are recorded as
# skipped. A failing step prints its error and the script goes on; the exit status is 0 only if every step
# passed.
#
# Environment:
#   KVLAB_GPU_CHECK_DEVICE   cuda (default) or cpu - cpu runs the same steps on this machine's LibTorch, to
#                            test the script's plumbing where there is no GPU
#   KVLAB_GPU_CHECK_MODEL    model preset (default on cuda: gpu-1b if `kvlab-cli list` offers it, else demo;
#                            on cpu: small, so the plumbing check takes a minute)
#   KVLAB_GPU_CHECK_BUILD    build folder (default build-gpu)
#   KVLAB_GPU_CHECK_TORCH    CMake prefix of LibTorch (default: python3 -c 'torch.utils.cmake_prefix_path')
#   KVLAB_GPU_CHECK_CMAKE_ARGS  extra configure arguments, split on spaces (appended last, so they win), e.g.
#                            -DCMAKE_CUDA_ARCHITECTURES=90
#   KVLAB_GPU_CHECK_SKIP_BUILD  1: skip configure and build, use the kvlab-cli already in the build folder
#   KVLAB_GPU_CHECK_STEP_SCALE  multiply every step's time limit (integer, default 1; e.g. 3 for a slow CPU)
#   KVLAB_KIT                third-party kit folder (default kit/ when it exists; "none": system packages)
set -uo pipefail

start=$(date +%s)
budget=${KVLAB_GPU_CHECK_BUDGET_S:-470}
device=${KVLAB_GPU_CHECK_DEVICE:-cuda}
build=${KVLAB_GPU_CHECK_BUILD:-build-gpu}
out=${1:-${OUT:-gpu-check-out}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
[[ -f CMakeLists.txt && -d core ]] || {
  echo "gpu-check: run me from the repository root" >&2
  exit 2
}
command -v python3 >/dev/null || {
  echo "gpu-check: python3 is required (JSON records, LibTorch location)" >&2
  exit 2
}

steps=()   # names, in order, for summary.json
failed=0

left() { echo $((budget - ($(date +%s) - start))); }

# record NAME RC SECONDS TIMED_OUT LIMIT STDOUT_FILE STDERR_FILE COMMAND...
# Writes $out/NAME.json: the command, exit status, time, the tails of its output and, when stdout (or its last
# line) is a JSON object, that object as "result".
record() {
  local name=$1 rc=$2 secs=$3 timed_out=$4 limit=$5 so=$6 se=$7
  shift 7
  python3 - "$out/$name.json" "$name" "$rc" "$secs" "$timed_out" "$limit" "$so" "$se" "$@" <<'PY'
import json, sys
path, name, rc, secs, timed_out, limit, so, se, *cmd = sys.argv[1:]
def read(p):
    try:
        with open(p, errors="replace") as f:
            return f.read()
    except OSError:
        return ""
stdout, stderr = read(so), read(se)
result = None
for text in (stdout.strip(), stdout.strip().splitlines()[-1] if stdout.strip() else ""):
    try:
        candidate = json.loads(text)
    except ValueError:
        continue
    if isinstance(candidate, dict):
        result = candidate
        break
status = "pass" if rc == "0" else ("timeout" if timed_out == "1" else ("skipped" if rc == "skip" else "fail"))
rec = {"step": name, "status": status, "exit_code": None if rc == "skip" else int(rc),
       "seconds": float(secs), "time_limit_s": int(limit), "command": cmd,
       "stdout_tail": stdout[-6000:], "stderr_tail": stderr[-4000:]}
if result is not None:
    rec["result"] = result
with open(path, "w") as f:
    json.dump(rec, f, indent=2)
PY
}

# step NAME LIMIT_S COMMAND... : run under timeout, print a one-line verdict (and the error on failure).
step() {
  local name=$1 limit=$2
  shift 2
  steps+=("$name")
  local so="$out/$name.stdout" se="$out/$name.stderr" remaining
  remaining=$(left)
  if ((remaining < 5)); then
    echo "out of time budget (${budget} s) before this step" >"$se"
    : >"$so"
    record "$name" skip 0 0 0 "$so" "$se" "$@"
    printf '%-26s SKIPPED (time budget spent)\n' "$name"
    failed=1
    return
  fi
  limit=$((limit * ${KVLAB_GPU_CHECK_STEP_SCALE:-1}))
  ((limit > remaining)) && limit=$remaining
  local t0 t1 rc
  t0=$(date +%s.%N)
  timeout --kill-after=5 "$limit" "$@" >"$so" 2>"$se"
  rc=$?
  t1=$(date +%s.%N)
  local secs timed_out=0
  secs=$(python3 -c "print(round($t1 - $t0, 3))")
  ((rc == 124 || rc == 137)) && timed_out=1
  record "$name" "$rc" "$secs" "$timed_out" "$limit" "$so" "$se" "$@"
  if ((rc == 0)); then
    printf '%-26s ok    %7.1f s\n' "$name" "$secs"
  else
    failed=1
    if ((timed_out)); then
      printf '%-26s TIMEOUT after %s s\n' "$name" "$limit"
    else
      printf '%-26s FAIL  (exit %d, %.1f s)\n' "$name" "$rc" "$secs"
    fi
    tail -n 15 "$se" | sed 's/^/    /'
  fi
}

# ---- build ----------------------------------------------------------------------------------------------------
torch_prefix=${KVLAB_GPU_CHECK_TORCH:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)}
kit=${KVLAB_KIT:-}
[[ -z "$kit" && -f kit/kvlab-kit.cmake ]] && kit=$PWD/kit
[[ "$kit" == none ]] && kit=
cfg=(cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVLAB_GUI=OFF)
[[ -n "$torch_prefix" ]] && cfg+=("-DCMAKE_PREFIX_PATH=$torch_prefix")
[[ -n "$kit" ]] && cfg+=("-DKVLAB_KIT=$kit")
read -r -a extra <<<"${KVLAB_GPU_CHECK_CMAKE_ARGS:-}"
cfg+=("${extra[@]}")
echo "gpu-check: device $device, LibTorch prefix ${torch_prefix:-<system>}, kit ${kit:-<system -dev packages>}"
if [[ ${KVLAB_GPU_CHECK_SKIP_BUILD:-0} == 1 ]]; then
  echo "gpu-check: configure and build skipped (KVLAB_GPU_CHECK_SKIP_BUILD=1), using $build/bin/kvlab-cli"
else
  step configure 120 "${cfg[@]}"
  step build 300 cmake --build "$build" -j"$(nproc)" --target kvlab-cli kvlab_compute_module
fi
cli=$build/bin/kvlab-cli

# ---- checks ---------------------------------------------------------------------------------------------------
if [[ -x "$cli" ]]; then
  step list 30 "$cli" list --devices
  model=${KVLAB_GPU_CHECK_MODEL:-}
  if [[ -z "$model" ]]; then
    if [[ $device == cpu ]]; then
      model=small
    elif grep -q 'gpu-1b' "$out/list.stdout" 2>/dev/null; then model=gpu-1b; else model=demo; fi
  fi
  echo "gpu-check: model $model"
  # Which attention kernel this build compiled (LibTorch >= 2.1: scaled_dot_product_attention with the
  # explicit bottom-right mask; 1.13: the chunked kernel): every compute step below runs through it.
  grep -i 'attention' "$out/list.stdout" 2>/dev/null | sed 's/^/gpu-check: /'
  # fp32 is every command's default precision, so fp32 steps pass no --dtype. The verify tolerances are the
  # per-dtype defaults (docs/gpu.md).
  step verify-fp32 60 "$cli" verify --device "$device" --model "$model"
  step verify-bf16 60 "$cli" verify --device "$device" --model "$model" --dtype bf16
  if [[ $device != cpu ]]; then
    # fp16 and an explicit device index exist only on a GPU; the small model keeps these quick.
    step verify-fp16-small 30 "$cli" verify --device "$device" --model small --dtype fp16
    step verify-cuda0-small 30 "$cli" verify --device cuda:0 --model small
  fi
  # A loop of GEMMs timed between device barriers (fp32 with TF32 off, and bf16), then prefill rates.
  step bench-bf16 60 "$cli" bench --device "$device" --dtype bf16
  for dtype in fp32 bf16; do
    dt=()
    [[ $dtype != fp32 ]] && dt=(--dtype "$dtype")
    for scenario in repeated-prefix agentic; do
      step "run-$scenario-$dtype" 45 "$cli" run "$scenario" --device "$device" --model "$model" "${dt[@]}" \
        --json --out "$out/run-$scenario-$dtype"
    done
  done
  step run-decode-bf16 45 "$cli" run decode --device "$device" --model "$model" --dtype bf16 --json \
    --out "$out/run-decode-bf16"
  # K/V stored in (pinned) host memory, copied on a side stream: bytes and ms moved are in the JSON result
  # (bytes_to_storage, bytes_to_compute, transfer_ms_to_storage, transfer_ms_to_compute, pinned_host_storage).
  step offload-storage-cpu-bf16 45 "$cli" run repeated-prefix --device "$device" --storage cpu --model "$model" \
    --dtype bf16 --json --out "$out/run-offload-bf16"
else
  for name in list verify-fp32 verify-bf16 bench-bf16 run-repeated-prefix-fp32 run-agentic-fp32 \
    run-repeated-prefix-bf16 run-agentic-bf16 run-decode-bf16 offload-storage-cpu-bf16; do
    steps+=("$name")
    echo "not run: the build produced no $cli" >"$out/$name.stderr"
    : >"$out/$name.stdout"
    record "$name" skip 0 0 0 "$out/$name.stdout" "$out/$name.stderr"
  done
  failed=1
fi

# ---- summary --------------------------------------------------------------------------------------------------
gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)
python3 - "$out" "$device" "$(($(date +%s) - start))" "$budget" "$gpu" "$(git rev-parse HEAD 2>/dev/null)" \
  "${torch_prefix:-}" "${steps[@]}" <<'PY'
import json, os, platform, sys
out, device, total, budget, gpu, commit, torch_prefix, *steps = sys.argv[1:]
rows = []
for name in steps:
    try:
        with open(os.path.join(out, name + ".json")) as f:
            rec = json.load(f)
        rows.append({k: rec.get(k) for k in ("step", "status", "exit_code", "seconds")})
    except (OSError, ValueError) as e:
        rows.append({"step": name, "status": "missing", "error": str(e)})
summary = {"device": device, "gpu": gpu or None, "host": platform.node(), "cpu_count": os.cpu_count(),
           "commit": commit or None, "torch_cmake_prefix": torch_prefix or None,
           "total_seconds": int(total), "budget_seconds": int(budget),
           "passed": sum(r["status"] == "pass" for r in rows), "steps": rows}
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2)
print(f"gpu-check: {summary['passed']}/{len(rows)} steps passed in {total} s; records in {out}")
PY
exit $failed
