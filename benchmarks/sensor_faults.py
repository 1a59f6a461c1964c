"""What a vest that stops measuring costs the app's analysis, with and without the fault check.

    .venv/bin/python benchmarks/sensor_faults.py SESSION [SESSION ...] [--model DIR]
        [--faults frozen zeros dead-z] [--length 60] [--seed 0]

Accuracy, not speed. Each labelled (simulated) session is copied with every player's vest (or
GPS unit) failing once, for ``--length`` seconds at a seeded random time:

- **frozen**: the logger keeps writing the reading it had when the sensor stopped (times go on);
- **zeros**: every channel reads 0;
- **dead-z**: the accelerometer's z axis (up the back, where gravity is) reads 0, the rest
  keeps working;
- **gps-frozen**: every GPS unit (instead of the vests) keeps writing the fix it had when it
  lost the satellites;
- **slipped-45**, **slipped-90** (or **slipped-DEG**): the vest turned 45, 90 (DEG) degrees
  forwards about its x axis for the stretch (it slipped; the app sets aside a vest more than
  70 degrees from upright); **slipped-DEG-y** turns it sideways, **slipped-DEG-z** round the
  body (about the vertical: gravity stays on z; the app finds such a turn only over the whole
  session, ``--length 165`` on 3-minute sessions, and turns the vest back);
- **gps-drift-15** (or **gps-drift-M**): every GPS unit's position is pulled 15 (M) metres
  away as satellite signals reflected off a stand would (multipath): it moves out over 4 s,
  wanders round the player (the offset turns once in 40 s) and comes back over the last 4 s.
  The unit's own speed column is left as it was (a receiver measures it from the Doppler
  shift, which reflections hardly change).

Each copy is analysed as ``footcoach analyze`` does it (no ball track unless the session has
tracking data) three times: as the app does (:mod:`footcoach.sync.sensor_faults`: a frozen
vest, a vest turned far from upright and a GPS unit holding its fix are set aside, a vest
without gravity only reported), with every fault set aside, and
without the check (``sensor_faults=None``: the faulty readings reach the model). The original
sessions are analysed too. Scored are the (player, step) cells whose step time lies inside
the player's fault: action and tactic accuracy (tactic as the app shows it, fused with the
team model) and quality error, against the labels of ``labels.json``. The last line is
``sensor faults: <kind> app <a>%, set aside <s>%, unchecked <u>% (clean <c>%); ...``
(action accuracy). Before it, each kind says how many of the faults the checks found (a found
stretch of the vest's kinds, or of the GPS unit's, overlapping the injected one; the checks
run on the copy's raw streams, as the app's sensor plots do).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from footcoach.app.align import align_session  # noqa: E402
from footcoach.app.analyze import run_analysis  # noqa: E402
from footcoach.app.load import load_session  # noqa: E402
from footcoach.bench.labelled_bench import label_grid, without_streams  # noqa: E402
from footcoach.domain.labels import ACTIONS  # noqa: E402
from footcoach.io.manifest import read_manifest  # noqa: E402
from footcoach.sync.sensor_faults import (  # noqa: E402
    DEFAULT_FAULTS,
    FaultSettings,
    find_gps_faults,
    find_imu_faults,
)

FAULTS = ("frozen", "zeros", "dead-z", "gps-frozen", "slipped-45", "slipped-90", "gps-drift-15")
#: Rows per second of the simulator's vests and GPS units (the spans come from the rows' times).
RATE_HZ = {"imu": 100.0, "gps": 10.0}


def break_vest(path: Path, kind: str, first: int, last: int) -> None:
    """Rewrite the IMU (or, for ``gps-frozen``, GPS) CSV at ``path`` (a vendor export: time
    column first) with data rows ``first..last`` (0-based, inclusive) failing as ``kind``. A
    symbolic link at ``path`` is replaced by the new file (its target is never written)."""
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    last = min(last, len(body) - 1)
    z = next((j for j, name in enumerate(head) if name.startswith("acc_z")), -1)
    if kind.startswith("slipped-"):
        _, degrees, *axis = kind.split("-")
        _turn_rows(head, body, first, last, float(degrees), axis[0] if axis else "x")
        kind = "done"
    elif kind.startswith("gps-drift-"):
        _drift_rows(head, body, first, last, float(kind.rsplit("-", 1)[1]))
        kind = "done"
    for k in range(first, last + 1):
        if kind == "done":
            break
        if kind in ("frozen", "gps-frozen"):
            body[k][1:] = body[first - 1][1:] if first > 0 else body[0][1:]
        elif kind == "zeros":
            body[k][1:] = ["0"] * (len(head) - 1)
        elif kind == "dead-z" and z >= 0:
            body[k][z] = "0"
        else:
            raise ValueError(f"unknown fault {kind!r}")
    fresh = path.with_name(path.name + ".part")
    with fresh.open("w", newline="") as f:
        csv.writer(f).writerows([head, *body])
    os.replace(fresh, path)  # replaces the link itself, not the file it points to


def _turn_rows(head: list[str], body: list[list[str]], first: int, last: int,
               degrees: float, axis: str = "x") -> None:
    """Turn every x/y/z triad (accelerometer, gyroscope, magnetometer) of rows
    ``first..last`` by ``degrees`` about the vest's ``axis``: x, it slipped forwards; y,
    sideways; z (up the back), round the body."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    turn = {"x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
            "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
            "z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])}[axis]
    for sensor in ("acc", "gyro", "mag"):
        cols = [next((j for j, n in enumerate(head) if n.startswith(f"{sensor}_{axis}")), -1)
                for axis in "xyz"]
        if min(cols) < 0:
            continue
        for k in range(first, last + 1):
            v = turn @ np.array([float(body[k][j]) for j in cols])
            for j, x in zip(cols, v, strict=True):
                body[k][j] = f"{x:.4f}"


