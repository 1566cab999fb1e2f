#!/usr/bin/env bash
# Sets up, builds, and runs retune's main job on its embedded default: `retune demo`, which
# pretrains a tiny model on procedural tasks (cached after the first run), fine-tunes it on a new
# task with every method on the same budget, prints what each learned and forgot, and writes
# retune-demo/report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target retune
./build/src/retune --version
./build/src/retune demo
