"""Provider tracking data (Metrica CSV, FIFA EPTS, TRACAB dat/json, Sportec/DFL XML) via kloppy.

Everything is converted to footcoach's pitch frame: metres, origin at a corner, ``x`` along the
length (0..L), ``y`` across (0..W), right-handed seen from above (``y`` to the left of ``+x``).
kloppy reads the provider's coordinates into its own normalised system (0..1, origin top-left,
y down, scaled linearly to the provider's pitch length/width) and we map that to metres with
numpy: ``x = nx * L``, ``y = (1 - ny) * W``. (Asking kloppy itself for a metric system gives
the same numbers - the tests check it - but its per-point transform made loading ~10x slower:
80 s instead of 8.6 s for 30 000 Metrica frames.) Metrica CSV files carry no pitch size; the
standard 105 x 68 m is then assumed (noted in ``diagnostics``).

Metrica CSV: Metrica documents (0, 0) as the top-left corner and (1, 1) as the bottom-right, the
same for its tracking and event files, but kloppy's CSV tracking reader stores ``1 - y``
(its Metrica EPTS and event readers do not). footcoach undoes that flip, so Metrica CSV
positions agree with Metrica's own convention, its events and its EPTS export.

Positions stay in the provider's fixed stadium frame: teams swapping ends at half-time is *not*
undone (``TrackingData.orientation`` says how the provider orients play).

Clock: ``t`` (seconds) is the provider's own clock - each period's start time plus the frame's
time within it - shifted so that the first frame read is at 0. The gap between periods (the
half-time break, as the provider counts it, e.g. TRACAB/Sportec frame numbers / frame rate) is
kept, so ``t`` stays on the match video's clock. ``TrackingData.provider_t0_s`` is the provider
time of ``t == 0``. If a provider's periods overlap (``t`` would run backwards), the periods are
laid end to end instead (one frame interval apart) and a diagnostic says so.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np

from footcoach.domain.pitch import Pitch
from footcoach.domain.timeseries import TimeSeries
from footcoach.errors import Diagnostics, FootcoachError

FORMATS: dict[str, tuple[str, str]] = {
    "metrica": ("home", "away"),
    "epts": ("meta", "raw"),
    "tracab": ("meta", "raw"),
    "sportec": ("meta", "raw"),
}
"""Tracking formats and the two file roles each needs (keys of ``files``)."""

_ROLE_ALIASES = {"home_data": "home", "away_data": "away", "meta_data": "meta",
                 "metadata": "meta", "raw_data": "raw", "data": "raw", "tracking": "raw"}
_KLOPPY_FLIPS_Y = frozenset({"metrica"})  # readers that give 1 - y (see the module docstring)
_NORMALISED = "kloppy"  # kloppy's coordinate system: 0..1, origin top-left, y pointing down


@dataclass
class TrackingData:
    """Positions of every tracked player (and the ball) on one clock.

    Attributes:
        pitch: the provider's pitch size (no geo anchor).
        frame_rate: frames per second of the data read (after ``sample_rate``).
        players: key -> TimeSeries with channels ``("x", "y")`` in ``"m"`` (N, 2); NaN where
            the player is not tracked. The key is the provider's player id as kloppy gives it
            (``"home_11"`` for Metrica CSV, ``"12314"`` for TRACAB, ``"DFL-OBJ-..."``),
            prefixed with the team (``"away_..."``) only if the same id is used by both teams.
            Only players present in at least one frame are listed. All series share ``t``.
        player_info: key -> ``{"team": "home"|"away", "jersey": int|None, "name": str|None,
            "provider_id": str, "team_name": str|None}``.
        ball: channels ``("x", "y", "z")`` in metres (N, 3), z NaN when the provider has no
            height; None when no frame has the ball.
        t: (N,) float64 seconds, shared by all series (read-only).
        frame_id: (N,) int64 provider frame numbers.
        period: (N,) int64 period ids (1, 2, ...).
        provider_t0_s: provider clock time (s) of ``t == 0``.
        orientation: kloppy's orientation name, e.g. ``"HOME_AWAY"``.
        source: the main file read (raw data, or the Metrica home file).
    """

    pitch: Pitch
    frame_rate: float
    players: dict[str, TimeSeries]
    player_info: dict[str, dict[str, Any]]
    ball: TimeSeries | None
    t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    frame_id: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    period: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    provider_t0_s: float = 0.0
    orientation: str = ""
    source: str = ""

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def shifted(self, offset_s: float) -> TrackingData:
        """The same data with ``offset_s`` added to every time (e.g. onto the session clock);
        all series keep sharing one (read-only) time vector."""
        t = self.t + float(offset_s)
        t.flags.writeable = False
        players = {k: ts.replace(t=t) for k, ts in self.players.items()}
        ball = self.ball.replace(t=t) if self.ball is not None else None
        return replace(self, players=players, ball=ball, t=t)


def read_tracking(fmt: str, files: dict[str, Path | str], *, sample_rate: float | None = None,
                  limit: int | None = None,
                  diagnostics: Diagnostics | None = None) -> TrackingData:
    """Read provider tracking data through kloppy into footcoach's pitch frame.

    Args:
        fmt: ``"metrica"`` (files ``home``, ``away``), ``"epts"``, ``"tracab"`` or
            ``"sportec"`` (files ``meta``, ``raw``; TRACAB as .xml + .dat or .json + .json).
        files: role -> path.
        sample_rate: keep this fraction of frames (kloppy's ``sample_rate``, e.g. 0.5 keeps
            every other frame).
        limit: read at most this many frames.
        diagnostics: collects kloppy's warnings and ours (an assumed pitch size, periods
            laid end to end).

    Raises:
        FootcoachError: unknown format, missing file or role, or a file kloppy cannot read.
    """
    key = fmt.strip().lower()
    roles = FORMATS.get(key)
    paths = {_ROLE_ALIASES.get(str(r).strip().lower(), str(r).strip().lower()): Path(p)
             for r, p in files.items()}
    first = next(iter(paths.values()), None)
    if roles is None:
        raise FootcoachError(f"unknown tracking format {fmt!r} (expected one of "
                             f"{', '.join(FORMATS)})", first)
    for role in roles:
        if role not in paths:
            raise FootcoachError(f"{key} tracking needs a {role!r} file "
                                 f"(files given: {', '.join(sorted(paths)) or 'none'})", first)
    extra = sorted(set(paths) - set(roles))
    if extra:
        raise FootcoachError(f"{key} tracking takes files {' and '.join(roles)}, "
                             f"not {', '.join(extra)}", paths[extra[0]])
    for role in roles:
        if not paths[role].is_file():
            raise FootcoachError(f"{key} {role} file not found", paths[role])
    if sample_rate is not None and not 0 < sample_rate <= 1:
        raise FootcoachError(f"sample_rate must be in (0, 1], got {sample_rate}", first)
    if limit is not None and limit < 1:
        raise FootcoachError(f"limit must be at least 1, got {limit}", first)

    if "meta" in paths:
        _check_meta_syntax(paths["meta"], key)
    main = paths[roles[1] if key != "metrica" else roles[0]]
    other_role = roles[0] if key != "metrica" else roles[1]
    dataset = _load(key, paths, sample_rate, limit, main,
                    f"{other_role} file {paths[other_role]}", diagnostics)
    try:
        return _convert(dataset, main, sample_rate, key in _KLOPPY_FLIPS_Y, diagnostics)
    except FootcoachError:
        raise
    except Exception as exc:  # kloppy objects not shaped as expected
        raise FootcoachError(f"could not convert {key} tracking data: "
                             f"{type(exc).__name__}: {exc}", main) from exc


def _load(key: str, paths: dict[str, Path], sample_rate: float | None, limit: int | None,
          main: Path, other: str, diagnostics: Diagnostics | None) -> Any:
    from kloppy import metrica, sportec, tracab

    opts: dict[str, Any] = {"sample_rate": sample_rate, "limit": limit,
                            "coordinates": _NORMALISED}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if key == "metrica":
                ds = metrica.load_tracking_csv(home_data=str(paths["home"]),
                                               away_data=str(paths["away"]), **opts)
            elif key == "epts":
                ds = metrica.load_tracking_epts(meta_data=str(paths["meta"]),
                                                raw_data=str(paths["raw"]), **opts)
            elif key == "tracab":
                ds = tracab.load(meta_data=str(paths["meta"]), raw_data=str(paths["raw"]),
                                 **opts)
            else:
                ds = sportec.load_tracking(meta_data=str(paths["meta"]),
                                           raw_data=str(paths["raw"]), **opts)
        except Exception as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise FootcoachError(f"could not read {key} tracking data (with {other}): "
                                 f"{type(exc).__name__}{': ' + detail if detail else ''}",
                                 main) from exc
    if diagnostics is not None:
        for w in caught:
            if not issubclass(w.category, ResourceWarning):
                diagnostics.warn(f"kloppy: {w.message}", main)
    if len(ds.records) == 0:
        raise FootcoachError(f"no {key} tracking frames found (with {other})", main)
    return ds


def _check_meta_syntax(path: Path, key: str) -> None:
    """Name the metadata file when it is not well-formed XML / JSON (kloppy's own message
    would not say which of the two files is broken)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xml":
            ElementTree.parse(path)
        elif suffix == ".json":
            with path.open("rb") as fh:
                json.load(fh)
    except ElementTree.ParseError as exc:
        line = exc.position[0]
        raise FootcoachError(f"{key} metadata is not well-formed XML ({exc})", path,
                             f"line {line}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FootcoachError(f"{key} metadata is not valid JSON ({exc})", path) from exc


def _seconds(v: timedelta | datetime | float | None) -> float:
    if isinstance(v, timedelta):
        return v.total_seconds()
    if isinstance(v, datetime):
        return v.timestamp()
    return float(v) if v is not None else 0.0


def _convert(ds: Any, main: Path, sample_rate: float | None, y_up: bool,
             diagnostics: Diagnostics | None) -> TrackingData:
    """kloppy dataset -> TrackingData; ``y_up``: kloppy's y already points up the pitch."""
    meta = ds.metadata
    dims = meta.pitch_dimensions
    length, width = dims.pitch_length, dims.pitch_width
    if not length or not width:
        raise FootcoachError("the tracking data gives no pitch size", main)
    frames = ds.records
    n = len(frames)
    roster = [p for team in meta.teams for p in team.players]
    slot: dict[Any, int] = {p: j for j, p in enumerate(roster)}
    xy = np.full((max(len(roster), 1), n, 2), np.nan)
    ball = np.full((n, 3), np.nan)
    t = np.empty(n)
    frame_id = np.empty(n, dtype=np.int64)
    period = np.empty(n, dtype=np.int64)
    nan = float("nan")
    for i, fr in enumerate(frames):
        t[i] = _seconds(fr.period.start_timestamp) + _seconds(fr.timestamp)
        frame_id[i] = int(fr.frame_id)
        period[i] = int(fr.period.id)
        for player, pdata in fr.players_data.items():
            c = pdata.coordinates
            if c is None:
                continue
            j = slot.get(player)
            if j is None:  # a player missing from the metadata roster
                j = slot[player] = len(roster)
                roster.append(player)
                if j >= xy.shape[0]:
                    xy = np.concatenate([xy, np.full_like(xy, np.nan)])
            xy[j, i, 0] = c.x
            xy[j, i, 1] = c.y
        b = fr.ball_coordinates
        if b is not None:
            z = getattr(b, "z", None)
            ball[i] = (b.x, b.y, nan if z is None else z)
    if getattr(dims, "unit", None) is not None and str(dims.unit.value) != "normed":
        raise FootcoachError(f"kloppy gave coordinates in {dims.unit.value}, not normalised", main)
    xy[..., 0] *= length
    ball[:, 0] *= length
    if y_up:
        xy[..., 1] *= width
        ball[:, 1] *= width
    else:
        xy[..., 1] = width * (1.0 - xy[..., 1])
        ball[:, 1] = width * (1.0 - ball[:, 1])
    if dims.standardized and diagnostics is not None:
        diagnostics.warn(f"the file gives no pitch size; {length:g} x {width:g} m assumed", main)

    frame_rate = float(meta.frame_rate or 0.0) * (sample_rate or 1.0)
    t = _monotonic_clock(t, period, frame_rate, main, diagnostics)
    t0 = float(t[0])
    t = t - t0
    t.flags.writeable = False
    players, info = _series(roster, xy, t, main)
    ball_ts = None
    if np.any(np.isfinite(ball[:, :2])):
        ball_ts = TimeSeries(t, ball, ("x", "y", "z"), ("m", "m", "m"), name="tracking",
                             source=str(main), meta={"object": "ball"})
    orientation = getattr(meta.orientation, "name", str(meta.orientation))
    return TrackingData(Pitch(float(length), float(width)), frame_rate, players, info, ball_ts,
                        t, frame_id, period, t0, orientation, str(main))


def _monotonic_clock(t: np.ndarray, period: np.ndarray, frame_rate: float, main: Path,
                     diagnostics: Diagnostics | None) -> np.ndarray:
    """The provider clock, or periods laid end to end if that clock runs backwards."""
    if n_back := int(np.count_nonzero(np.diff(t) < 0)):
        if diagnostics is not None:
            diagnostics.warn(f"provider clock runs backwards {n_back} time(s); periods laid "
                             "end to end instead", main)
        dt = 1.0 / frame_rate if frame_rate > 0 else 0.0
        out = t.copy()
        starts = np.flatnonzero(np.r_[True, period[1:] != period[:-1]])
        ends = np.r_[starts[1:], len(t)]
        for k in range(1, len(starts)):
            s, e = starts[k], ends[k]
            out[s:e] = t[s:e] - t[s] + out[starts[k] - 1] + dt
        return out
    return t


def _series(roster: list[Any], xy: np.ndarray, t: np.ndarray, main: Path
            ) -> tuple[dict[str, TimeSeries], dict[str, dict[str, Any]]]:
    present = [j for j in range(len(roster)) if np.any(np.isfinite(xy[j]))]
    ids = [str(roster[j].player_id) for j in present]
    players: dict[str, TimeSeries] = {}
    info: dict[str, dict[str, Any]] = {}
    for j, pid in zip(present, ids, strict=True):
        p = roster[j]
        team = getattr(getattr(p.team, "ground", None), "value", None)
        team = str(team) if team is not None else ""
        key = f"{team}_{pid}" if ids.count(pid) > 1 else pid
        jersey = p.jersey_no if p.jersey_no is None else int(p.jersey_no)
        info[key] = {"team": team, "jersey": jersey, "name": p.name, "provider_id": pid,
                     "team_name": getattr(p.team, "name", None)}
        players[key] = TimeSeries(t, xy[j], ("x", "y"), ("m", "m"), name="tracking",
                                  source=str(main), meta=dict(info[key], player=key))
    return players, info
