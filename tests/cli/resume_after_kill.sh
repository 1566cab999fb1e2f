#!/bin/sh
# Kills `retune train` with SIGKILL (or stops it with SIGTERM) once it has written a few
# checkpoints, resumes it with --resume, and checks that the adapter it ends with is byte for
# byte the one an uninterrupted run writes (one thread; LoRA dropout on, so the masks must resume
# too). SIGTERM must end the run with a checkpoint of the step it was in and a one-line message.
#   resume_after_kill.sh RETUNE CONFIG WORK_DIR [KILL|TERM]
set -u
retune=$1
config=$2
work=$3
signal=${4:-KILL}
rm -rf "$work" && mkdir -p "$work" || exit 2
set -- --set training.steps=300 --set save_every=3 --set lora.dropout=0.1 --set threads=1 \
  --set "data.eval=[]"

"$retune" train "$config" --set "output=$work/straight" "$@" > "$work/straight.log" 2>&1 || {
  cat "$work/straight.log"; exit 1; }

"$retune" train "$config" --set "output=$work/killed" "$@" > "$work/killed.log" 2>&1 &
pid=$!
while [ ! -d "$work/killed/checkpoint-9" ]; do
  if ! kill -0 "$pid" 2> /dev/null; then echo "the run ended before it could be killed"; exit 1; fi
  sleep 0.01
done
kill -s "$signal" "$pid"
{ wait "$pid"; } 2> /dev/null
status=$?
if [ -d "$work/killed/adapter" ]; then echo "the killed run had written its adapter"; exit 1; fi
if [ "$signal" = TERM ]; then
  [ "$status" -eq 1 ] || { echo "SIGTERM: exit status $status, expected 1"; cat "$work/killed.log"; exit 1; }
  stopped=$(grep -o "training stopped by SIGTERM after step [0-9]*" "$work/killed.log") || {
    echo "SIGTERM: no stop message"; cat "$work/killed.log"; exit 1; }
  step=${stopped##* }
  [ -d "$work/killed/checkpoint-$step" ] || { echo "SIGTERM: no checkpoint-$step"; exit 1; }
fi
for leftover in "$work"/killed/*.tmp-*; do
  [ -e "$leftover" ] && echo "leftover of the killed write: $leftover (ignored on resume)"
done

"$retune" train "$config" --set "output=$work/killed" "$@" --resume > "$work/resumed.log" 2>&1 || {
  cat "$work/resumed.log"; exit 1; }
grep -q "resuming from" "$work/resumed.log" || { echo "did not resume"; exit 1; }
cmp "$work/straight/adapter/adapter_model.safetensors" \
    "$work/killed/adapter/adapter_model.safetensors" || exit 1
echo "resumed after SIG$signal: the adapter equals the uninterrupted run's"
