#!/bin/sh
# Kills `retune train` with SIGKILL at KILLS random moments in a row, resuming each time, then
# lets it finish and checks that its adapter is byte for byte the one an uninterrupted run
# writes. Each run is killed a random time after its first step (0 to 3 steps' time), so the
# kills land in steps, in checkpoint writes (a checkpoint after every step) and in the removals of
# old ones (save_total_limit 3). After each kill: no adapter folder (the run did not finish), and
# every checkpoint-N folder there is whole (it has its three files); the next run must then
# resume from the newest one. At the end metrics.jsonl must hold each step once, in order, and
# three checkpoints are left. One thread; LoRA dropout on, so the dropout masks must resume too.
# The leftovers of the killed checkpoint writes and removals must be gone at the end (each is
# removed when the next checkpoint is written).
#   train_kill_loop.sh RETUNE CONFIG WORK_DIR KILLS
set -u
retune=$1
config=$2
work=$3
kills=$4
rm -rf "$work" && mkdir -p "$work" || exit 2
# Small steps and checkpoints (rank 2 on q and v, rows of 32 tokens), so that the kills come
# fast.
steps=1000
set -- --set training.steps=$steps --set save_every=1 --set save_total_limit=3 \
  --set lora.dropout=0.1 --set threads=1 \
  --set "data.eval=[]" --set "data.retain=[]" --set log_every=1 --set data.seq_len=32 \
  --set data.train_on_all=true --set training.batch_size=1 --set training.grad_accum=1 \
  --set lora.r=2 --set "lora.target_modules=[q_proj,v_proj]"

start=$(date +%s%N)
"$retune" train "$config" --set "output=$work/straight" "$@" > "$work/straight.log" 2>&1 || {
  cat "$work/straight.log"; exit 1; }
step_ns=$(( ($(date +%s%N) - start) / steps ))

out=$work/killed
kill_number=0
in_writes=0
while [ "$kill_number" -lt "$kills" ]; do
  kill_number=$((kill_number + 1))
  log=$work/run-$kill_number.log
  "$retune" train "$config" --set "output=$out" "$@" --resume > "$log" 2>&1 &
  pid=$!
  # Until the run's first step is logged ("retune: step N/1000 | ...").
  while ! grep -q "^retune: step " "$log" 2> /dev/null; do
    if ! kill -0 "$pid" 2> /dev/null; then
      wait "$pid"
      echo "kill $kill_number: the run ended (status $?) before its first step"; cat "$log"; exit 1
    fi
    sleep 0.005
  done
  delay_ns=$(awk -v seed="$kill_number" -v most="$((3 * step_ns))" \
    'BEGIN { srand(seed); printf "%d", rand() * most }')
  sleep "$(awk -v ns="$delay_ns" 'BEGIN { printf "%.6f", ns / 1e9 }')"
  kill -s KILL "$pid" 2> /dev/null
  { wait "$pid"; } 2> /dev/null
  status=$?
  if [ "$status" -ne 137 ]; then
    echo "kill $kill_number: the run was not killed (status $status): raise training.steps"
    cat "$log"; exit 1
  fi
  if [ -d "$out/adapter" ]; then echo "kill $kill_number: the killed run left an adapter"; exit 1; fi
  if [ -n "$(find "$out" -maxdepth 1 -name "checkpoint-*.tmp-$pid")" ]; then
    in_writes=$((in_writes + 1))
  fi
  for checkpoint in "$out"/checkpoint-*; do
    case "$checkpoint" in *.tmp-*) continue ;; esac  # a killed write's leftover, never read
    for file in trainable.safetensors optimizer.safetensors trainer_state.json; do
      [ -s "$checkpoint/$file" ] || { echo "kill $kill_number: $checkpoint has no $file"; exit 1; }
    done
  done
done

"$retune" train "$config" --set "output=$out" "$@" --resume > "$work/final.log" 2>&1 || {
  cat "$work/final.log"; exit 1; }
grep -q "resuming from" "$work/final.log" || { echo "the last run did not resume"; exit 1; }
cmp "$work/straight/adapter/adapter_model.safetensors" "$out/adapter/adapter_model.safetensors" ||
  exit 1
# metrics.jsonl holds every step once, in order, whatever the kills cut short.
logged=$(grep '"loss"' "$out/metrics.jsonl" | grep -o '"step":[0-9]*' | cut -d: -f2 | tr '\n' ' ')
[ "$logged" = "$(seq 1 "$steps" | tr '\n' ' ')" ] || {
  echo "metrics.jsonl's steps are not 1..$steps once each: $logged"; exit 1; }
leftovers=$(find "$out" -name '*.tmp-*')
[ -z "$leftovers" ] || { echo "the killed writes' leftovers were not removed: $leftovers"; exit 1; }
kept=$(find "$out" -maxdepth 1 -name 'checkpoint-*' | sort -V | tr '\n' ' ')
[ "$kept" = "$out/checkpoint-998 $out/checkpoint-999 $out/checkpoint-1000 " ] || {
  echo "save_total_limit 3 left other checkpoints: $kept"; exit 1; }
resumed=$(cat "$work"/run-*.log | grep -c "resuming from")
echo "$kills kills in a row ($in_writes during a checkpoint write or removal, $resumed runs resumed from a" \
  "checkpoint); the adapter equals the uninterrupted run's"
