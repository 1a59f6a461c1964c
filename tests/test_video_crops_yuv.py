"""Player crops cut from the decoder's 4:2:0 planes (footcoach.io.yuv, cut_crops_yuv420):
colour conversion against FFmpeg's own, geometry against the RGB path, black outside the
picture, averaging of large boxes, and the RGB fallback for other pixel formats."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from footcoach.domain.calibration import CameraCalibration
from footcoach.errors import FootcoachError
from footcoach.io.video import VideoReader
from footcoach.io.video_crops import (
    crop_boxes,
    cut_crop,
    cut_crops_yuv420,
    iter_crops,
    scaled_calibration,
)
from footcoach.io.video_writer import H264Writer
from footcoach.io.yuv import Yuv420Picture, rgb_matrix, yuv420_picture


def _frame(y: np.ndarray, u: np.ndarray, v: np.ndarray, fmt: str = "yuv420p") -> av.VideoFrame:
    frame = av.VideoFrame(y.shape[1], y.shape[0], fmt)
    for plane, values in zip(frame.planes, (y, u, v), strict=True):
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        rows[:, :plane.width] = values
    return frame


def _convert(pic: Yuv420Picture, yuv: np.ndarray) -> np.ndarray:
    m = pic.rgb_matrix()
    return np.clip(yuv @ m[:, :3].T + m[:, 3], 0, 255)


@pytest.mark.parametrize(("fmt", "space", "rng_flag"), [
    ("yuv420p", 2, 0), ("yuv420p", 1, 0), ("yuv420p", 5, 1), ("yuv420p", 2, 2),
    ("yuvj420p", 2, 0)])
def test_colour_conversion_matches_ffmpeg(fmt: str, space: int, rng_flag: int):
    """Constant pictures of many (Y, U, V) codes convert as FFmpeg's rgb24 conversion does,
    for BT.601 and BT.709, limited and full range, within 3 levels (FFmpeg rounds in fixed
    point)."""
    rng = np.random.default_rng(0)
    for y, u, v in rng.integers(20, 236, (12, 3)):
        frame = _frame(np.full((16, 16), y), np.full((8, 8), u), np.full((8, 8), v), fmt)
        frame.colorspace = space
        frame.color_range = rng_flag
        pic = yuv420_picture(frame)
        assert pic is not None
        assert pic.bt709 == (space == 1)
        assert pic.full_range == (fmt == "yuvj420p" or rng_flag == 2)
        ours = _convert(pic, np.array([y, u, v], float))
        ffmpeg = frame.to_ndarray(format="rgb24")[8, 8].astype(float)
        assert np.abs(ours - ffmpeg).max() <= 3.0, (fmt, space, rng_flag, y, u, v)


def test_black_codes_convert_to_black_and_white_to_white():
    for full in (False, True):
        m = rgb_matrix(bt709=False, full_range=full)
        lo, hi = (0, 255) if full else (16, 235)
        np.testing.assert_allclose(m[:, :3] @ [lo, 128, 128] + m[:, 3], 0, atol=1e-9)
        np.testing.assert_allclose(m[:, :3] @ [hi, 128, 128] + m[:, 3], 255, atol=1e-9)


def test_other_formats_and_colour_spaces_give_no_picture():
    frame = av.VideoFrame(16, 16, "yuv444p")
    assert yuv420_picture(frame) is None
    assert yuv420_picture(av.VideoFrame(16, 16, "rgb24")) is None
    frame = _frame(np.zeros((16, 16)), np.zeros((8, 8)), np.zeros((8, 8)))
    frame.colorspace = 9  # BT.2020
    assert yuv420_picture(frame) is None


def _smooth_picture(h: int = 120, w: int = 160) -> tuple[Yuv420Picture, np.ndarray]:
    """A smooth colourful picture (planes and FFmpeg's RGB of it)."""
    yy, xx = np.mgrid[0:h, 0:w]
    y = 60 + 120 * (0.5 + 0.5 * np.sin(xx / 9.0) * np.cos(yy / 13.0))
    u = 128 + 60 * np.sin(np.mgrid[0:h // 2, 0:w // 2][1] / 7.0)
    v = 128 + 60 * np.cos(np.mgrid[0:h // 2, 0:w // 2][0] / 5.0)
    frame = _frame(y.astype(np.uint8), u.astype(np.uint8), v.astype(np.uint8))
    pic = yuv420_picture(frame)
    assert pic is not None
    return pic, frame.to_ndarray(format="rgb24")


def test_crops_match_the_rgb_path_inside_the_picture():
    pic, rgb = _smooth_picture()
    boxes = np.array([[40.0, 50.0, 20.0], [100.0, 60.0, 32.0], [80.0, 70.0, 50.0],
                      [30.5, 30.5, 11.0]])
    ours = cut_crops_yuv420(pic, boxes, 32).astype(float)
    ref = np.stack([cut_crop(rgb, b, 32) for b in boxes]).astype(float)
    assert ours.shape == (4, 32, 32, 3)
    diff = np.abs(ours - ref)
    assert diff.mean() < 3.0 and np.percentile(diff, 95) < 10.0
    odd = cut_crops_yuv420(pic, boxes, 31)  # odd crop sizes work too
    assert odd.shape == (4, 31, 31, 3) and np.abs(odd.mean() - ours.mean()) < 3.0


def test_parts_outside_the_picture_are_black():
    pic, _ = _smooth_picture()
    crop = cut_crops_yuv420(pic, np.array([[0.0, 60.0, 40.0]]), 40)[0]  # left half outside
    assert crop[:, :18].max() <= 2
    assert crop[:, 22:].mean() > 40
    gone = cut_crops_yuv420(pic, np.array([[-200.0, -200.0, 30.0]]), 16)[0]
    assert gone.max() <= 2


def test_large_boxes_are_averaged_not_aliased():
    """A one-pixel luma checkerboard seen through a box 8x the crop: a grey crop."""
    h, w = 256, 256
    board = np.where((np.add.outer(np.arange(h), np.arange(w)) % 2) == 0, 40, 200)
    pic = yuv420_picture(_frame(board.astype(np.uint8), np.full((128, 128), 128),
                                np.full((128, 128), 128)))
    assert pic is not None
    crop = cut_crops_yuv420(pic, np.array([[128.0, 128.0, 128.0]]), 16)[0].astype(float)
    grey = _convert(pic, np.array([120.0, 128, 128]))
    assert np.abs(crop - grey).max() < 12
    assert crop.std() < 4


def test_refuses_boxes_that_are_not_finite():
    pic, _ = _smooth_picture()
    with pytest.raises(ValueError, match="finite"):
        cut_crops_yuv420(pic, np.array([[np.nan, 1.0, 10.0]]), 8)
    assert cut_crops_yuv420(pic, np.zeros((0, 3)), 8).shape == (0, 8, 8, 3)


def _write(path: Path, pix_fmt: str, n: int = 6) -> Path:
    yy, xx = np.mgrid[0:96, 0:128]
    with H264Writer(path, 128, 96, 25, crf=10, pix_fmt=pix_fmt, threads=1) as writer:
        for i in range(n):
            img = np.stack([(xx * 2 + i * 5) % 256, (yy * 2) % 256, (xx + yy) % 256], axis=-1)
            writer.write(img.astype(np.uint8))
    return path


def _identity_calibration() -> CameraCalibration:
    return CameraCalibration(np.eye(3), (128, 96))  # pitch metres = pixels


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv444p"])
def test_iter_crops_reads_both_paths_alike(tmp_path: Path, pix_fmt: str):
    """A 4:2:0 file goes through the planes, a 4:4:4 one through RGB frames; the crops agree
    with cutting the RGB frame either way."""
    path = _write(tmp_path / f"{pix_fmt}.mp4", pix_fmt)
    xy = np.array([[[40.0, 60.0], [90.0, 50.0]]] * 3)  # (T, P, 2) feet
    with VideoReader(path) as reader:
        assert (reader.picture_yuv420(0) is None) == (pix_fmt != "yuv420p")
        got = list(iter_crops(reader, np.array([0.0, 0.04, 0.12]), xy,
                              _identity_calibration(), crop_px=24))
        frames = [reader.frame(i) for i in (0, 1, 3)]
    idx = np.concatenate([g[0] for g in got])
    crops = np.concatenate([g[1] for g in got])
    valid = np.concatenate([g[2] for g in got])
    np.testing.assert_array_equal(idx, [0, 1, 2])
    assert valid.all()
    cal = scaled_calibration(_identity_calibration(), 128, 96)
    for t, frame in enumerate(frames):
        boxes = crop_boxes(cal, xy[t])
        for p in range(2):
            ref = cut_crop(frame, boxes[p], 24).astype(float)
            diff = np.abs(crops[t, p].astype(float) - ref)
            assert diff.mean() < (0.01 if pix_fmt == "yuv444p" else 6.0), (t, p, diff.mean())


@pytest.mark.parametrize("side", [32.0, 64.0, 128.0])  # pyramid levels 0, 1, 2
def test_crops_keep_their_geometry_at_every_pyramid_level(side: float):
    """A white square of half the box's side, centred in the box, fills the crop's middle
    half whatever the level the box is sampled from."""
    y = np.full((256, 256), 16, np.uint8)
    lo, hi = int(128 - side / 4), int(128 + side / 4)
    y[lo:hi, lo:hi] = 235
    pic = yuv420_picture(_frame(y, np.full((128, 128), 128), np.full((128, 128), 128)))
    assert pic is not None
    crop = cut_crops_yuv420(pic, np.array([[128.0, 128.0, side]]), 16)[0, :, :, 1].astype(float)
    white = crop > 128
    across = np.flatnonzero(white[8])  # white columns of the middle row
    down = np.flatnonzero(white[:, 8])  # white rows of the middle column
    assert across.min() == 4 and across.max() == 11, across
    assert down.min() == 4 and down.max() == 11, down
    assert crop[1, 1] < 10 and crop[8, 8] > 245


@pytest.mark.parametrize(("pix_fmt", "calibrated"),
                         [("yuv420p", True), ("yuv444p", True), ("yuv420p", False)])
def test_crop_threads_give_the_same_crops_in_order(tmp_path: Path, pix_fmt: str,
                                                   calibrated: bool):
    """Cutting in 3 threads while frame threads decode gives what one thread gives, in the same
    order, the targets past the end of the video last and invalid."""
    path = _write(tmp_path / f"{pix_fmt}.mp4", pix_fmt, n=20)
    targets = np.r_[np.arange(0.0, 0.8, 0.02), 5.0]  # 20 frames at 25 fps, then past the end
    xy = np.tile([[[40.0, 60.0], [90.0, 50.0], [500.0, 50.0]]], (targets.size, 1, 1))
    cal = _identity_calibration() if calibrated else None
    runs = []
    for workers, threads in ((1, "SLICE"), (3, "AUTO")):
        with VideoReader(path, thread_type=threads) as reader:
            runs.append(list(iter_crops(reader, targets, xy, cal, crop_px=16,
                                        workers=workers)))
    one, three = runs
    assert len(one) == len(three) == 21  # 20 frames + the batch outside the video
    for (i1, c1, v1), (i3, c3, v3) in zip(one, three, strict=True):
        np.testing.assert_array_equal(i1, i3)
        np.testing.assert_array_equal(c1, c3)
        np.testing.assert_array_equal(v1, v3)
    assert not one[-1][2].any() and one[-1][0].tolist() == [targets.size - 1]
    assert one[0][2][0].tolist() == [True, True, not calibrated]  # (500, 50) lies outside


def test_crop_threads_stop_on_cancel_and_refuse_zero(tmp_path: Path):
    path = _write(tmp_path / "v.mp4", "yuv420p", n=20)
    targets = np.arange(0.0, 0.8, 0.04)
    xy = np.tile([[[40.0, 60.0]]], (targets.size, 1, 1))
    polls = []

    def cancel() -> bool:
        polls.append(1)
        return len(polls) > 5

    with VideoReader(path) as reader:
        with pytest.raises(FootcoachError, match="cancelled"):
            list(iter_crops(reader, targets, xy, _identity_calibration(), crop_px=8,
                            cancel=cancel, workers=2))
        with pytest.raises(ValueError, match="workers"):
            list(iter_crops(reader, targets, xy, None, workers=0))
