#!/usr/bin/env bash
# Installs what retune needs to build and test, from Debian's packages. A no-op when all is there.
#   scripts/setup.sh             the release build's needs
#   scripts/setup.sh --sanitize  also Clang, its sanitizer and libFuzzer runtimes and its OpenMP
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libopenblas-openmp-dev liblapacke-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libfmt-dev libpcre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
if [ "${1:-}" = "--sanitize" ]; then
  packages+=(clang libclang-rt-14-dev libomp-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "setup: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