def _drift_rows(head: list[str], body: list[list[str]], first: int, last: int,
                metres: float, ramp_s: float = 4.0, turn_s: float = 40.0) -> None:
    """Pull the latitude/longitude of rows ``first..last`` (10 Hz) ``metres`` away (module
    docstring, gps-drift-M): out and back over ``ramp_s`` (smoothstep), the offset's direction
    turning once in ``turn_s``; its start angle follows ``first`` (fixed per fault)."""
    lat_j, lon_j = head.index("latitude"), head.index("longitude")
    lat0 = np.radians(float(body[first][lat_j]))
    length_s = (last - first) / RATE_HZ["gps"]
    for k in range(first, last + 1):
        t = (k - first) / RATE_HZ["gps"]
        x = min(t, length_s - t, ramp_s) / ramp_s
        size = metres * x * x * (3.0 - 2.0 * x)
        angle = 0.7 * first + 2.0 * np.pi * t / turn_s
        north, east = size * np.cos(angle), size * np.sin(angle)
        body[k][lat_j] = f"{float(body[k][lat_j]) + north / 111_320.0:.8f}"
        body[k][lon_j] = f"{float(body[k][lon_j]) + east / (111_320.0 * np.cos(lat0)):.8f}"


def faults_found(copy: Path, kind: str, spans: dict[str, tuple[float, float]]
                 ) -> tuple[int, float]:
    """How many of the injected ``spans`` (player -> session times) a check found (a fault of
    the device's kinds overlapping it: :func:`find_gps_faults` for the GPS faults,
    :func:`find_imu_faults` for the vest's, on the copy's raw streams; or a vest the aligned
    session turned back round the body, which counts its whole span), and the seconds of the
    spans those faults cover."""
    loaded = load_session(copy)
    turned_back = align_session(load_session(copy)).vest_yaws  # whole-session turns
    found, covered = 0, 0.0
    for pid, (a, b) in spans.items():
        gps, imu = loaded.gps.get(pid), loaded.imu.get(pid)
        if kind.startswith("gps"):
            faults = find_gps_faults(gps, imu) if gps is not None else []
        else:
            faults = find_imu_faults(imu)[0] if imu is not None else []
        inside = [(max(f.start_s, a), min(f.end_s, b)) for f in faults
                  if f.start_s <= b and f.end_s >= a]
        if pid in turned_back and not kind.startswith("gps"):
            inside = [(a, b)]
        found += bool(inside)
        covered += sum(max(hi - lo, 0.0) for lo, hi in inside)
    return found, covered


