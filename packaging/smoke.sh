#!/usr/bin/env bash
# Smoke test of the packaged app (offscreen, no display needed):
#
#     packaging/smoke.sh              # reuses dist/footcoach when it exists (FOOTCOACH_REBUILD=1
#                                     # or a missing bundle runs packaging/build.sh first)
#
# 1. `footcoach --version`;
# 2. `footcoach demo --headless` on the bundled demo session (its analysis cache removed first, so
#    the model really runs): the output must name > 0 events analysed by the onnx engine;
#    then `export`, `report` and `clip` of it (each when the build has the command);
# 3. `footcoach simulate` a short synthetic session with video (cv2 + PyAV/libx264), then
#    `footcoach analyze --engine auto` on it: onnx again, events written, team phases made with
#    the bundled team tactic model (numpy + safetensors in the bundle);
# 4. `footcoach gui DEMO --quit-after 5`: the review app opens the demo session and exits 0
#    (non-zero when it showed an error).
# The bundle is left as built (caches removed), user settings go to a temporary HOME. Exits
# non-zero on any failure; prints the time of each step and the total.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE="${FOOTCOACH_BUNDLE:-$ROOT/dist/footcoach}"
BIN="$BUNDLE/footcoach"
[[ -x "$BIN.exe" ]] && BIN="$BIN.exe"  # platform: Windows (Git Bash)
GUI_SECONDS="${FOOTCOACH_SMOKE_GUI_S:-5}"

t_start=$(date +%s)
if [[ -n "${FOOTCOACH_REBUILD:-}" || ! -x "$BIN" ]]; then
    "$ROOT/packaging/build.sh"
    [[ -x "$BUNDLE/footcoach.exe" ]] && BIN="$BUNDLE/footcoach.exe"
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/footcoach-smoke.XXXXXX")"
DEMO=""  # the bundled demo session: _internal/ (PyInstaller >= 6), or the bundle's top
for d in "$BUNDLE/_internal" "$BUNDLE" "$BUNDLE/Contents/Resources"; do
    [[ -f "$d/resources/demo-session/session.toml" ]] && { DEMO="$d/resources/demo-session"; break; }
done
cleanup() {
    [[ -n "$DEMO" ]] && rm -rf "$DEMO/analysis"
    rm -rf "$TMP"
}
trap cleanup EXIT

export QT_QPA_PLATFORM=offscreen
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" XDG_CACHE_HOME="$TMP/home/.cache"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"

fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
step() {  # step NAME LOGFILE COMMAND...: run, keep the output, print the time
    local name="$1" log="$2"; shift 2
    local t0; t0=$(date +%s)
    if ! "$@" >"$log" 2>&1; then
        tail -20 "$log" >&2
        fail "$name (exit status non-zero; output above)"
    fi
    echo "smoke: ok   $name ($(( $(date +%s) - t0 )) s)"
}
events_by_onnx() {  # the analysis summary line: "analysis of ...: N events, ... (onnx on cpu..."
    local line
    line="$(grep -m 1 -E '^analysis of .*: [0-9]+ events' "$1")" || fail "no summary in $1"
    local n; n="$(sed -E 's/.*: ([0-9]+) events.*/\1/' <<<"$line")"
    (( n > 0 )) || fail "$1: no events analysed: $line"
    grep -q '(onnx on ' <<<"$line" || fail "$1: not analysed by the onnx engine: $line"
    echo "smoke:        $line"
}

[[ -n "$DEMO" && -f "$DEMO/session.toml" ]] || fail "no resources/demo-session in $BUNDLE"
rm -rf "$DEMO/analysis"

step "footcoach --version" "$TMP/version.log" "$BIN" --version
grep -qE '^footcoach [0-9]' "$TMP/version.log" || fail "--version printed: $(cat "$TMP/version.log")"
echo "smoke:        $(cat "$TMP/version.log")"

step "footcoach demo --headless" "$TMP/demo.log" "$BIN" demo --headless
grep -qi 'synthetic' "$TMP/demo.log" || fail "the demo output does not call the session synthetic"
events_by_onnx "$TMP/demo.log"

# the exports of the analysed demo (each when this build has the command)
"$BIN" --help >"$TMP/help.log" 2>&1 || fail "footcoach --help"
if grep -qE '^ +export ' "$TMP/help.log"; then
    step "footcoach export (csv)" "$TMP/export.log" \
        "$BIN" export "$DEMO" --format csv --what events --out "$TMP/demo-events.csv"
    [[ -s "$TMP/demo-events.csv" ]] || fail "export wrote no file"
fi
if grep -qE '^ +report ' "$TMP/help.log"; then
    step "footcoach report (PDF)" "$TMP/report.log" "$BIN" report "$DEMO" --out "$TMP/demo.pdf"
    [[ "$(head -c 5 "$TMP/demo.pdf")" == "%PDF-" ]] || fail "report wrote no PDF"
fi
if grep -qE '^ +clip ' "$TMP/help.log"; then
    step "footcoach clip (H.264)" "$TMP/clip.log" \
        "$BIN" clip "$DEMO" --from 10 --to 12 --out "$TMP/demo-clip.mp4"
    [[ -s "$TMP/demo-clip.mp4" ]] || fail "clip wrote no video"
fi

step "footcoach simulate (video)" "$TMP/simulate.log" \
    "$BIN" simulate "$TMP/sim" --seed 3 --players 4 --minutes 0.5 --size 320x180
step "footcoach analyze --engine auto" "$TMP/analyze.log" \
    "$BIN" analyze "$TMP/sim" --engine auto --out "$TMP/sim-events.csv"
events_by_onnx "$TMP/analyze.log"
grep -q "team tactic model" "$TMP/analyze.log" \
    || fail "analyze did not use the bundled team tactic model (see $TMP/analyze.log)"
[[ -s "$TMP/sim-events.csv" ]] || fail "analyze --out wrote no events file"

step "footcoach gui (demo, ${GUI_SECONDS} s)" "$TMP/gui.log" \
    "$BIN" gui "$DEMO" --quit-after "$GUI_SECONDS"

echo "smoke: all passed in $(( $(date +%s) - t_start )) s ($BUNDLE)"
