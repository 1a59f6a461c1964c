"""Data exports (CSV, JSON, Sportscode XML) end to end on a copy of the bundled demo session
and on a small hand-made session with awkward player names."""

from __future__ import annotations

import csv
import io
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from footcoach.analysis.events import TeamPhase
from footcoach.app.reviewed import load_reviewed
from footcoach.cli.main import main
from footcoach.domain.events import Event
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.session import Player, Session, VideoRef
from footcoach.export.json_export import FORMAT, read_export, read_export_events
from footcoach.export.sportscode import player_code
from footcoach.export.tables import EVENT_COLUMNS, METRICS_COLUMNS, PHASE_COLUMNS
from footcoach.io.annotations import Corrections, save_corrections
from footcoach.io.manifest import write_manifest

REPO = Path(__file__).resolve().parents[1]
N_DEMO_EVENTS = 353  # events the bundled model (models/) finds in the demo; changes with the model
ODD_NAME = "Zoë \"Zé\" <O'Neil> & Søn"


@pytest.fixture(scope="module")
def demo(analysed_demo: Path) -> Path:
    """The analysed demo session (conftest; read-only use in these tests)."""
    assert load_reviewed(analysed_demo).result is not None
    return analysed_demo


@pytest.fixture(scope="module")
def corrected(tmp_path_factory: pytest.TempPathFactory, analysed_demo: Path
              ) -> tuple[Path, dict[str, Event]]:
    """A demo copy with an annotations.json holding one edit, one addition, one deletion."""
    dst = tmp_path_factory.mktemp("corrected") / "demo-session"
    shutil.copytree(analysed_demo, dst)
    base = load_reviewed(dst).events
    target, gone = base[10], base[20]
    edited = replace(target, action=Action.SHOOTING, tactic=Tactic.BREAKTHROUGH, quality=12.5,
                     confidence=1.0, source="coach")
    added = Event("coach-added1", "b04", 60.0, 61.5, Action.SLIDING, Tactic.PRESSING, 77.0,
                  source="coach")
    save_corrections(dst, Corrections(edited={edited.id: edited}, added={added.id: added},
                                      deleted={gone.id}))
    return dst, {"edited": edited, "added": added, "deleted": gone}


def _odd_session(folder: Path, *, annotate: bool = True) -> Path:
    """A session without analysis: two players (one with an awkward name), coach events only."""
    folder.mkdir()
    players = [Player("p1", ODD_NAME, 7, "A&B"), Player("p2", "", None, "")]
    write_manifest(Session("odd <session>", folder, players=players,
                           video=VideoRef("video.mp4", start_s=2.0)), folder)
    (folder / "video.mp4").write_bytes(b"\0")  # the manifest's file check only needs it present
    if annotate:
        events = [Event("c-1", "p1", 5.0, 7.25, Action.PASSING, Tactic.BALL_POSSESSION, 61.0,
                        source="coach"),
                  Event("c-2", "p2", 1.0, 3.0, Action.RUNNING, source="coach")]
        save_corrections(folder, Corrections(added={e.id: e for e in events}))
    return folder


def _run(*argv: object) -> int:
    return main(["export", *(str(a) for a in argv)])


def _read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    text = raw.decode("utf-8-sig")
    assert not text.startswith("#")
    return list(csv.DictReader(io.StringIO(text, newline="")))


