#!/usr/bin/env bash
# Sets up, builds, and runs retune's main job on its embedded default. Until the training
# demo exists that is `retune --version` and `retune selfcheck`, which runs every op once
# against its reference implementation and finite differences.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target retune
./build/src/retune --version
./build/src/retune selfcheck
