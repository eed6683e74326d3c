#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# KV Cache Lab: one command from a fresh Debian 12 machine to a running app or a full test run.
#   ./setup.sh run          install what is missing, build, start the GUI (headless: the default scenario)
#   ./setup.sh test         install what is missing, build, run the release test suites (ctest)
#   ./setup.sh test --all   the same, then the sanitizer and fuzz stages (tools/ci-extra.sh): what CI runs
# Extra arguments after "run" go to kvlab (or, headless, to kvlab-cli run).
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-run}
shift || true

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev libgl-dev
  libtorch-dev libopenblas0-pthread libdnnl-dev
  nlohmann-json3-dev libsimdjson-dev libxxhash-dev libssl-dev libcli11-dev libabsl-dev
  libpcre2-dev libutf8proc-dev
  clang libclang-rt-14-dev
  redis-server redis-tools libhiredis-dev openssl
  xvfb xauth python3 poppler-utils optipng
)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

jobs=$(nproc)
build() {   # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

install_missing
case "$mode" in
  run)
    build build
    if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
      exec build/bin/kvlab "$@"
    fi
    echo "setup: no display; running the default scenario headless (kvlab-cli run repeated-prefix)"
    exec build/bin/kvlab-cli run repeated-prefix "$@"
    ;;
  test)
    all=false
    for arg in "$@"; do
      case "$arg" in
        --all) all=true ;;
        *) echo "setup: unknown test option '$arg' (usage: ./setup.sh test [--all])" >&2; exit 2 ;;
      esac
    done
    build build
    QT_QPA_PLATFORM=offscreen ctest --test-dir build --output-on-failure -j "$jobs"
    if $all; then
      tools/ci-extra.sh
    else
      echo "setup: release suites done; ./setup.sh test --all adds the ASan+UBSan, TSan and fuzz stages"
    fi
    ;;
  *)
    echo "usage: ./setup.sh run [kvlab arguments] | ./setup.sh test [--all]" >&2
    exit 2
    ;;
esac