# ------------------------------------------------------------------------------- CSV
def test_csv_events_demo(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    assert _run(demo, "--format", "csv", "--out", out) == 0
    rows = _read_csv(out)
    assert list(rows[0]) == list(EVENT_COLUMNS)
    events = load_reviewed(demo).events
    assert len(rows) == len(events) == N_DEMO_EVENTS
    assert [r["id"] for r in rows] == [e.id for e in events]
    first, ev = rows[0], events[0]
    assert first["player_name"] == "Yann A2" and first["player_number"] == "2"
    assert first["team"] == "A"
    assert float(first["start_s"]) == pytest.approx(ev.start_s, abs=1e-3)
    assert float(first["duration_s"]) == pytest.approx(ev.end_s - ev.start_s, abs=1e-3)
    assert float(first["quality"]) == pytest.approx(ev.quality, abs=0.01)
    att = sum(float(first[f"attention_{m}"]) for m in ("video", "imu", "position"))
    assert att == pytest.approx(1.0, abs=1e-3)
    assert {r["synthetic"] for r in rows} == {"true"}
    assert {r["source"] for r in rows} == {"model"}
    assert all("," not in r["start_s"] and "e" not in r["start_s"] for r in rows)


def test_csv_all_writes_three_tables(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    assert _run(demo, "--out", out, "--what", "all") == 0  # format from the suffix
    phases = _read_csv(tmp_path / "s_phases.csv")
    metrics = _read_csv(tmp_path / "s_metrics.csv")
    assert len(_read_csv(out)) == N_DEMO_EVENTS
    result = load_reviewed(demo).result
    assert result is not None
    assert list(phases[0]) == list(PHASE_COLUMNS) and len(phases) == len(result.phases)
    assert {r["tactic"] for r in phases} <= {t.label for t in Tactic}
    assert list(metrics[0]) == list(METRICS_COLUMNS)
    assert sorted(r["player"] for r in metrics) == sorted(p.id for p in
                                                          load_reviewed(demo).session.players)
    assert all(float(r["distance_m"]) > 50 for r in metrics)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s_metrics.csv",
                                                          "s_phases.csv"]


def test_csv_all_checks_every_target_before_writing(demo: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s_metrics.csv").write_text("keep")
    assert _run(demo, "--out", tmp_path / "s.csv", "--what", "all") == 2
    assert "s_metrics.csv" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "s_phases.csv").exists()
    assert (tmp_path / "s_metrics.csv").read_text() == "keep"


# ------------------------------------------------------------------------------ JSON
def test_json_round_trip(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    assert _run(demo, "--format", "json", "--out", out) == 0
    doc = read_export(out)
    reviewed = load_reviewed(demo)
    result = reviewed.result
    assert result is not None
    assert doc["format"] == FORMAT and doc["schema_version"] == 1
    assert doc["contents"] == ["events", "phases", "metrics"]
    s = doc["session"]
    assert s["name"] == "demo-session" and s["synthetic"] is True
    assert [p["id"] for p in s["players"]] == [p.id for p in reviewed.session.players]
    assert s["time_range_s"] == list(result.time_range)
    assert doc["analysis"]["model"]["sha256"] == result.model_sha256
    assert doc["analysis"]["model"]["name"] == "footcoach_model"
    team = result.model.get("team_model")
    assert doc["analysis"]["model"]["team_model_sha256"] == (team["sha256"] if team else None)
    assert read_export_events(out) == reviewed.events  # exact: JSON keeps every digit
    assert len(doc["events"]) == N_DEMO_EVENTS
    assert doc["events"][0]["player_name"] == "Yann A2"
    assert [TeamPhase.from_dict(p) for p in doc["phases"]] == sorted(
        result.phases, key=lambda p: (p.start_s, p.team))
    assert len(doc["metrics"]) == len(reviewed.session.players)
    assert doc["metrics"][0]["distance_m"] > 0 and "synthetic" not in doc["metrics"][0]


def test_json_events_only(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "ev.json"
    assert _run(demo, "--out", out, "--what", "events") == 0
    doc = read_export(out)
    assert doc["contents"] == ["events"] and "phases" not in doc and "metrics" not in doc


# ------------------------------------------------------------------------ Sportscode
def test_sportscode_kloppy_round_trip(demo: Path, tmp_path: Path) -> None:
    from kloppy import sportscode

    out = tmp_path / "edit.xml"
    assert _run(demo, "--format", "sportscode", "--out", out) == 0
    reviewed = load_reviewed(demo)
    assert reviewed.session.video is not None and reviewed.session.video.start_s == 0.0
    codes = sportscode.load(str(out)).records
    assert len(codes) == N_DEMO_EVENTS
    assert [c.code_id for c in codes] == [str(i) for i in range(1, N_DEMO_EVENTS + 1)]
    by_id = {e.id: e for e in reviewed.events}
    players = {p.id: p for p in reviewed.session.players}
    for c in codes:
        ev = by_id[str(c.labels["Event ID"])]
        assert c.code == player_code(ev.player_id, players[ev.player_id])
        assert c.timestamp.total_seconds() == pytest.approx(ev.start_s, abs=1e-3)
        assert c.end_timestamp.total_seconds() == pytest.approx(ev.end_s, abs=1e-3)
        assert c.labels["Action"] == ev.action.label
        assert c.labels["Source"] == "model" and c.labels["Data"] == "synthetic"
        assert c.labels["Quality"] == pytest.approx(ev.quality, abs=0.05)
    rows = ET.parse(out).getroot().findall("ROWS/row")
    assert sorted(r.findtext("code") or "" for r in rows) == sorted({c.code for c in codes})
    for r in rows:
        assert all(0 <= int(r.findtext(ch) or -1) <= 65535 for ch in "RGB")


def test_sportscode_phases_and_metrics_refused(demo: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from kloppy import sportscode

    out = tmp_path / "all.xml"
    assert _run(demo, "--out", out, "--what", "all") == 0
    codes = sportscode.load(str(out)).records
    result = load_reviewed(demo).result
    assert result is not None
    phases = [c for c in codes if c.code.startswith("Team ")]
    assert len(codes) == N_DEMO_EVENTS + len(result.phases) == N_DEMO_EVENTS + len(phases)
    assert {c.code for c in phases} == {"Team A phases", "Team B phases"}
    assert _run(demo, "--out", tmp_path / "m.xml", "--what", "metrics") == 2
    assert "use --format csv or json" in capsys.readouterr().err
    assert not (tmp_path / "m.xml").exists()


# ------------------------------------------------------------------- coach corrections
def test_corrections_show_in_every_format(corrected: tuple[Path, dict[str, Event]],
                                          tmp_path: Path) -> None:
    from kloppy import sportscode

    folder, c = corrected
    edited, added, gone = c["edited"], c["added"], c["deleted"]
    for fmt, name in (("csv", "e.csv"), ("json", "e.json"), ("sportscode", "e.xml")):
        assert _run(folder, "--format", fmt, "--out", tmp_path / name) == 0

    rows = {r["id"]: r for r in _read_csv(tmp_path / "e.csv")}
    assert len(rows) == N_DEMO_EVENTS  # one deleted, one added
    assert gone.id not in rows
    assert rows[edited.id]["action"] == "shooting" and rows[edited.id]["source"] == "coach"
    assert rows[edited.id]["tactic"] == "breakthrough" and rows[edited.id]["quality"] == "12.5"
    assert rows[added.id]["action"] == "sliding" and rows[added.id]["player_id"] == "b04"
    assert rows[added.id]["attention_video"] == ""  # a coach event has no attention

    events = {e.id: e for e in read_export_events(tmp_path / "e.json")}
    assert events[edited.id] == edited and events[added.id] == added and gone.id not in events
    assert read_export(tmp_path / "e.json")["corrections"] == {
        "edited": 1, "added": 1, "deleted": 1, "stale": []}

    codes = {str(x.labels["Event ID"]): x
             for x in sportscode.load(str(tmp_path / "e.xml")).records}
    assert len(codes) == N_DEMO_EVENTS and gone.id not in codes
    assert codes[edited.id].labels["Action"] == "shooting"
    assert codes[edited.id].labels["Source"] == "coach"
    assert codes[added.id].timestamp.total_seconds() == pytest.approx(60.0)
    assert codes[added.id].labels["Tactic"] == "pressing"


# --------------------------------------------------------- names, clocks, bad sessions
def test_awkward_names_in_every_format(tmp_path: Path) -> None:
    from kloppy import sportscode

    folder = _odd_session(tmp_path / "odd")
    for name in ("o.csv", "o.json", "o.xml"):
        assert _run(folder, "--out", tmp_path / name, "--what", "events") == 0
    rows = _read_csv(tmp_path / "o.csv")
    assert [r["player_name"] for r in rows] == ["", ODD_NAME]  # sorted by start
    assert rows[1]["team"] == "A&B" and rows[0]["player_number"] == ""
    assert rows[0]["synthetic"] == "false" and rows[0]["quality"] == ""

    doc = read_export(tmp_path / "o.json")
    assert doc["session"]["name"] == "odd <session>" and doc["analysis"] is None
    assert doc["events"][1]["player_name"] == ODD_NAME

    raw = (tmp_path / "o.xml").read_text(encoding="utf-8")
    assert "&amp;" in raw and "&lt;O'Neil&gt;" in raw and "Zoë" in raw
    codes = sportscode.load(str(tmp_path / "o.xml")).records
    assert [c.code for c in codes] == ["p2", f"p1 #7 {ODD_NAME}"]
    assert codes[1].labels["Team"] == "A&B" and "Data" not in codes[1].labels
    # video clock: the video starts at session time 2 s
    assert codes[1].timestamp.total_seconds() == pytest.approx(3.0)
    assert codes[0].timestamp.total_seconds() == 0.0  # 1 s -> clipped to the first frame
    assert codes[0].end_timestamp.total_seconds() == pytest.approx(1.0)


def test_no_analysis_no_annotations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _odd_session(tmp_path / "bare", annotate=False)
    for fmt in ("csv", "json", "sportscode"):
        assert _run(folder, "--format", fmt, "--out", tmp_path / f"x.{fmt}") == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "footcoach analyze" in err
        assert not (tmp_path / f"x.{fmt}").exists()


def test_phases_need_an_analysis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _odd_session(tmp_path / "odd")
    assert _run(folder, "--out", tmp_path / "p.csv", "--what", "phases") == 2
    assert "footcoach analyze" in capsys.readouterr().err


def test_overwrite_needs_force(demo: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "e.json"
    out.write_text("old")
    assert _run(demo, "--out", out, "--what", "events") == 2
    err = capsys.readouterr().err
    assert "--force" in err and err.count("\n") == 1
    assert out.read_text() == "old"
    assert _run(demo, "--out", out, "--what", "events", "--force") == 0
    assert len(read_export(out)["events"]) == N_DEMO_EVENTS


def test_format_must_be_known(demo: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(demo, "--out", tmp_path / "events.txt") == 2
    assert "--format" in capsys.readouterr().err
    assert _run(demo, "--out", tmp_path / "events.txt", "--format", "csv") == 0
    assert len(_read_csv(tmp_path / "events.txt")) == N_DEMO_EVENTS
