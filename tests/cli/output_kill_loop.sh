#!/usr/bin/env bash
# Kills a retune command that writes one output folder (`merge`, `export`) with SIGKILL at KILLS
# random moments, each run from a fresh start, and checks that the folder is then either absent
# or whole: byte for byte the folder an uninterrupted run writes (never a half-written folder
# under the output's name). The kill moments spread over 0 to 1.5 times an uninterrupted run's
# time. The command follows KILLS; the word OUT in it stands for the output folder.
#   output_kill_loop.sh WORK_DIR KILLS RETUNE ARGS...
set -u
work=$1
kills=$2
shift 2
command=("$@")
RANDOM=7  # the same kill moments on every run
rm -rf "$work" && mkdir -p "$work" || exit 2

# The command with OUT replaced by $1.
command_to() {
  local arg
  to=()
  for arg in "${command[@]}"; do
    if [ "$arg" = OUT ]; then to+=("$1"); else to+=("$arg"); fi
  done
}

command_to "$work/reference"
start=$(date +%s%N)
"${to[@]}" > "$work/reference.log" 2>&1 || { cat "$work/reference.log"; exit 1; }
run_ns=$(($(date +%s%N) - start))

out=$work/killed
command_to "$out"
absent=0
whole=0
in_write=0
for ((kill_number = 1; kill_number <= kills; ++kill_number)); do
  rm -rf "$out"
  "${to[@]}" > "$work/killed.log" 2>&1 &
  pid=$!
  delay_ns=$((RANDOM * 3 * run_ns / 2 / 32768))
  sleep "$(awk -v ns="$delay_ns" 'BEGIN { printf "%.6f", ns / 1e9 }')"
  kill -s KILL "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  [ -e "$out.tmp-$pid" ] && in_write=$((in_write + 1))
  if [ ! -e "$out" ]; then
    absent=$((absent + 1))
  elif diff -r "$work/reference" "$out" > /dev/null; then
    whole=$((whole + 1))
  else
    echo "kill $kill_number, ${delay_ns} ns after the start: $out is there but not whole:"
    diff -r "$work/reference" "$out" | head -5
    exit 1
  fi
done
echo "$kills kills ($in_write while the output was being written): the output was absent after" \
  "$absent and whole after $whole; never partial"
