"""The PDF session report: its data (checked against independent counts from the events and
streams) and the PDF itself (page count and size, text layer, page numbers, margins, fonts),
built from the analysed demo session (synthetic) in A4 and Letter and for one player."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from footcoach.app.report_data import (
    ReportData,
    crop_around,
    gather_report_data,
    trend_edges,
    zone_shares,
)
from footcoach.app.reviewed import load_reviewed
from footcoach.domain.calibration import CameraCalibration
from footcoach.domain.labels import Action, Tactic
from footcoach.errors import FootcoachError
from footcoach.io.annotations import Corrections, save_corrections

PLAYER = "a05"
A4_PT = (595.276, 841.89)
LETTER_PT = (612.0, 792.0)
MARGIN_PT = 16.0 / 25.4 * 72  # footcoach.gui.report.pdf.MARGIN_MM


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return path


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Width and height in points of every page (pdfinfo, else the /MediaBox entries)."""
    if shutil.which("pdfinfo"):
        n = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", pdf)).group(1))  # type: ignore[union-attr]
        out = _run("pdfinfo", "-f", "1", "-l", str(n), pdf)
        return [(float(w), float(h)) for w, h in
                re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out)]
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes())
    return [(float(w), float(h)) for w, h in boxes]


def _run(*args: object) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          check=True).stdout


def page_texts(pdf: Path, pages: int) -> list[str]:
    _need("pdftotext")
    return [_run("pdftotext", "-layout", "-f", i, "-l", i, pdf, "-") for i in
            range(1, pages + 1)]


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def team_data(analysed_demo: Path) -> ReportData:
    return gather_report_data(analysed_demo)


