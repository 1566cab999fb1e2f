#!/usr/bin/env bash
# Prepares bench/run_gpu.sh's call on the device machine, here (no GPU needed): builds
# retune, retune_tests and retune_train_bench in build-cuda/ with the CUDA backend (or in the
# Release build folder given, configured with -DRETUNE_CUDA=ON, and copies them to build-cuda/), strips them,
# packs the shared libraries they need that the device image lacks into .device/lib.tar.xz, and
# copies the PEFT peer script beside it. Then, from the device tool:
#   run  command: bash bench/run_gpu.sh   (or, within a call's 600 s, two calls:
#                 SHAPES= PEER=0 bash bench/run_gpu.sh, then TESTS=0 bash bench/run_gpu.sh)
#        carry:   [".device", "build-cuda/src/retune", "build-cuda/tests/retune_tests",
#                  "build-cuda/bench/retune_train_bench"]
# .device/ must be ignored by git (.git/info/exclude), as build-cuda/ is by .gitignore.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qs '^/.device/$' .git/info/exclude || { mkdir -p .git/info && echo /.device/ >> .git/info/exclude; }
build=${1:-build-cuda}
[ "$build" != build-cuda ] || cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DRETUNE_CUDA=ON >/dev/null
cmake --build "$build" --target retune retune_tests retune_train_bench
binaries=(build-cuda/src/retune build-cuda/tests/retune_tests build-cuda/bench/retune_train_bench)
for binary in "${binaries[@]}"; do
  mkdir -p "$(dirname "$binary")"
  [ "$build" = build-cuda ] || cp "$build/${binary#build-cuda/}" "$binary"
done
strip "${binaries[@]}"
mkdir -p .device
rm -rf .device/lib && mkdir .device/lib
# Every library the binaries load but the C library itself and CUDA's (the device has its own).
ldd "${binaries[@]}" | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -Ev '/(libc|libm|libdl|librt|libpthread|ld-linux[^/]*)\.so|/libcu' |
  while read -r lib; do cp -L "$lib" .device/lib/; done
tar cJf .device/lib.tar.xz -C .device/lib . && rm -rf .device/lib
cp ../shared/peers/peft_gpu.py .device/peft_gpu.py
du -ch .device "${binaries[@]}" | tail -1