def faulty_copy(folder: Path, into: Path, kind: str, length_s: float,
                rng: np.random.Generator) -> tuple[Path, dict[str, tuple[float, float]]]:
    """A copy of ``folder`` with every vest (every GPS unit for ``gps-frozen``) failing once
    (module docstring); returns it and each player's fault span on the session clock (s: the
    times of its first and last row)."""
    copy = without_streams(folder, into, ())
    session = read_manifest(copy)
    stream = "gps" if kind.startswith("gps") else "imu"
    rate = RATE_HZ[stream]
    rows_of: dict[str, tuple[int, int]] = {}
    for player in session.players:
        name = player.gps if stream == "gps" else player.imu
        if not name:
            continue
        path = copy / name  # not session.path(): that resolves the link to the original
        with path.open() as f:
            n = sum(1 for _ in f) - 1
        rows, margin = round(length_s * rate), round(5 * rate)
        if n <= rows + 2 * margin:
            continue
        first = int(rng.integers(margin, n - rows - margin))
        break_vest(path, kind, first, first + rows - 1)
        rows_of[player.id] = (first, first + rows - 1)
    loaded = load_session(copy)
    streams = loaded.gps if stream == "gps" else loaded.imu
    spans = {pid: (float(streams[pid].t[a]), float(streams[pid].t[b]))
             for pid, (a, b) in rows_of.items()}
    return copy, spans


@dataclass
class Tally:
    """Counts over the scored cells."""

    cells: int = 0
    action: int = 0
    tactic_cells: int = 0
    tactic: int = 0
    quality_cells: int = 0
    quality_error: float = 0.0
    vest_attention: float = 0.0
    per_action: dict[int, list[int]] = field(default_factory=dict)  # true action -> [cells, right]

    def add(self, folder: Path, result: object, spans: dict[str, tuple[float, float]]) -> None:
        steps = result.steps  # type: ignore[attr-defined]
        grid = label_grid(folder, result, 0.0)  # type: ignore[arg-type]
        for p, pid in enumerate(steps.player_ids):
            if pid not in spans:
                continue
            a, b = spans[pid]
            on = (steps.t >= a) & (steps.t <= b) & steps.valid[p] & (grid.action[p] >= 0)
            self.cells += int(on.sum())
            right = steps.action_probs[p].argmax(-1) == grid.action[p]
            self.action += int(right[on].sum())
            self.vest_attention += float(np.nansum(steps.modality_attention[p][on, 1]))
            for k in np.unique(grid.action[p][on]).tolist():
                mine = on & (grid.action[p] == k)
                counts = self.per_action.setdefault(int(k), [0, 0])
                counts[0] += int(mine.sum())
                counts[1] += int(right[mine].sum())
            t_on = on & (grid.tactic[p] >= 0)
            self.tactic_cells += int(t_on.sum())
            self.tactic += int((steps.tactic_probs[p].argmax(-1) == grid.tactic[p])[t_on].sum())
            q_on = on & np.isfinite(grid.quality[p]) & np.isfinite(steps.quality[p])
            self.quality_cells += int(q_on.sum())
            self.quality_error += float(np.abs(steps.quality[p] - grid.quality[p])[q_on].sum())

    def row(self, name: str) -> str:
        return (f"| {name} | {self.cells} | {self.action / max(self.cells, 1):.1%} | "
                f"{self.tactic / max(self.tactic_cells, 1):.1%} | "
                f"{self.quality_error / max(self.quality_cells, 1):.2f} | "
                f"{self.vest_attention / max(self.cells, 1):.2f} |")

    def action_cells(self, k: int) -> str:
        """``right/cells (share)`` of the cells whose true action is ``k``."""
        cells, right = self.per_action.get(k, [0, 0])
        return f"{right / cells:.1%} of {cells}" if cells else "-"

    @property
    def action_share(self) -> float:
        return self.action / max(self.cells, 1)


#: The analyses of each faulty copy: (name, the fault settings of the analysis).
CONDITIONS: tuple[tuple[str, FaultSettings | None], ...] = (
    ("as the app does it", DEFAULT_FAULTS),
    ("every fault set aside", FaultSettings(set_aside=("frozen", "no gravity", "turned",
                                                       "frozen position",
                                                       "drifting position"))),
    ("without the check", None))


