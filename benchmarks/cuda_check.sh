#!/usr/bin/env bash
# CUDA path check on a machine with an NVIDIA GPU (the figures go in the model issue's note):
#   1. analysis of the demo session with the bundled model (no cache): torch engine on each of
#      DEVICES, and whether the events agree; ONNX Runtime's providers are printed
#      (CUDAExecutionProvider only with onnxruntime-gpu);
#   2. `footcoach benchmark analyze` on a simulated session (PLAYERS players, 2 minutes, with
#      video): the bundled model and a random-init default-size model with the video branch,
#      on each of DEVICES, against the decode-only floor;
#   3. a short training run (EPOCHS epochs, the bundled recipe's vest de-tilt and yaw) on a
#      dataset built from the demo session, on each of DEVICES;
#   4. (step "recipe") the bundled model's training recipe (benchmarks/train_bundled.py:
#      modalities, context bins, loss weights) for one epoch of at most 20000 windows on a
#      dataset of SESSIONS simulated sessions (3 minutes, 10 players, no video), on each of
#      DEVICES: the time an epoch of the bundled training takes;
#   5. (step "decode") the random-init video model's analysis with each of DECODE_PLANS
#      (FFmpeg threading:crop threads; `benchmark analyze --decode-threads --crop-workers`)
#      on each of DEVICES, for the analysis's choice of video decoding on a many-core machine.
# Usage: benchmarks/cuda_check.sh [OUTDIR] [PYTHON]   (run from the repository root)
# Env: DEVICES ("cuda cpu"), EPOCHS (2), PLAYERS (22), SESSIONS (12),
#      STEPS ("analyze bench train recipe"; "decode" is not run unless named),
#      DECODE_PLANS ("slice:1 auto:1 auto:2 auto:4 auto:8").
# A demo session copied without its video file (a device machine that cannot take the whole
# repository) is analysed without video: the bundled model reads no video.
set -uo pipefail
OUT=${1:-/tmp/footcoach-cuda-check}
PY=${2:-python3}
DEVICES=${DEVICES:-cuda cpu}
EPOCHS=${EPOCHS:-2}
PLAYERS=${PLAYERS:-22}
SESSIONS=${SESSIONS:-12}
DECODE_PLANS=${DECODE_PLANS:-slice:1 auto:1 auto:2 auto:4 auto:8}
STEPS=${STEPS:-analyze bench train recipe}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1
fc() { "$PY" -m footcoach.cli.main "$@"; }
step() { echo; echo "=== $* ($(date +%T))"; }
wants() { [[ " $STEPS " == *" $1 "* ]]; }
timed() {  # LABEL COMMAND...: wall time (and peak RSS where /usr/bin/time exists)
    local label=$1; shift
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "$label: %e s wall, %M KB peak RSS" "$@"
    else
        local t0; t0=$(date +%s.%N)
        "$@"
        echo "$label: $(awk "BEGIN {printf \"%.2f\", $(date +%s.%N) - $t0}") s wall"
    fi
}

mkdir -p "$OUT"
step environment
"$PY" - <<'EOF'
import os, platform, torch
print("python", platform.python_version(), "torch", torch.__version__,
      "cuda available", torch.cuda.is_available(), "cpus", os.cpu_count())
if torch.cuda.is_available():
    print("gpu", torch.cuda.get_device_name(0))
try:
    import onnxruntime as ort
    print("onnxruntime", ort.__version__, ort.get_available_providers())
except ImportError as exc:
    print("onnxruntime missing:", exc)
EOF
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null

S=$OUT/demo
rm -rf "$S" && cp -r resources/demo-session "$S" && rm -rf "$S/analysis"
if [ ! -f "$S/video.mp4" ]; then
    echo "the demo session's video is not here: its copy is analysed without video"
    "$PY" - "$S/session.toml" <<'EOF'
import sys, tomllib, tomli_w
path = sys.argv[1]
with open(path, "rb") as f:
    doc = tomllib.load(f)
doc.pop("video", None)
with open(path, "wb") as f:
    tomli_w.dump(doc, f)
EOF
fi

if wants analyze; then
    step "analysis of the demo session, bundled model, torch engine"
    for dev in $DEVICES; do
        timed "analyze torch/$dev" "$PY" -m footcoach.cli.main analyze "$S" --engine torch \
            --device "$dev" --no-cache \
            --out "$OUT/events-$dev.json" 2>&1 | grep -v '^\s*$' | tail -3
    done
    "$PY" - "$OUT" $DEVICES <<'EOF'
