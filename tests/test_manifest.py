from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from footcoach.domain import CameraCalibration, Pitch, Player, Session, VideoRef
from footcoach.domain.session import TrackingRef
from footcoach.errors import FootcoachError
from footcoach.io.manifest import read_manifest, write_manifest


def _session(root: Path) -> Session:
    h = np.array([[12.0, -3.0, 100.0], [0.5, 6.0, 40.0], [0.001, 0.002, 1.0]])
    return Session(
        name="Tuesday drills", root=root, date="2026-11-24",
        pitch=Pitch(40.0, 30.0, origin_lonlat=(-9.1, 41.7), heading_deg=33.5),
        video=VideoRef("video.mp4", 1.25),
        calibration=CameraCalibration(h, (960, 540)),
        players=[Player("p01", "Ana", 7, "A", imu="imu/p01.csv", gps="gps/p01.csv",
                        imu_offset_s=-0.31),
                 Player("p02", "Ben", None, "B", gps="gps/p02.csv")],
        tracking=TrackingRef("metrica", {"home": "t/h.csv", "away": "t/a.csv"}, 0.5),
        clock_epoch_s=1.7e9, synthetic=True,
    )


def test_manifest_round_trip(tmp_path: Path) -> None:
    s = _session(tmp_path)
    write_manifest(s)
    back = read_manifest(tmp_path, check_files=False)
    assert back.name == s.name and back.date == s.date and back.synthetic
    assert back.pitch == s.pitch
    assert back.video == s.video
    assert back.players == s.players
    assert back.tracking == s.tracking
    assert back.clock_epoch_s == s.clock_epoch_s
    assert back.calibration is not None and s.calibration is not None
    np.testing.assert_allclose(back.calibration.homography, s.calibration.homography)
    assert back.modalities == ("video", "imu", "gps", "tracking")


def test_manifest_naming_a_missing_file_is_an_error(tmp_path: Path) -> None:
    write_manifest(_session(tmp_path))
    with pytest.raises(FootcoachError, match=r"session.toml.*video.file names a missing file"):
        read_manifest(tmp_path)


def test_not_a_session_folder(tmp_path: Path) -> None:
    with pytest.raises(FootcoachError, match=r"no session\.toml"):
        read_manifest(tmp_path)


def test_broken_toml_names_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "session.toml").write_text("name = [unclosed\n")
    with pytest.raises(FootcoachError, match=r"session\.toml: invalid TOML"):
        read_manifest(tmp_path)


def test_duplicate_player_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "session.toml").write_text(
        'name = "x"\n[[players]]\nid = "a"\n[[players]]\nid = "a"\n')
    with pytest.raises(FootcoachError, match="duplicate player id"):
        read_manifest(tmp_path)


def test_calibration_maps_there_and_back() -> None:
    pitch_pts = np.array([[0, 0], [40, 0], [40, 30], [0, 30], [20, 15]], float)
    h = np.array([[15.0, -4.0, 120.0], [0.3, 7.0, 60.0], [0.0005, 0.004, 1.0]])
    cal = CameraCalibration(h, (960, 540))
    uv = cal.pitch_to_image(pitch_pts)
    refit = CameraCalibration.from_correspondences(pitch_pts, uv, (960, 540))
    np.testing.assert_allclose(refit.homography, cal.homography, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(cal.image_to_pitch(uv), pitch_pts, atol=1e-9)


def test_four_points_with_three_collinear_are_refused() -> None:
    pitch_pts = np.array([[0, 0], [20, 0], [40, 0], [0, 30]], float)
    image_pts = np.array([[100, 400], [300, 410], [500, 420], [150, 100]], float)
    with pytest.raises(ValueError, match="degenerate"):
        CameraCalibration.from_correspondences(pitch_pts, image_pts, (960, 540))
