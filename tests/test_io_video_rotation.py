"""Videos with a display rotation (phones held upright or upside down): the reader shows them
turned, reports the shown size, keeps the planes path for unrotated video only, and the
scrubbing proxy is stored upright.

The files are real H.264 MP4s whose container carries the display matrix (written with PyAV's
``set_display_rotation``, as a phone's recorder writes it); the reference is a plain PyAV decode
of the stored pictures, turned here with ``np.rot90``.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from footcoach.app.proxy import build_proxy
from footcoach.io.video import VideoReader, quarter_turns

W, H, N = 64, 48, 12


def _stored_frame(i: int) -> np.ndarray:
    """(H, W, 3): a red block at the top left, a blue one at the bottom right, and a bar whose
    length is the frame index (to tell frames apart)."""
    img = np.full((H, W, 3), 40, np.uint8)
    img[:8, :16] = (255, 0, 0)
    img[-8:, -16:] = (0, 0, 255)
    img[20:28, : 4 * (i + 1)] = 230
    return img


def _write(path: Path, rotation: int, *, gop: int = 4) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.options = {"crf": "12", "bf": "0"}
        if rotation:
            stream.set_display_rotation(rotation)
        for i in range(N):
            for packet in stream.encode(av.VideoFrame.from_ndarray(_stored_frame(i), "rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def _plain_decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _centre(rgb: np.ndarray, colour: tuple[int, int, int]) -> tuple[float, float]:
    """(row, column) centre of the pixels near ``colour``."""
    near = np.abs(rgb.astype(int) - np.array(colour)).sum(axis=-1) < 120
    rows, cols = np.nonzero(near)
    return float(rows.mean()), float(cols.mean())


@pytest.mark.parametrize(("written", "shown", "red_at"), [
    (90, 90, "bottom left"),     # counter-clockwise: the top left goes to the bottom left
    (-90, 270, "top right"),     # clockwise (an upright phone): the top left goes top right
    (180, 180, "bottom right"),  # upside down
])
def test_frames_come_out_turned_as_shown(tmp_path: Path, written: int, shown: int,
                                         red_at: str) -> None:
    path = _write(tmp_path / f"r{written}.mp4", written)
    stored = _plain_decode(path)
    k = shown // 90
    with VideoReader(path) as reader:
        assert reader.rotation == shown
        assert (reader.width, reader.height) == ((H, W) if k % 2 else (W, H))
        assert (reader.info.width, reader.info.height) == (reader.width, reader.height)
        assert reader.info.rotation == shown
        assert reader.seek_count == 0
        for i in (0, 1, 5, 11, 3):  # forward, across keyframes, then back
            rgb = reader.frame(i)
            assert rgb.shape == (reader.height, reader.width, 3) and rgb.flags.c_contiguous
            np.testing.assert_array_equal(rgb, np.rot90(stored[i], k))
        red = _centre(reader.frame(0), (255, 0, 0))
        row = "bottom" if red[0] > reader.height / 2 else "top"
        col = "right" if red[1] > reader.width / 2 else "left"
        assert f"{row} {col}" == red_at
        scaled = reader.frame(2, size=(reader.width // 2, reader.height // 2))
        assert scaled.shape == (reader.height // 2, reader.width // 2, 3)
        frames = list(reader.iter_frames(0, N, 4, size=(reader.width // 2, reader.height // 2)))
        assert [i for i, _, _ in frames] == [0, 4, 8]
        assert all(f.shape == scaled.shape for _, _, f in frames)
        assert reader.picture_yuv420(0) is None  # turned video takes the RGB path


def test_unrotated_video_is_untouched(tmp_path: Path) -> None:
    path = _write(tmp_path / "r0.mp4", 0)
    stored = _plain_decode(path)
    with VideoReader(path) as reader:
        assert reader.rotation == reader.info.rotation == 0
        assert (reader.width, reader.height) == (W, H)
        np.testing.assert_array_equal(reader.frame(7), stored[7])
        assert reader.picture_yuv420(7) is not None


def test_quarter_turns_round_to_the_nearest() -> None:
    assert [quarter_turns(d) for d in (0, 89.6, -90, 180, -180, 270, 44, 46, float("nan"))] == \
        [0, 1, 3, 2, 2, 3, 0, 1, 0]


def test_proxy_of_a_turned_video_is_stored_upright(tmp_path: Path) -> None:
    path = _write(tmp_path / "upright-phone.mp4", -90)
    proxy = build_proxy(path, tmp_path / "proxies")
    assert proxy is not None
    with VideoReader(path) as source, VideoReader(proxy) as small:
        assert small.rotation == 0
        assert (small.width, small.height) == (source.width, source.height)
        assert small.frame_count == source.frame_count
        for i in (0, 6, 11):
            diff = np.abs(small.frame(i).astype(int) - source.frame(i).astype(int))
            assert diff.mean() < 6, (i, diff.mean())


def test_check_names_the_turned_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`footcoach new` takes an upright phone video; `footcoach check` shows its shown size
    and the turn."""
    from footcoach.cli.main import main

    video = _write(tmp_path / "phone.mp4", -90)
    t = np.arange(400) / 100.0
    imu = tmp_path / "vest.csv"
    imu.write_text("time_s,acc_x_g,acc_y_g,acc_z_g,gyro_x_dps,gyro_y_dps,gyro_z_dps\n" + "".join(
        f"{ti:.2f},0.01,0.02,1.0,0.5,-0.3,0.1\n" for ti in t))
    session = tmp_path / "s"
    assert main(["new", str(session), "--video", str(video), "--imu", f"p1={imu}"]) == 0
    capsys.readouterr()
    assert main(["check", str(session)]) == 0
    out = capsys.readouterr().out
    assert f"{H}x{W} (shown turned 270 deg) h264" in out, out
