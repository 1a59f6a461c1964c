"""Can a vest turned round the body for part of a session be found from its track?

    .venv/bin/python benchmarks/windowed_yaw.py SESSION [SESSION ...] [--window 30]
        [--min-s 20] [--min-coherence 0.3] [--seed 0]

Accuracy, not speed; no model. The analysis finds a vest turned round the body over the whole
session (:func:`footcoach.sync.vest_heading.vest_yaw`). This measures the windowed version
that would find a vest that slipped round the body for a while: the angle between the vest's
horizontal acceleration and its track's over sliding windows of ``--window`` seconds
(:func:`footcoach.sync.vest_heading.paired_acceleration`); a *turn* is a run of windows, at
least ``--min-s`` seconds of them, whose angle lies more than 45 degrees from the vest's usual
angle (the circular median of its windows') with a coherence of ``--min-coherence`` or more,
and whose angle summed over the run is 60 degrees or more from it (the analysis's
``round_body_min_deg``).

Counted over every vest of the (simulated, labelled or not) sessions: the turns found on the
vests as worn (each one a stretch the analysis would turn wrongly), and on copies of each vest
with one minute turned 90, 180 and -90 degrees round the body at a seeded random time (found
when a turn overlaps that minute), with the angle left once the found turn is undone.
The last line is ``windowed yaw: <n> vests, false turns <f>, found 90/180/-90: <a>/<b>/<c>``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.ndimage import uniform_filter1d

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from footcoach.app.align import align_session  # noqa: E402
from footcoach.app.load import load_session  # noqa: E402
from footcoach.domain.timeseries import TimeSeries  # noqa: E402
from footcoach.sync.vest_heading import (  # noqa: E402
    PairedAcceleration,
    paired_acceleration,
    turn_round_body,
)

TURNS_DEG = (90.0, 180.0, -90.0)
DEVIATION_DEG = 45.0
ACT_DEG = 60.0
SLIP_S = 60.0


def _wrap(deg: np.ndarray | float) -> np.ndarray:
    return (np.asarray(deg) + 180.0) % 360.0 - 180.0


def turns(pair: PairedAcceleration, window_s: float, min_s: float, min_coherence: float
          ) -> list[tuple[float, float, float]]:
    """``(start s, end s, angle deg)`` of the stretches found turned (module docstring)."""
    use = pair.use
    if use.sum() < 10:
        return []
    v = pair.vest - pair.vest[use].mean()
    c = np.where(use, pair.track * np.conj(v), 0)
    pp = np.where(use, np.abs(pair.track) ** 2, 0.0)
    vv = np.where(use, np.abs(v) ** 2, 0.0)
    n = max(1, round(window_s * pair.rate))
    cw = uniform_filter1d(c.real, n) + 1j * uniform_filter1d(c.imag, n)
    coherence = np.abs(cw) / np.sqrt(uniform_filter1d(pp, n) * uniform_filter1d(vv, n) + 1e-30)
    moving = uniform_filter1d(use.astype(np.float64), n) * window_s
    valid = (coherence >= min_coherence) & (moving >= window_s / 4)
    if not valid.any():
        return []
    local = np.degrees(np.angle(cw[valid]))
    grid = np.arange(-180.0, 180.0, 1.0)  # the circular median of the windows' angles
    whole = float(grid[np.argmin(np.abs(_wrap(local[None, :] - grid[:, None])).sum(axis=1))])
    off = valid & (np.abs(_wrap(np.degrees(np.angle(cw)) - whole)) > DEVIATION_DEG)
    found, start, count, last = [], -1, 0, -1
    for k in range(len(pair.t) + 1):
        end_run = k == len(pair.t) or (valid[k] and not off[k])
        if k < len(pair.t) and off[k]:
            start, count, last = (k if start < 0 else start), count + 1, k
        elif end_run and start >= 0:
            if count / pair.rate >= min_s:
                sel = slice(start, last + 1)
                total = c[sel].sum()
                norm = np.sqrt(pp[sel].sum() * vv[sel].sum())
                angle = float(_wrap(np.degrees(np.angle(total)) - whole))
                if abs(angle) >= ACT_DEG and norm > 0 and abs(total) / norm >= min_coherence:
                    found.append((float(pair.t[start]), float(pair.t[last]), angle))
            start, count = -1, 0
    return found


def turned_for_a_while(imu: TimeSeries, start_s: float, end_s: float, deg: float
                       ) -> TimeSeries:
    """``imu`` with ``start_s..end_s`` turned ``deg`` round the body (a copy)."""
    inside = (imu.t >= start_s) & (imu.t <= end_s)
    turned = turn_round_body(imu, deg).values
    return imu.replace(values=np.where(inside[:, None], turned, imu.values))


def run(folders: list[Path], window_s: float, min_s: float, min_coherence: float, seed: int
        ) -> str:
    rng = np.random.default_rng(seed)
    vests, false = 0, []
    found = {d: 0 for d in TURNS_DEG}
    left: dict[float, list[float]] = {d: [] for d in TURNS_DEG}
    for folder in folders:
        aligned = align_session(load_session(folder))
        positions = aligned.positions()
        for pid in sorted(set(aligned.imu) & set(positions)):
            imu, pos = aligned.imu[pid], positions[pid]
            pair = paired_acceleration(imu, pos)
            if pair is None or imu.t[-1] - imu.t[0] < SLIP_S + 10:
                continue
            vests += 1
            false += [(folder.name, pid, *f) for f in turns(pair, window_s, min_s,
                                                             min_coherence)]
            t0 = float(rng.uniform(imu.t[0] + 5, imu.t[-1] - SLIP_S - 5))
            for deg in TURNS_DEG:
                slipped = paired_acceleration(turned_for_a_while(imu, t0, t0 + SLIP_S, deg), pos)
                assert slipped is not None
                hits = [f for f in turns(slipped, window_s, min_s, min_coherence)
                        if f[0] < t0 + SLIP_S and f[1] > t0]
                found[deg] += bool(hits)
                if hits:
                    left[deg].append(abs(float(_wrap(hits[0][2] + deg))))
    lines = [f"window {window_s:g} s, runs of {min_s:g} s or more, coherence >= "
             f"{min_coherence:g}; {vests} vests of {len(folders)} sessions",
             f"  false turns on the vests as worn: {len(false)}"]
    lines += [f"    {name} {pid} {a:.0f}-{b:.0f} s, {ang:+.0f} degrees"
              for name, pid, a, b, ang in false[:10]]
    for deg in TURNS_DEG:
        med = f"{np.median(left[deg]):.0f}" if left[deg] else "-"
        lines.append(f"  one minute turned {deg:+.0f} degrees: found {found[deg]} of {vests}, "
                     f"median angle left after turning back {med} degrees")
    lines.append(f"windowed yaw: {vests} vests, false turns {len(false)}, found 90/180/-90: "
                 + "/".join(str(found[d]) for d in TURNS_DEG))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sessions", type=Path, nargs="+")
    ap.add_argument("--window", type=float, default=30.0, help="window, s (default 30)")
    ap.add_argument("--min-s", type=float, default=20.0,
                    help="seconds of turned windows a run needs (default 20)")
    ap.add_argument("--min-coherence", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(run(args.sessions, args.window, args.min_s, args.min_coherence, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