import json, sys
out, devs = sys.argv[1], sys.argv[2:]
runs = {d: json.load(open(f"{out}/events-{d}.json")) for d in devs}
ref = runs[devs[0]]
for d in devs[1:]:
    ea, eb = ref["events"], runs[d]["events"]
    key = ("player_id", "start_s", "end_s", "action", "tactic")
    same = sum(all(x.get(k) == y.get(k) for k in key) for x, y in zip(ea, eb))
    dq = max((abs(x["quality"] - y["quality"]) for x, y in zip(ea, eb)), default=0.0)
    dc = max((abs(x["confidence"] - y["confidence"]) for x, y in zip(ea, eb)), default=0.0)
    print(f"events {devs[0]} {len(ea)} vs {d} {len(eb)}: identical player, times, action and "
          f"tactic: {same}; largest quality difference {dq:.2e} points, confidence {dc:.2e}")
    pa, pb = ref["team_phases"], runs[d]["team_phases"]
    key = ("team", "start_s", "end_s", "tactic")
    same = sum(all(x[k] == y[k] for k in key) for x, y in zip(pa, pb))
    dc = max((abs(x["confidence"] - y["confidence"]) for x, y in zip(pa, pb)), default=0.0)
    print(f"team phases {devs[0]} {len(pa)} vs {d} {len(pb)}: identical team, times and "
          f"tactic: {same}; largest confidence difference {dc:.2e}")
EOF
fi

B=$OUT/bench
if wants bench || wants decode; then
    mkdir -p "$B"
    step "a random-init default-size model with the video branch"
    onnx=0; wants bench && onnx=1
    "$PY" - "$B/model-random-video" "$onnx" <<'EOF'
import sys
from footcoach.ml.predict import save_random_model
try:
    save_random_model(sys.argv[1], onnx=sys.argv[2] == "1")
    print("saved" + (" with its ONNX graphs" if sys.argv[2] == "1" else ""))
except Exception as exc:  # the ONNX export needs onnx + onnxscript; the torch engine does not
    print(f"ONNX export failed ({type(exc).__name__}: {exc}); saved without ONNX")
    save_random_model(sys.argv[1], onnx=False)
EOF
fi
if wants bench; then
    for dev in $DEVICES; do
        step "benchmark analyze, bundled model, $dev, $PLAYERS players"
        fc benchmark analyze --players "$PLAYERS" --device "$dev" --engine torch --cache "$B"
        step "benchmark analyze, random-init video model, $dev, $PLAYERS players"
        fc benchmark analyze --players "$PLAYERS" --device "$dev" --engine torch \
            --model "$B/model-random-video" --cache "$B"
    done
fi

if wants decode; then
    for dev in $DEVICES; do
        for plan in $DECODE_PLANS; do
            step "benchmark analyze, random-init video model, $dev, decoding $plan"
            fc benchmark analyze --players "$PLAYERS" --device "$dev" --engine torch \
                --model "$B/model-random-video" --cache "$B" --decode-threads "${plan%%:*}" \
                --crop-workers "${plan##*:}"
        done
    done
fi

if wants train; then
    step "training, $EPOCHS epochs, vest de-tilt + yaw 45 (the bundled recipe's)"
    fc dataset build "$S" --out "$OUT/demo.h5" --force 2>&1 | tail -3
    for dev in $DEVICES; do
        timed "train $dev" "$PY" -m footcoach.cli.main train "$OUT/demo.h5" \
            --out "$OUT/model-$dev" \
            --epochs "$EPOCHS" --device "$dev" --patience 99 --vest-upright --imu-yaw 45 \
            2>&1 | tail -4
    done
fi
if wants recipe; then
    step "the bundled training recipe, one epoch, $SESSIONS simulated sessions"
    R=$OUT/recipe
    mkdir -p "$R"
    names=()
    for k in $(seq 0 $((SESSIONS - 1))); do
        names+=("$R/s$((11 + k))")
        fc simulate "$R/s$((11 + k))" --seed $((11 + k)) --players 10 --minutes 3 --no-video \
            > "$R/sim$k.log" 2>&1 &
    done
    wait
    fc dataset build "${names[@]}" --out "$R/data.h5" --context ball --seed 0 --force 2>&1 | tail -1
    read -r LW BINS < <("$PY" -c "from benchmarks.train_bundled import LOSS_WEIGHTS, CONTEXT_BINS
print(LOSS_WEIGHTS, CONTEXT_BINS)")
    for dev in $DEVICES; do
        timed "recipe epoch $dev" "$PY" -m footcoach.cli.main train "$R/data.h5" \
            --out "$R/model-$dev" --epochs 1 \
            --device "$dev" --modalities imu,context --batch 64 --loss-weights "$LW" \
            --context-bins "$BINS" --max-train-windows 20000 --patience 99 2>&1 | tail -3
    done
fi
step done
