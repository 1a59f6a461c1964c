"""Video reading (frame-exact seeking, VFR timing, errors) and H.264 writing.

Reference frames come from a plain sequential PyAV decode written here, independent of the
reader's seek logic. Generated files are small and written to tmp_path.
"""

from __future__ import annotations

import os
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from footcoach.errors import FootcoachError
from footcoach.io.video import VideoReader, probe_video
from footcoach.io.video_writer import H264Writer

DEMO = Path("/work/shared/data/soccertrack-v2-demo/demo-tracking.mp4")
RNG_INDICES = sorted({int(i) for i in np.random.default_rng(7).integers(0, 750, 12)})
# Random indices plus the edges and both sides of each keyframe (0, 250, 500).
CHECK_INDICES = sorted({*RNG_INDICES, 0, 1, 249, 250, 251, 499, 500, 748, 749})
STEP_INDICES = list(range(3, 120, 9))


def _sequential_decode(path: Path, keep: set[int]) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Plain PyAV decode from the start: frame times (s) and RGB arrays of the ``keep`` indices."""
    times: list[float] = []
    frames: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for i, frame in enumerate(container.decode(stream)):
            times.append(float(frame.pts * stream.time_base))
            if i in keep:
                frames[i] = frame.to_ndarray(format="rgb24")
    t = np.asarray(times)
    return t - t[0], frames


@pytest.fixture(scope="module")
def demo() -> Path:
    if not DEMO.is_file():
        pytest.skip(f"demo video not available: {DEMO}")
    return DEMO


@pytest.fixture(scope="module")
def demo_reference(demo: Path) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    return _sequential_decode(demo, set(CHECK_INDICES) | set(STEP_INDICES))


def _pattern_frame(i: int, width: int = 96, height: int = 64) -> np.ndarray:
    """A frame carrying index ``i`` as 6 black/white 16x16 blocks over a colour gradient."""
    y, x = np.mgrid[0:height, 0:width]
    img = np.stack([x * 255 // width, y * 255 // height, np.full_like(x, 90)], axis=-1)
    img = img.astype(np.uint8)
    for bit in range(6):
        img[0:16, bit * 16 : (bit + 1) * 16] = 255 if (i >> bit) & 1 else 0
    return img


def _read_pattern(rgb: np.ndarray) -> int:
    return sum(1 << bit for bit in range(6) if rgb[2:14, bit * 16 + 2 : bit * 16 + 14].mean() > 128)


# -- the real demo file ---------------------------------------------------------------------


def test_demo_metadata(demo: Path, demo_reference: tuple[np.ndarray, dict[int, np.ndarray]]):
    ref_times, _ = demo_reference
    with VideoReader(demo) as reader:
        assert reader.path == demo
        assert reader.start_time_s == 0.0
        assert reader.fps == pytest.approx(25.0)
        assert reader.frame_count == 750
        assert (reader.width, reader.height) == (1280, 338)
        assert reader.duration_s == pytest.approx(30.0)
        times = reader.frame_times
        assert times.dtype == np.float64 and times.shape == (750,)
        np.testing.assert_array_equal(times, ref_times)
        np.testing.assert_allclose(times, np.arange(750) / 25.0, atol=1e-12)
        assert not times.flags.writeable
        keys = reader.keyframe_indices
        assert keys[0] == 0 and np.all(np.diff(keys) > 0)
        assert set(keys.tolist()) == {0, 250, 500}
        assert reader.diagnostics.warnings == []
    info = probe_video(demo)
    assert (info.frame_count, info.width, info.height, info.codec) == (750, 1280, 338, "h264")
    assert info.fps == pytest.approx(25.0) and info.duration_s == pytest.approx(30.0)
    assert info.has_audio is False


def test_demo_random_access_is_frame_exact(
    demo: Path, demo_reference: tuple[np.ndarray, dict[int, np.ndarray]]
):
    _, ref = demo_reference
    order = np.random.default_rng(3).permutation(CHECK_INDICES)
    with VideoReader(demo) as reader:
        for i in order:
            rgb = reader.frame(int(i))
            assert rgb.shape == (338, 1280, 3) and rgb.dtype == np.uint8
            assert np.array_equal(rgb, ref[int(i)]), f"frame {i} differs from sequential decode"


def test_forward_requests_continue_without_seeking(
    demo: Path, demo_reference: tuple[np.ndarray, dict[int, np.ndarray]]
):
    _, ref = demo_reference
    with VideoReader(demo) as reader:
        reader.frame(245)
        seeks = reader.seek_count
        for i in range(246, 253):  # steps across the keyframe at 250
            frame = reader.frame(i)
        assert reader.seek_count == seeks
        assert np.array_equal(frame, reader.frame(252))
        assert np.array_equal(reader.frame(251), ref[251])  # backwards: must seek
        assert reader.seek_count == seeks + 1
        assert np.array_equal(reader.frame(500), ref[500])  # far ahead past a keyframe: seeks
        assert reader.seek_count == seeks + 2


def test_frame_at_time(demo: Path, demo_reference: tuple[np.ndarray, dict[int, np.ndarray]]):
    _, ref = demo_reference
    with VideoReader(demo) as reader:
        assert reader.index_at_time(0.0) == 0
        assert reader.index_at_time(0.039) == 0
        assert reader.index_at_time(0.04) == 1
        assert reader.index_at_time(3 * 0.04) == 3  # 0.12000000000000001: float rounding tolerated
        assert reader.index_at_time(10.02) == 250
        assert reader.index_at_time(29.999) == 749
        for bad in (-0.5, 30.0, 31.0, float("nan")):
            with pytest.raises(IndexError):
                reader.index_at_time(bad)
        index, rgb = reader.frame_at_time(19.99)
        assert index == 499
        assert np.array_equal(rgb, ref[499])


def test_iter_frames_with_step_and_size(
    demo: Path, demo_reference: tuple[np.ndarray, dict[int, np.ndarray]]
):
    _, ref = demo_reference
    with VideoReader(demo) as reader:
        got = list(reader.iter_frames(3, 120, 9))
        assert [i for i, _, _ in got] == STEP_INDICES
        assert [t for _, t, _ in got] == pytest.approx([i / 25.0 for i in STEP_INDICES])
        for i, _, rgb in got:
            assert np.array_equal(rgb, ref[i])
        small = list(reader.iter_frames(745, size=(320, 84)))
        assert [i for i, _, _ in small] == [745, 746, 747, 748, 749]
        assert all(rgb.shape == (84, 320, 3) for _, _, rgb in small)
        with pytest.raises(ValueError):
            next(reader.iter_frames(step=0))


def test_index_out_of_range_and_closed(demo: Path):
    reader = VideoReader(demo)
    with pytest.raises(IndexError):
        reader.frame(750)
    with pytest.raises(IndexError):
        reader.frame(-1)
    reader.close()
    reader.close()  # idempotent
    with pytest.raises(ValueError):
        reader.frame(0)


# -- generated files ------------------------------------------------------------------------


def test_variable_frame_rate_times(tmp_path: Path):
    """Irregular PTS written with PyAV come back exactly as frame_times, frames in order."""
    rng = np.random.default_rng(1)
    pts_ms = np.concatenate([[0], np.cumsum(rng.choice([20, 33, 40, 67, 100], size=39))])
    path = tmp_path / "vfr.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.time_base = Fraction(1, 1000)
        for i, p in enumerate(pts_ms):
            frame = av.VideoFrame.from_ndarray(_pattern_frame(i), format="rgb24")
            frame.pts, frame.time_base = int(p), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with VideoReader(path) as reader:
        assert reader.frame_count == 40
        np.testing.assert_array_equal(reader.frame_times, pts_ms / 1000.0)
        for i in (39, 0, 17, 18, 30):
            assert _read_pattern(reader.frame(i)) == i
        mid = (pts_ms[10] + pts_ms[11]) / 2000.0
        index, rgb = reader.frame_at_time(mid)
        assert index == 10 and _read_pattern(rgb) == 10


def test_long_gop_seeks_are_exact(tmp_path: Path):
    path = tmp_path / "long_gop.mp4"
    with H264Writer(path, 96, 64, 25, gop=200, crf=18) as writer:
        for i in range(260):
            writer.write(_pattern_frame(i % 64))
    keep = {5, 150, 199, 200, 201, 259}
    _, ref = _sequential_decode(path, keep)
    with VideoReader(path) as reader:
        assert reader.frame_count == 260
        assert reader.keyframe_indices.tolist() == [0, 200]
        for i in (199, 5, 259, 150, 200, 201):
            rgb = reader.frame(i)
            assert np.array_equal(rgb, ref[i])
            assert _read_pattern(rgb) == i % 64


def test_writer_round_trip(tmp_path: Path):
    path = tmp_path / "clip.mp4"
    frames = [_pattern_frame(i) for i in range(30)]
    with H264Writer(path, 96, 64, 30000 / 1001, gop=10) as writer:
        for rgb in frames:
            writer.write(rgb)
        assert writer.frames_written == 30
        assert not path.exists()  # only appears on a clean close
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]
    with VideoReader(path) as reader:
        assert reader.frame_count == 30
        assert (reader.width, reader.height) == (96, 64)
        assert reader.fps == pytest.approx(29.97, abs=1e-3)
        assert reader.keyframe_indices.tolist() == [0, 10, 20]
        for i, _, rgb in reader.iter_frames():
            assert _read_pattern(rgb) == i
            err = np.abs(rgb.astype(np.int16) - frames[i].astype(np.int16))
            assert err.mean() < 4.0, f"frame {i}: mean abs error {err.mean():.2f}"


def test_writer_is_atomic_on_error(tmp_path: Path):
    path = tmp_path / "out.mp4"
    path.write_bytes(b"previous content")
    with pytest.raises(RuntimeError), H264Writer(path, 96, 64, 25) as writer:
        writer.write(_pattern_frame(1))
        raise RuntimeError("simulated failure while rendering")
    assert path.read_bytes() == b"previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_writer_rejects_bad_arguments(tmp_path: Path):
    with pytest.raises(ValueError, match="even"):
        H264Writer(tmp_path / "odd.mp4", 95, 64, 25)
    with pytest.raises(FootcoachError, match="folder"):
        H264Writer(tmp_path / "missing" / "x.mp4", 96, 64, 25)
    with H264Writer(tmp_path / "ok.mp4", 96, 64, 25) as writer:
        with pytest.raises(ValueError, match="uint8"):
            writer.write(np.zeros((64, 96, 3), dtype=np.float32))
        with pytest.raises(ValueError):
            writer.write(np.zeros((96, 64, 3), dtype=np.uint8))
        writer.write(_pattern_frame(0))
    assert (tmp_path / "ok.mp4").is_file()
    assert not list(tmp_path.glob(".*.part.mp4"))
    with pytest.raises(ValueError, match="threads"):
        H264Writer(tmp_path / "t.mp4", 96, 64, 25, threads=0)


def test_one_encoder_thread_writes_the_same_bytes_for_the_same_frames(tmp_path: Path):
    """``threads=1`` (what the simulator's renderer uses) makes the file a function of the
    frames; automatic threading was seen to differ between two encodes in a long test run."""
    frames = [_pattern_frame(i) for i in range(20)]
    for name in ("a.mp4", "b.mp4"):
        with H264Writer(tmp_path / name, 96, 64, 25, gop=10, threads=1) as writer:
            for rgb in frames:
                writer.write(rgb)
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


# -- bad input ------------------------------------------------------------------------------


def _expect_error(path: Path, *fragments: str) -> FootcoachError:
    with pytest.raises(FootcoachError) as info:
        VideoReader(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message
    with pytest.raises(FootcoachError):
        probe_video(path)
    return info.value


def test_missing_and_empty_files(tmp_path: Path):
    _expect_error(tmp_path / "nope.mp4", "not found")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    _expect_error(empty, "empty")
    _expect_error(tmp_path, "not a file")


def test_garbage_text_and_audio_only(tmp_path: Path):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, np.uint8).tobytes())
    _expect_error(garbage, "cannot open as video")
    text = tmp_path / "notes.mp4"
    text.write_text("minute 12: good press by #7\n" * 50, encoding="utf-8")
    _expect_error(text, "cannot open as video")
    audio = tmp_path / "whistle.wav"
    with wave.open(str(audio), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(np.zeros(8000, np.int16).tobytes())
    _expect_error(audio, "no video stream")


def test_truncated_files(demo: Path, tmp_path: Path):
    # The demo MP4 keeps its index (moov) at the end: the first 30% cannot be opened.
    data = demo.read_bytes()
    cut = tmp_path / "cut_demo.mp4"
    cut.write_bytes(data[: int(len(data) * 0.3)])
    _expect_error(cut)
    # Our writer puts the index first (faststart): the file opens but frames are missing.
    full = tmp_path / "full.mp4"
    with H264Writer(full, 96, 64, 25) as writer:
        for i in range(100):
            writer.write(_pattern_frame(i % 64))
    data = full.read_bytes()
    cut = tmp_path / "cut_faststart.mp4"
    cut.write_bytes(data[: int(len(data) * 0.5)])
    error = _expect_error(cut, "truncated", "frame")
    assert error.file == str(cut)
    assert os.path.getsize(cut) < os.path.getsize(full)


def test_damaged_frames_name_the_frame(tmp_path: Path):
    """Bytes overwritten in the middle: those frames raise naming index and time, others decode."""
    rng = np.random.default_rng(0)
    path = tmp_path / "damaged.mp4"
    with H264Writer(path, 96, 64, 25, gop=10) as writer:
        for _ in range(100):
            writer.write(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8))
    data = bytearray(path.read_bytes())
    start = data.find(b"mdat") + 8
    a, b = start + int((len(data) - start) * 0.4), start + int((len(data) - start) * 0.6)
    data[a:b] = bytes(b - a)
    path.write_bytes(bytes(data))
    errors = []
    with VideoReader(path) as reader:
        assert reader.frame_count == 100
        for i in range(100):
            try:
                reader.frame(i)
            except FootcoachError as exc:
                errors.append((i, exc))
        assert reader.frame(0).shape == (64, 96, 3)
        assert reader.frame(99).shape == (64, 96, 3)
    assert errors, "zeroed packets should not decode"
    i, exc = errors[0]
    assert 0 < i < 99
    assert exc.file == str(path) and exc.where == f"frame {i} (t={i / 25:.3f} s)"
    assert "damaged" in str(exc)
