"""End to end through the console entry: `footcoach new | check | metrics` on real files, and the
one-line error contract for bad input (exit 2, `footcoach: error: <file>[:<where>]: <what>`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from footcoach.cli.main import main
from footcoach.io.manifest import read_manifest

GNSS = "gnss-football-tactical"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.startswith("footcoach: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], lines[0]


def imu_csv(path: Path, n: int = 400, rate: float = 100.0) -> Path:
    t = np.arange(n) / rate
    rng = np.random.default_rng(1)
    acc = np.c_[0.05 * rng.standard_normal((n, 2)), 1 + 0.05 * rng.standard_normal(n)]
    gyro = 20 * rng.standard_normal((n, 3))
    rows = "\n".join(",".join(f"{v:.5f}" for v in (ti, *a, *g))
                     for ti, a, g in zip(t, acc, gyro, strict=True))
    header = "time_s,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps,gyro_y_dps,gyro_z_dps\n"
    path.write_text(header + rows + "\n")
    return path


@pytest.fixture()
def u18(shared_data: Path) -> dict[str, Path]:
    base = shared_data / GNSS
    return {"corners": base / "Dataset_B_Pitch.csv",
            "gps1": base / "Dataset_A_Positional_data" / "U18_ID1.csv",
            "gps2": base / "Dataset_A_Positional_data" / "U18_ID2.csv"}


def test_new_from_real_gnss_files_then_refuses_to_overwrite(
        tmp_path: Path, u18: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "u18"
    code, _, err = run(capsys, "new", out, "--gps", u18["gps1"], f"ID_2={u18['gps2']}",
                            "--pitch-corners", u18["corners"])
    assert code == 0, err
    session = read_manifest(out)
    assert [p.id for p in session.players] == ["U18_ID1", "ID_2"]
    assert session.pitch.corners_lonlat is not None
    assert 95 < session.pitch.length_m < 102 and 50 < session.pitch.width_m < 58
    assert (out / "gps" / "ID_2.csv").read_bytes() == u18["gps2"].read_bytes()
    code, _, err = run(capsys, "new", out, "--gps", u18["gps1"])
    assert_one_line_error(code, err, str(out), "already exists")


def test_new_with_imu_and_video_and_tracking(tmp_path: Path, shared_data: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    video = shared_data / "soccertrack-v2-demo" / "demo-tracking.mp4"
    k = shared_data / "kloppy-test-fixtures"
    out = tmp_path / "s"
    code, _, err = run(capsys, "new", out, "--video", video, "--imu",
                       f"p7={imu_csv(tmp_path / 'vest.csv')}",
                       "--tracking", k / "metrica_home.csv", k / "metrica_away.csv")
    assert code == 0, err
    s = read_manifest(out)
    assert s.video is not None and s.video.file == "video.mp4"
    assert s.tracking is not None and s.tracking.format == "metrica"
    assert s.player("p7").imu == "imu/p7.csv"
    assert not any(p.name.startswith(".s.") for p in tmp_path.iterdir())  # no staging left


def _bad_inputs(tmp: Path, shared: Path) -> list[tuple[str, list[str], Path, str]]:
    """(case, extra args, the file the message must name, a fragment of the message)."""
    good_imu = imu_csv(tmp / "good.csv")
    lines = good_imu.read_text().splitlines()
    cases: list[tuple[str, list[str], Path, str]] = []

    def imu_case(name: str, text: str | bytes, fragment: str) -> None:
        p = tmp / f"{name}.csv"
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
        cases.append((name, ["--imu", str(p)], p, fragment))

    imu_case("empty", "", "empty")
    imu_case("wrong_delimiter", "\n".join(ln.replace(",", "|") for ln in lines) + "\n", "")
    bad = list(lines)
    bad[50] = bad[50].replace(bad[50].split(",")[2], "abc", 1)
    imu_case("non_numeric", "\n".join(bad) + "\n", "line 51")
    back = list(lines)
    back[100], back[101] = back[101], back[100]
    back[101] = "0.0" + back[101][back[101].index(","):]
    imu_case("time_backwards", "\n".join(back) + "\n", "line 102")
    nan = [lines[0]] + [",".join(c if i != 1 else "NaN" for i, c in enumerate(ln.split(",")))
                        for ln in lines[1:]]
    imu_case("all_nan", "\n".join(nan) + "\n", "acc")
    imu_case("no_columns", "a,b,c\n" + "\n".join("1,2,3" for _ in range(50)) + "\n", "")
    imu_case("too_few_rows", "\n".join(lines[:4]) + "\n", "")
    imu_case("garbage", bytes(range(256)) * 40, "")
    cases.append(("missing", ["--imu", str(tmp / "nope.csv")], tmp / "nope.csv", ""))
    gps = tmp / "latlon.csv"
    gps.write_text("time_s,latitude,longitude\n" + "\n".join(
        f"{i / 10:.1f},{41.7 if i != 30 else 141.7},-9.12" for i in range(100)) + "\n")
    cases.append(("lat_out_of_range", ["--gps", str(gps)], gps, "line 32"))
    far = tmp / "far.csv"
    far.write_text("time_s,latitude,longitude\n" + "\n".join(
        f"{i / 10:.1f},{41.80 + i * 1e-6:.7f},-9.12" for i in range(100)) + "\n")
    cases.append(("far_off_pitch", ["--gps", str(far), "--pitch-corners",
                                     str(shared / GNSS / "Dataset_B_Pitch.csv")], far, ""))
    video = shared / "soccertrack-v2-demo" / "demo-tracking.mp4"
    trunc = tmp / "truncated.mp4"
    trunc.write_bytes(video.read_bytes()[: 300_000])
    cases.append(("truncated_video", ["--video", str(trunc)], trunc, ""))
    text_video = tmp / "notes.mp4"
    text_video.write_text("this is not a video\n" * 20)
    cases.append(("non_video", ["--video", str(text_video)], text_video, ""))
    return cases


def test_every_kind_of_bad_input_is_one_clear_line(
        tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i, (case, args, file, fragment) in enumerate(_bad_inputs(tmp_path, shared_data)):
        out = tmp_path / f"session_{i}"
        code, _, err = run(capsys, "new", out, *args)
        assert_one_line_error(code, err, file.name, fragment)
        assert not out.exists(), case


def test_debug_flag_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"nope\.csv"):
        main(["--debug", "new", str(tmp_path / "s"), "--imu", str(tmp_path / "nope.csv")])


def test_real_export_oddities_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixtures = Path(__file__).parent / "fixtures"
    imu = fixtures / "imu" / "excel_semicolon_cp1252_fixture.csv"
    gps = fixtures / "gps" / "catapult_10hz_layout_fixture.csv"
    crlf_bom = tmp_path / "bom_crlf.csv"
    crlf_bom.write_bytes(b"\xef\xbb\xbf" + imu_csv(tmp_path / "x.csv").read_bytes().replace(
        b"\n", b"\r\n"))
    code, _, err = run(capsys, "new", tmp_path / "s", "--imu", f"a={imu}", f"b={crlf_bom}",
                       "--gps", f"a={gps}")
    assert code == 0, err


def test_check_on_a_session_whose_manifest_names_a_missing_file(
        tmp_path: Path, u18: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s"
    assert run(capsys, "new", out, "--gps", u18["gps1"])[0] == 0
    (out / "gps" / "U18_ID1.csv").unlink()
    code, _, err = run(capsys, "check", out)
    assert_one_line_error(code, err, "session.toml", "missing file")


def test_shared_copy_untouched(u18: dict[str, Path]) -> None:
    assert shutil.disk_usage(u18["gps1"].parent).free > 0
