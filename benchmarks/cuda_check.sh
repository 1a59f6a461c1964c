#!/usr/bin/env bash
# CUDA path check on a machine with an NVIDIA GPU (the figures go in the model issue's note):
#   1. session analysis of the demo session (no cache): torch engine on cuda vs cpu, ONNX Runtime
#      (its providers are printed: CUDAExecutionProvider only with onnxruntime-gpu);
#   2. `footcoach benchmark analyze` on the same session for both devices;
#   3. a short training run (3 epochs) on a dataset built from the demo session, cuda vs cpu.
# Usage: benchmarks/cuda_check.sh [OUTDIR] [PYTHON]   (run from the repository root)
set -uo pipefail
OUT=${1:-/tmp/footcoach-cuda-check}
PY=${2:-python3}
EPOCHS=${EPOCHS:-3}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1
fc() { "$PY" -m footcoach.cli.main "$@"; }
step() { echo; echo "=== $* ($(date +%T))"; }

mkdir -p "$OUT"
step environment
"$PY" - <<'EOF'
import platform, torch
print("python", platform.python_version(), "torch", torch.__version__,
      "cuda available", torch.cuda.is_available())
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

step "analysis, torch engine"
for dev in cuda cpu; do
    /usr/bin/time -f "analyze torch/$dev: %e s wall, %M KB peak RSS" \
        "$PY" -m footcoach.cli.main analyze "$S" --engine torch --device "$dev" --no-cache \
        --out "$OUT/events-$dev.json" 2>&1 | grep -v '^\s*$' | tail -4
done
"$PY" - "$OUT" <<'EOF'
import json, sys
a, b = (json.load(open(f"{sys.argv[1]}/events-{d}.json")) for d in ("cuda", "cpu"))
ea, eb = a["events"], b["events"]
same = sum(x["action"] == y["action"] and x["start_s"] == y["start_s"] for x, y in zip(ea, eb))
print(f"events cuda {len(ea)} vs cpu {len(eb)}; identical start+action: {same}")
EOF

step "benchmark analyze"
fc benchmark analyze --session "$S" --device cuda --engine torch --cache "$OUT/bench"
fc benchmark analyze --session "$S" --device cpu --cache "$OUT/bench"

step "training, $EPOCHS epochs"
fc dataset build "$S" --out "$OUT/demo.h5" --force 2>&1 | tail -6
for dev in cuda cpu; do
    /usr/bin/time -f "train $dev: %e s wall" \
        "$PY" -m footcoach.cli.main train "$OUT/demo.h5" --out "$OUT/model-$dev" \
        --epochs "$EPOCHS" --device "$dev" --patience 99 2>&1 | tail -5
done