@pytest.fixture(scope="module")
def corrected(analysed_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the analysed demo where the coach deleted one of PLAYER's events and changed
    another's action to shooting."""
    folder = tmp_path_factory.mktemp("corrected") / "demo-session"
    shutil.copytree(analysed_demo, folder)
    events = [e for e in load_reviewed(folder).events if e.player_id == PLAYER]
    c = Corrections()
    c.deleted.add(events[0].id)
    edited = events[1]
    edited.action, edited.source = Action.SHOOTING, "coach"
    c.edited[edited.id] = edited
    save_corrections(folder, c)
    return folder


@pytest.fixture(scope="module")
def a4_pdf(qapp, team_data: ReportData, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, int]:
    from footcoach.gui.report import render_pdf

    out = tmp_path_factory.mktemp("pdf") / "team-a4.pdf"
    rendered = render_pdf(team_data, "a4")
    out.write_bytes(rendered.data)
    return out, rendered.pages


# ------------------------------------------------------------------------------ report data
def test_counts_equal_the_event_counts(team_data: ReportData, analysed_demo: Path) -> None:
    events = load_reviewed(analysed_demo).events
    d = team_data
    assert d.synthetic and len(d.events) == len(events) > 100
    assert int(d.actions.total.sum()) == len(events)
    by = Counter((e.player_id, int(e.action)) for e in events)
    for row, pid in enumerate(d.actions.player_ids):
        for a in Action:
            assert d.actions.per_player[row, a] == by[(pid, int(a))]
    team_a = [e for e in events if d.team_of[e.player_id] == "A"]
    assert d.actions.per_team["A"].sum() == len(team_a)
    tactics = Counter(int(e.tactic) for e in events if e.tactic is not None)
    assert [int(d.tactics.total[t]) for t in Tactic] == [tactics[int(t)] for t in Tactic]


def test_quality_stats_match_the_events(team_data: ReportData) -> None:
    q = team_data.quality
    assert q.groups == ["team A", "team B"]
    for team in ("A", "B"):
        rated = [(e, e.quality) for e in team_data.events
                 if team_data.team_of[e.player_id] == team and e.quality is not None]
        name = f"team {team}"
        assert q.hist[name].sum() == len(rated)
        assert q.mean[name] == pytest.approx(np.mean([v for _, v in rated]))
        assert q.trend_count[name].sum() == len(rated)
        lo, hi = q.trend_edges[2], q.trend_edges[3]
        in_bin = [v for e, v in rated if lo <= (e.start_s + e.end_s) / 2 < hi]
        assert q.trend_mean[name][2] == pytest.approx(np.mean(in_bin))
    values = [e.quality for e in team_data.events if e.quality is not None]
    assert q.best[0].quality == max(values) and q.worst[0].quality == min(values)
    best = [e.quality or 0.0 for e in q.best]
    assert best == sorted(best, reverse=True)


def test_trend_bins_are_round_and_cover_the_session() -> None:
    assert trend_edges(-0.25, 120.18).tolist() == [10.0 * k for k in range(13)]
    e = trend_edges(0.0, 5400.0)
    assert e[0] == 0 and e[-1] >= 5400 and len(e) - 1 <= 24 and np.diff(e)[0] == 300


def test_attention_means_per_action(team_data: ReportData) -> None:
    runs = [e for e in team_data.events if e.action == Action.RUNNING and e.modality_attention]
    a = team_data.attention
    assert a.count[Action.RUNNING] == len(runs)
    expect = np.mean([[e.modality_attention.get(m, 0.0) for m in a.modalities] for e in runs],
                     axis=0)
    np.testing.assert_allclose(a.mean[Action.RUNNING], expect)
    np.testing.assert_allclose(np.nansum(a.mean, axis=1)[a.count > 0], 1.0, atol=1e-5)


def test_heatmaps_count_the_time_on_the_pitch(team_data: ReportData) -> None:
    from footcoach.app.check import check_session

    aligned = check_session(team_data.summary.folder).aligned
    length, width = team_data.summary.pitch_m
    for tr in team_data.tracks:
        xy = aligned.gps[tr.player_id].select(("x", "y")).values
        on = np.all(np.isfinite(xy), axis=1) & (xy[:, 0] >= 0) & (xy[:, 0] < length) \
            & (xy[:, 1] >= 0) & (xy[:, 1] < width)
        assert tr.grid.sum() == pytest.approx(0.1 * on.sum())
    team_a = sum(tr.grid for tr in team_data.tracks if tr.team == "A")
    np.testing.assert_allclose(team_data.team_grids["A"], team_a)


def test_zone_shares() -> None:
    g = np.zeros((40, 30))
    g[0, 0], g[39, 29], g[20, 15] = 2.0, 1.0, 1.0
    z = zone_shares(g)
    assert z[0, 0] == 0.5 and z[2, 2] == 0.25 and z[1, 1] == 0.25 and z.sum() == 1.0
    assert zone_shares(np.zeros((4, 3))).sum() == 0.0


def test_key_moments_are_the_extremes_of_each_action(team_data: ReportData) -> None:
    assert team_data.moments
    for m in team_data.moments:
        same = [e.quality for e in team_data.events
                if e.action == m.event.action and e.quality is not None]
        assert m.event.quality == (max(same) if m.kind == "best" else min(same))
        assert m.event.start_s <= m.time_s <= m.event.end_s
        assert m.image is not None and m.image.ndim == 3 and m.image.dtype == np.uint8
        if m.box is not None:
            x0, _, x1, y1 = m.box
            h, w = m.image.shape[:2]
            assert 0 <= (x0 + x1) / 2 <= w and 0 <= y1 <= h + 1


def test_crop_around_the_player() -> None:
    # a camera looking straight down: 10 pixels per metre, pitch origin at pixel (50, 40)
    cal = CameraCalibration(np.array([[10.0, 0, 50], [0, 10.0, 40], [0, 0, 1]]), (960, 540))
    (x0, y0, w, h), box = crop_around(cal, np.array([30.0, 20.0]), 960, 540)
    assert x0 >= 0 and x0 + w <= 960 and y0 >= 0 and y0 + h <= 540
    assert w == pytest.approx(16 / 9 * h, abs=1.5)
    assert box is not None
    u, v = 50 + 300 - x0, 40 + 200 - y0  # the player's feet inside the crop
    assert box[0] < u < box[2] and box[1] < v <= box[3]
    assert crop_around(None, np.array([30.0, 20.0]), 960, 540) == ((0, 0, 960, 540), None)
    assert crop_around(cal, np.array([500.0, 20.0]), 960, 540)[1] is None  # out of view


def test_coach_corrections_change_the_player_data(corrected: Path) -> None:
    d = gather_report_data(corrected, player=PLAYER)
    events = load_reviewed(corrected).events
    mine = [e for e in events if e.player_id == PLAYER]
    assert d.player_ids == [PLAYER] and len(d.events) == len(mine)
    assert d.summary.n_deleted == 1 and d.summary.n_coach_edited == 1
    row = d.actions.player_ids.index(PLAYER)
    assert d.actions.per_player[row, Action.SHOOTING] == sum(
        e.action == Action.SHOOTING for e in mine)
    assert {m.event.player_id for m in d.moments} == {PLAYER}
    assert [r.player for r in d.metrics] == [PLAYER]
    assert {r.player for r in d.quality_rows} == {PLAYER}


def test_bad_requests_are_clear_errors(analysed_demo: Path, tmp_path: Path) -> None:
    from footcoach.domain.session import Session
    from footcoach.io.manifest import write_manifest

    with pytest.raises(FootcoachError, match=r"no player 'zz'.*a05"):
        gather_report_data(analysed_demo, player="zz")
    bare = tmp_path / "bare"
    bare.mkdir()
    write_manifest(Session(name="bare", root=bare), bare)
    with pytest.raises(FootcoachError, match="footcoach analyze"):
        gather_report_data(bare)


# ------------------------------------------------------------------------------ the PDF
def test_a4_report_pages_text_and_page_numbers(a4_pdf: tuple[Path, int],
                                               team_data: ReportData) -> None:
    pdf, pages = a4_pdf
    sizes = page_sizes(pdf)
    assert len(sizes) == pages >= 6
    assert all(w == pytest.approx(A4_PT[0], abs=0.5) and h == pytest.approx(A4_PT[1], abs=0.5)
               for w, h in sizes)
    texts = page_texts(pdf, pages)
    for i, text in enumerate(texts, start=1):
        assert f"page {i} of {pages}" in text
        assert "SYNTHETIC DATA" in text  # every page header says so
    everything = "\n".join(texts)
    for expected in ("Session report", "demo-session", "Synthetic data", "Physical load",
                     "Actions and tactics", "Timelines", "Execution quality",
                     "Modality attention", "Positions", "Key moments",
                     "Appendix: data quality per stream", str(len(team_data.events))):
        assert expected in everything, expected
    for caption in team_data.summary.captions.values():
        assert caption in everything
    assert 50_000 < pdf.stat().st_size < 5_000_000


def test_text_stays_inside_the_margins(a4_pdf: tuple[Path, int]) -> None:
    pdf, _ = a4_pdf
    _need("pdftotext")
    html = _run("pdftotext", "-bbox", pdf, "-")
    boxes = [tuple(map(float, b)) for b in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', html)]
    assert len(boxes) > 1000
    lo, hi = MARGIN_PT - 1.0, A4_PT[0] - MARGIN_PT + 1.0
    outside = [b for b in boxes if b[0] < lo or b[2] > hi or b[1] < lo or b[3] > A4_PT[1] - lo]
    assert not outside


def test_fonts_are_embedded(a4_pdf: tuple[Path, int]) -> None:
    pdf, _ = a4_pdf
    _need("pdffonts")
    rows = _run("pdffonts", pdf).splitlines()[2:]
    assert rows and all(r.split()[-5] == "yes" for r in rows)  # the "emb" column


def test_letter_report_fits_letter_pages(qapp, team_data: ReportData, tmp_path: Path) -> None:
    """Rendered in a worker thread, as the review app does."""
    import threading

    from footcoach.gui.report import render_pdf

    done: list = []
    worker = threading.Thread(target=lambda: done.append(render_pdf(team_data, "letter")))
    worker.start()
    worker.join(60)
    rendered = done[0]
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(rendered.data)
    sizes = page_sizes(pdf)
    assert len(sizes) == rendered.pages
    assert all((w, h) == pytest.approx(LETTER_PT, abs=0.5) for w, h in sizes)
    texts = page_texts(pdf, rendered.pages)
    assert all(f"page {i} of {rendered.pages}" in t for i, t in enumerate(texts, start=1))


def test_cli_player_report_and_overwrite_guard(qapp, corrected: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from footcoach.cli.main import main

    out = tmp_path / "a05.pdf"
    assert main(["report", str(corrected), "--out", str(out), "--player", PLAYER]) == 0
    assert "wrote" in capsys.readouterr().out
    sizes = page_sizes(out)
    assert len(sizes) >= 4 and sizes[0] == pytest.approx(A4_PT, abs=0.5)
    text = "\n".join(page_texts(out, len(sizes)))
    assert "Player report" in text and "#5 Alex A5" in text and "#2 Yann A2" not in text
    assert f"page {len(sizes)} of {len(sizes)}" in text
    before = out.read_bytes()
    assert main(["report", str(corrected), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err and out.read_bytes() == before
    assert main(["report", str(corrected), "--out", str(tmp_path / "x.txt")]) == 2


def test_cancel_leaves_no_file(qapp, analysed_demo: Path, team_data: ReportData,
                               tmp_path: Path) -> None:
    from footcoach.gui.report import build_report, render_pdf

    seen: list[int] = []
    out = tmp_path / "r.pdf"
    with pytest.raises(FootcoachError, match="cancelled"):
        build_report(analysed_demo, out, progress=lambda d, t, m: seen.append(d),
                     cancel=lambda: bool(seen))
    assert seen and not out.exists() and list(tmp_path.iterdir()) == []
    pages: list[int] = []
    with pytest.raises(FootcoachError, match="cancelled"):  # while painting page 3
        render_pdf(team_data, progress=lambda d, t, m: pages.append(d),
                   cancel=lambda: len(pages) >= 2)
    assert len(pages) == 2 and pages == sorted(pages) and pages[-1] < 1000
    with pytest.raises(FootcoachError, match="page size"):
        build_report(analysed_demo, out, page_size="a3")


def test_long_tables_split_with_their_header(qapp) -> None:
    from PySide6.QtGui import QImage

    from footcoach.gui.report.layout import Heading, Paginator, Table, Theme

    device = QImage(100, 100, QImage.Format.Format_RGB32)
    device.setDotsPerMeterX(round(300 / 0.0254))
    device.setDotsPerMeterY(round(300 / 0.0254))
    theme = Theme(device, 300.0)
    rows = [[f"row {i}", str(i)] for i in range(150)]
    blocks = [Heading("Long"), Table(["Name", "Value"], rows)]
    height = theme.mm(200)
    pages = Paginator(theme, theme.mm(150), height).run(blocks)
    assert len(pages) >= 2
    tables = [pl.block for pg in pages for pl in pg if isinstance(pl.block, Table)]
    assert sum(len(t.rows) for t in tables) == 150
    assert all(pl.rect.bottom() <= height + 1e-6 for pg in pages for pl in pg)
    assert isinstance(pages[0][0].block, Heading)


def test_the_reports_name_the_vests_to_check(qapp, tmp_path: Path) -> None:
    """The demo with a02's vest frozen for 40 s and a03's accelerometer without gravity: the
    team report and a02's report say so under "Sensors to check"; a04's report does not."""
    from demo_copy import demo_with_faulty_vests

    from footcoach.app.analyze import run_analysis
    from footcoach.gui.report import render_pdf

    folder = demo_with_faulty_vests(tmp_path)
    run_analysis(folder, engine="onnx", device="cpu")
    team = gather_report_data(folder)
    assert [n.split(":")[0] for n in team.sensor_notes] == ["vest of a02", "vest of a03"]
    assert "set aside" in team.sensor_notes[0] and "kept" in team.sensor_notes[1]
    assert gather_report_data(folder, player="a04").sensor_notes == []
    out = tmp_path / "team.pdf"
    rendered = render_pdf(team, "a4")
    out.write_bytes(rendered.data)
    first = re.sub(r"\s+", " ", page_texts(out, 1)[0])
    assert "Sensors to check" in first
    assert "Vest of a02: repeated the same reading" in first and "Vest of a03: read no" in first
