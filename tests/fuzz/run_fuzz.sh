#!/bin/sh
# Runs one libFuzzer target for a bounded time, from its seed corpus, and fails on any finding.
#   run_fuzz.sh TARGET SEED_CORPUS WORK_DIR SECONDS
# New inputs go to WORK_DIR/corpus (the seeds are never written to); a failing input is saved
# in WORK_DIR/ as crash-*, leak-*, timeout-* or oom-*, and the log is WORK_DIR/fuzz.log.
set -u
target=$1
seeds=$2
work=$3
seconds=$4
rm -rf "$work" && mkdir -p "$work/corpus" || exit 2
"$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds" > "$work/fuzz.log" 2>&1
status=$?
tail -n 25 "$work/fuzz.log"
if [ "$status" -ne 0 ]; then
  for artifact in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
    [ -e "$artifact" ] && echo "failing input: $artifact"
  done
  exit 1
fi
echo "no findings in ${seconds} s"