def run(folders: list[Path], *, model_dir: Path | None, faults: list[str], length_s: float,
        seed: int, per_action: bool = False) -> str:
    lines = ["| fault | analysis | cells | action | tactic | quality MAE | vest attention |",
             "|---|---|---|---|---|---|---|"]
    summary: list[str] = []
    by_action: list[str] = []
    checks: list[str] = []
    with tempfile.TemporaryDirectory(prefix="footcoach-faults-") as tmp:
        for kind in faults:
            clean = Tally()
            tallies = [Tally() for _ in CONDITIONS]
            rng = np.random.default_rng(seed)
            injected = found = 0
            span_s = covered_s = 0.0
            for i, folder in enumerate(folders):
                copy, spans = faulty_copy(folder, Path(tmp) / kind / str(i), kind, length_s, rng)
                injected += len(spans)
                span_s += sum(b - a for a, b in spans.values())
                hit, seconds = faults_found(copy, kind, spans)
                found, covered_s = found + hit, covered_s + seconds
                print(f"{kind}: {folder.name} ({len(spans)} sensors failing)", file=sys.stderr)
                clean.add(folder, run_analysis(folder, model_dir=model_dir, engine="onnx",
                                               device="cpu"), spans)
                for tally, (_, settings) in zip(tallies, CONDITIONS, strict=True):
                    tally.add(copy, run_analysis(copy, model_dir=model_dir, engine="onnx",
                                                 device="cpu", sensor_faults=settings), spans)
            lines.append(clean.row(f"{kind} | the session without the fault"))
            lines += [tally.row(f"{kind} | {name}")
                      for tally, (name, _) in zip(tallies, CONDITIONS, strict=True)]
            if per_action:
                by_action += _per_action_table(kind, [("without the fault", clean), *(
                    (name, t) for t, (name, _) in zip(tallies, CONDITIONS, strict=True))])
            checks.append(f"{kind}: the checks found {found} of the {injected} faults, "
                          f"{covered_s / max(span_s, 1e-9):.0%} of their time")
            app, aside, unchecked = (t.action_share for t in tallies)
            summary.append(f"{kind} app {app:.1%}, set aside {aside:.1%}, unchecked "
                           f"{unchecked:.1%} (clean {clean.action_share:.1%})")
    names = ", ".join(f.name for f in folders)
    return "\n".join([
        f"Sessions {names} (synthetic), every vest failing once for {length_s:g} s at a random "
        f"time (seed {seed}); scored: the player steps inside each fault; the app's analysis "
        "(no ball track, tactic with the team model); vest attention: the mean weight of the "
        "vest in the modality attention over those steps.", "", *lines, *by_action, "",
        *checks, "sensor faults: " + "; ".join(summary)])


def _per_action_table(kind: str, tallies: list[tuple[str, Tally]]) -> list[str]:
    """Action accuracy per true action (those with 100 cells or more) under each analysis."""
    actions = sorted(k for k, (cells, _) in tallies[0][1].per_action.items() if cells >= 100)
    head = "| true action | " + " | ".join(name for name, _ in tallies) + " |"
    return ["", f"{kind}, per true action:", "", head,
            "|---" * (len(tallies) + 1) + "|",
            *(f"| {ACTIONS[k].label} | " + " | ".join(t.action_cells(k) for _, t in tallies)
              + " |" for k in actions)]


def fault_kind(text: str) -> str:
    """A ``--faults`` value: one of :data:`FAULTS`, ``slipped-DEG`` (0 < DEG <= 180; about the
    vest's x axis, or ``slipped-DEG-y`` / ``-z`` about another) or ``gps-drift-M`` (0 < M <= 100
    metres)."""
    if text in FAULTS:
        return text
    head, _, size = text.rpartition("-")
    if head.startswith("slipped-") and size in ("x", "y", "z"):  # slipped-DEG-AXIS
        head, _, size = head.rpartition("-")
    limits = {"slipped": 180.0, "gps-drift": 100.0}
    try:
        if head in limits and 0.0 < float(size) <= limits[head]:
            return text
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        f"{text!r}: not one of {', '.join(FAULTS)}, slipped-DEG or gps-drift-M")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sessions", nargs="+", type=Path)
    ap.add_argument("--model", type=Path, default=None, help="model folder (default: bundled)")
    ap.add_argument("--faults", nargs="+", type=fault_kind, default=list(FAULTS),
                    help=f"any of {', '.join(FAULTS)}, slipped-DEG for another angle or "
                         "gps-drift-M for another distance")
    ap.add_argument("--length", type=float, default=60.0, help="seconds each vest fails")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-action", action="store_true",
                    help="also the action accuracy per true action under each analysis")
    args = ap.parse_args(argv)
    print(run(args.sessions, model_dir=args.model, faults=args.faults, length_s=args.length,
              seed=args.seed, per_action=args.per_action))
    return 0


if __name__ == "__main__":
    sys.exit(main())
