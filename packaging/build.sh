#!/usr/bin/env bash
# Build the packaged footcoach app: a one-folder bundle in dist/footcoach/ (binary: footcoach).
#
#     packaging/build.sh              # from the repository root or anywhere in a clone
#
# Uses the venv in $FOOTCOACH_VENV (default: .venv in the clone). A missing venv is created
# with python3.11 and the runtime dependencies of pyproject.toml WITHOUT torch/torchvision (the
# bundle analyses through ONNX Runtime), plus PyInstaller; an existing one is reused (PyInstaller
# is added to it when missing; its torch, if any, is excluded from the bundle by the spec).
# Prints the bundle size, its 10 biggest items and the build time. Exit status non-zero on any
# failure.
#
# platform: runs on Linux and macOS, and on Windows in Git Bash (the venv's python is then
# .venv/Scripts/python.exe); see "Install the app" in README.md for a plain PowerShell build.
set -euo pipefail

PYINSTALLER_VERSION="6.22.3"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${FOOTCOACH_VENV:-$ROOT/.venv}"
DIST="$ROOT/dist"
WORK="$ROOT/build/pyinstaller"

venv_python() {
    if [[ -x "$VENV/bin/python" ]]; then echo "$VENV/bin/python";
    elif [[ -x "$VENV/Scripts/python.exe" ]]; then echo "$VENV/Scripts/python.exe";
    else return 1; fi
}

start=$(date +%s)
if ! PY="$(venv_python)"; then
    BASE_PY="${PYTHON:-python3.11}"
    echo "build: creating $VENV with $BASE_PY (runtime dependencies without torch)"
    "$BASE_PY" -m venv "$VENV"
    PY="$(venv_python)"
    "$PY" -m pip install --quiet --upgrade pip
    # pyproject's runtime dependencies, minus torch/torchvision (pinned versions kept)
    DEPS=()  # (bash 3.2 on macOS has no mapfile)
    while IFS= read -r dep; do DEPS+=("$dep"); done < <("$PY" - "$ROOT/pyproject.toml" <<'EOF'
import re
import sys
import tomllib

with open(sys.argv[1], "rb") as f:
    deps = tomllib.load(f)["project"]["dependencies"]
for d in deps:
    if re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0].lower() not in ("torch", "torchvision"):
        print(d)
EOF
    )
    "$PY" -m pip install --quiet "${DEPS[@]}"
    "$PY" -m pip install --quiet --no-deps -e "$ROOT"
fi
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    echo "build: installing pyinstaller==$PYINSTALLER_VERSION into $VENV"
    "$PY" -m pip install --quiet "pyinstaller==$PYINSTALLER_VERSION"
fi
echo "build: $("$PY" -m PyInstaller --version | sed 's/^/PyInstaller /'), $("$PY" --version)"

t0=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" "$ROOT/packaging/footcoach.spec"
t1=$(date +%s)

BUNDLE="$DIST/footcoach"
BIN="$BUNDLE/footcoach"
[[ -x "$BIN" || -x "$BIN.exe" ]] || { echo "build: no binary in $BUNDLE" >&2; exit 1; }
echo
echo "build: bundle $BUNDLE: $(du -sh "$BUNDLE" | cut -f1)"
echo "build: 10 biggest items in it:"
INNER="$BUNDLE/_internal"
[[ -d "$INNER" ]] || INNER="$BUNDLE"
(cd "$INNER" && du -sk -- * | sort -rn |
    awk 'NR <= 10 {printf "  %7.1f MB  %s\n", $1 / 1024, $2}')  # (no `head`: pipefail)
echo "build: pyinstaller $((t1 - t0)) s, whole build $((t1 - start)) s"
