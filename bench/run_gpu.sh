#!/usr/bin/env bash
# The GPU checks of the CUDA backend, in one call on the device machine (a GPU, torch, PEFT, no
# Debian -dev packages): the op checks on cuda:0 and the CPU-vs-GPU training parity tests, then
# BENCHMARKS.md's training step side by side — retune_train_bench --device cuda and PEFT's
# ../shared/peers/peft_gpu.py — on the SmolLM2-135M and Qwen2.5-0.5B shapes, LoRA r16 all-linear
# and full fine-tuning, B=8, T=1024. Writes gpu.txt, tests.log, retune.jsonl and peft.jsonl
# under $OUT (default: gpu-results/).
#
# Prepared here by bench/prepare_gpu_run.sh: build-cuda/ (cmake -DRETUNE_CUDA=ON) with retune,
# retune_tests and retune_train_bench built; .device/lib.tar.xz holding the shared libraries they
# need that the device image lacks (ldd: OpenBLAS's OpenMP build, libgfortran, yaml-cpp, fmt, PCRE2, ...);
# .device/peft_gpu.py, a copy of ../shared/peers/peft_gpu.py (its loop may be cut to the
# configurations wanted, as for bench/results/gpu-train-2026-11-27-h200.json). Carry .device and
# the three binaries: they, the libraries and the tracked tree fit the 64 MiB a call takes once
# the binaries are stripped. SHAPES (default "smollm2-135m qwen2.5-0.5b"; set and empty: no
# benchmark) and MODES (default "lora --full"; also --f32-activations, LoRA with every activation
# in f32) choose retune's runs; PEER=0 leaves out PEFT's; TESTS=0 leaves out the GPU tests.
# TEST_SECONDS (default 420) and PEFT_SECONDS (240) bound the GPU tests and PEFT's runs. A call
# on the device machine may take 600 s at most: the tests and the benchmarks may need a call each
# (SHAPES= PEER=0 for the tests alone, TESTS=0 for the benchmarks).
set -uo pipefail
out=${OUT:-gpu-results}
mkdir -p "$out" /tmp/retune-lib
tar xJf .device/lib.tar.xz -C /tmp/retune-lib
# The tests find their fixtures and the retune binary by the absolute paths they were built
# with: that source folder, here, is this checkout.
built_in=$(grep -aom1 '/[[:alnum:]_./-]*/tests/fixtures' build-cuda/tests/retune_tests)
src_root=${built_in%/tests/fixtures}
[ -z "$src_root" ] || [ -e "$src_root" ] || { mkdir -p "$(dirname "$src_root")" && ln -s "$PWD" "$src_root"; }
# And the retune binary by the path it was built at (a build folder other than build-cuda/ when
# bench/prepare_gpu_run.sh was given one).
built_retune=$(grep -aom1 '/[[:alnum:]_./-]*/build[[:alnum:]_-]*/src/retune' build-cuda/tests/retune_tests)
build_root=${built_retune%/src/retune}
[ -z "$build_root" ] || [ -e "$built_retune" ] || { mkdir -p "$(dirname "$build_root")" && ln -sfn "$PWD/build-cuda" "$build_root"; }
# cuBLASLt comes from the device's CUDA toolkit (or the wheel PyTorch uses).
libs=/tmp/retune-lib:/usr/local/cuda/lib64
libs+=:$(python3 -c 'import nvidia.cublas, os; print(os.path.dirname(nvidia.cublas.__file__) + "/lib")' 2>/dev/null)
retune_env() { LD_LIBRARY_PATH=$libs:${LD_LIBRARY_PATH:-} OMP_NUM_THREADS=4 "$@"; }
retune_env ldd build-cuda/src/retune | grep "not found"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
if [ "${TESTS:-1}" != 0 ]; then
  retune_env timeout "${TEST_SECONDS:-420}" build-cuda/tests/retune_tests \
    --gtest_filter='AllOps/*cuda*:*Gpu*' 2>&1 | tee "$out/tests.log" | grep -E "FAILED|PASSED|error" | head -60
fi
for shape in ${SHAPES-smollm2-135m qwen2.5-0.5b}; do
  for mode in ${MODES:-lora --full}; do
    [ "$mode" = lora ] && mode=""
    retune_env timeout 90 build-cuda/bench/retune_train_bench --device cuda --shape $shape \
      --batch 8 --seq 1024 --steps 10 $mode 2>&1 | tee -a "$out/retune.log" | tail -1 >> "$out/retune.jsonl"
  done
done
cat "$out/retune.jsonl"
[ "${PEER:-1}" = 0 ] || PYTHONUNBUFFERED=1 timeout "${PEFT_SECONDS:-240}" python3 .device/peft_gpu.py 2>&1 | tee "$out/peft.jsonl"
