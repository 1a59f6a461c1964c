#!/usr/bin/env bash
# The ablation of docs/ablation.md on a many-core GPU machine, from scratch:
#   1. simulate the sessions of benchmarks/train_bundled.py (no video), PAR at a time;
#   2. build two datasets of them: all context features (the simulator's ball track
#      included), and the player's own 12 only without a ball track;
#   3. train, one process per (configuration, seed): the 4 configurations x 3 seeds on the
#      all-features data, and the full model x 3 seeds on the player-only data;
#   4. score every complete configuration on the test split (CPU) into OUT/ablation-*.md.
# Usage (repository root): benchmarks/ablation_gpu.sh OUT [TRAIN_LIMIT_S] [DEVICE]
# Env: SESSIONS (default 24), SEEDS ("0 1 2"), PAR (parallel simulations, 16), EPOCHS (30),
# PY (python3), WORK (/tmp/footcoach-ablation-gpu).
set -u
OUT=$1; LIMIT=${2:-380}; DEV=${3:-cuda}
SESSIONS=${SESSIONS:-24}; SEEDS=${SEEDS:-0 1 2}; PAR=${PAR:-16}; EPOCHS=${EPOCHS:-30}; PY=${PY:-python3}
W=${WORK:-/tmp/footcoach-ablation-gpu}; mkdir -p "$OUT" "$W/logs"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
t0=$(date +%s)
since() { echo "$(( $(date +%s) - t0 )) s"; }
throttle() { while [ "$(jobs -rp | wc -l)" -ge "$PAR" ]; do sleep 0.5; done; }
nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null

players=(10 8 12 10 10 10)  # as benchmarks/train_bundled.py
names=()
for k in $(seq 0 $((SESSIONS - 1))); do
  seed=$((11 + k)); names+=("$W/s$seed")
  [ -f "$W/s$seed/session.toml" ] && continue
  "$PY" -m footcoach simulate "$W/s$seed" --seed $seed --players ${players[$((k % 6))]} \
    --minutes 3 --no-video > "$W/logs/sim$seed.log" 2>&1 &
  throttle
done
wait
echo "simulated $SESSIONS sessions: $(since)"
for ctx in all player; do
  ball=(); [ $ctx = player ] && ball=(--no-ball)
  "$PY" -m footcoach dataset build "${names[@]}" --out "$W/data-$ctx.h5" --context $ctx \
    "${ball[@]}" --force > "$W/logs/build-$ctx.log" 2>&1 &
done
wait
grep -h "windows (of" "$W"/logs/build-*.log
echo "datasets built: $(since)"

t1=$(date +%s)
train() {  # DATA CONFIG SEED WORK LOG
  "$PY" benchmarks/ablation.py "$1" --configs "$2" --seeds "$3" --work "$4" --epochs "$EPOCHS" \
    --out "$W/logs/$5.md" --modalities imu,context --device "$DEV" > "$W/logs/$5.log" 2>&1 &
}
for seed in $SEEDS; do
  for cfg in cnn cnn_lstm cnn_lstm_attn full; do
    train "$W/data-all.h5" $cfg $seed "$W/models-all" "all-$cfg-$seed"
  done
  train "$W/data-player.h5" full $seed "$W/models-player" "player-full-$seed"
done
while [ $(( $(date +%s) - t1 )) -lt "$LIMIT" ] && [ -n "$(jobs -rp)" ]; do sleep 5; done
train_s=$(( $(date +%s) - t1 ))
echo "training: ${train_s} s; still running (stopped): $(jobs -rp | wc -l)"
kill $(jobs -rp) 2>/dev/null; sleep 2
grep -h "seed [0-9]:\|Error" "$W"/logs/*-[0-9].log | tee "$OUT/train.log"

gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
note="Trained on ${gpu:-this machine} ($DEV, torch $("$PY" -c 'import torch; print(torch.__version__)')) in parallel processes (one per configuration and seed: 4 configurations on the all-features data, the full model on the player-only data): ${train_s} s of wall time; scored on the CPU."
score() {  # DATA WORK NAME CONFIGS...
  local data=$1 work=$2 name=$3; shift 3
  local complete=""
  for cfg in "$@"; do
    if [ "$cfg" = full ]; then tasks="joint"; else tasks="action tactic quality"; fi
    ok=1
    for seed in $SEEDS; do for t in $tasks; do
      [ -f "$work/$cfg-$t-s$seed/footcoach_model.json" ] || ok=0
    done; done
    [ $ok = 1 ] && complete="$complete $cfg"
  done
  echo "$name: complete configurations:$complete"
  [ -n "$complete" ] || return 0
  # shellcheck disable=SC2086
  "$PY" benchmarks/ablation.py "$data" --configs $complete --seeds $SEEDS --work "$work" \
    --out "$OUT/ablation-$name.md" --modalities imu,context --device cpu --reuse \
    --epochs "$EPOCHS" --run-note "$note" > "$W/logs/score-$name.log" 2>&1
  tail -12 "$W/logs/score-$name.log"
  cp "$work/ablation.json" "$OUT/ablation-$name.json" 2>/dev/null
}
score "$W/data-all.h5" "$W/models-all" all cnn cnn_lstm cnn_lstm_attn full &
score "$W/data-player.h5" "$W/models-player" player full &
wait
echo "total: $(since)"
