"""Annotated clips (``footcoach clip``): planning, overlays, title cards, audio, cancelling.

Clips are cut from a copy of the bundled demo session (real H.264 video, GPS, calibration) with
coach events written into its ``annotations.json`` (so the tests do not depend on the cached
analysis), and from a tiny generated session whose video has an AAC tone.
"""

from __future__ import annotations

import math
import shutil
import signal
from pathlib import Path

import av
import numpy as np
import pytest

from footcoach.app.load import load_session
from footcoach.app.review_data import position_at
from footcoach.app.reviewed import load_reviewed
from footcoach.cli.main import main
from footcoach.domain.events import Event
from footcoach.domain.labels import Action, Tactic
from footcoach.domain.session import Session, VideoRef
from footcoach.errors import FootcoachError
from footcoach.export.clip import ClipRequest, ClipResult, export_clip, plan_clip, write_clip
from footcoach.export.clip_overlay import inset_rect, place_labels
from footcoach.export.title_card import (
    ACTION_RGB,
    CARD_RGB,
    clock_text,
    event_title,
    text_mask,
)
from footcoach.io.annotations import Corrections, save_corrections
from footcoach.io.manifest import write_manifest
from footcoach.io.video import VideoReader
from footcoach.io.video_writer import H264Writer, QueuedWriter

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "resources" / "demo-session"
FPS = 25.0

EV_A = Event("clip-a02", "a02", 10.0, 11.0, Action.SPRINTING, Tactic.RUNNING, 94.4, source="coach")
EV_B = Event("clip-b02", "b02", 24.5, 25.3, Action.PASSING, None, 71.0, source="coach")
PAD = 0.4


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo session with two coach events added."""
    dst = tmp_path_factory.mktemp("clip") / "demo-session"
    shutil.copytree(DEMO, dst)
    save_corrections(dst, Corrections(added={EV_A.id: EV_A, EV_B.id: EV_B}))
    return dst


@pytest.fixture(scope="module")
def one_clip(demo: Path) -> tuple[Path, ClipResult]:
    out = demo.parent / "one.mp4"
    result = export_clip(demo, out, ClipRequest(event_ids=(EV_A.id,), pad_s=PAD))
    return out, result


def _decode(path: Path) -> tuple[list[np.ndarray], av.container.InputContainer]:
    container = av.open(str(path))
    frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return frames, container


def _expected_frames(a: float, b: float) -> int:
    return round((b - a) * FPS)


# ------------------------------------------------------------------------------ one event
def test_one_event_clip_format_and_length(one_clip: tuple[Path, ClipResult]) -> None:
    out, result = one_clip
    with av.open(str(out)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (960, 540)
        assert stream.average_rate is not None and float(stream.average_rate) == FPS
        assert not c.streams.audio
    with VideoReader(out) as r:
        n = _expected_frames(EV_A.start_s - PAD, EV_A.end_s + PAD)
        assert abs(r.frame_count - n) <= 1
        assert r.duration_s == pytest.approx(n / FPS, abs=1.5 / FPS)
        assert np.allclose(np.diff(r.frame_times), 1 / FPS, atol=1e-4)  # constant rate
    assert result.frames == r.frame_count and result.clips == 1 and result.synthetic
    assert not list(out.parent.glob(".*part*"))


def test_one_event_clip_overlays(demo: Path, one_clip: tuple[Path, ClipResult]) -> None:
    out, _ = one_clip
    k = 20  # output frame; the clip starts at the source frame shown at start - pad
    first = math.floor((EV_A.start_s - PAD) * FPS + 1e-9)
    with VideoReader(out) as r_out, VideoReader(DEMO / "video.mp4") as r_src:
        got = r_out.frame(k).astype(np.int16)
        src = r_src.frame(first + k).astype(np.int16)
    # the title bar: dark band over the bright sky, the accent stripe in the action's colour
    assert got[4:24, 300:700].mean() < 70 < src[4:24, 300:700].mean()
    stripe = got[8:20, 1:3].reshape(-1, 3).mean(axis=0)
    assert np.abs(stripe - ACTION_RGB[Action.SPRINTING]).max() < 30
    # the highlighted player's label box sits above their projected feet
    loaded = load_session(demo, imu="lazy")
    t = first / FPS + k / FPS
    cal = loaded.session.calibration
    assert cal is not None
    uv = cal.pitch_to_image(position_at(loaded.gps["a02"], t))[0]
    u, v = round(uv[0]), round(uv[1])
    box = (slice(max(v - 90, 40), v - 15), slice(u - 45, u + 45))
    assert np.abs(got[box] - src[box]).mean() > 25
    # untouched video away from the overlays (re-encoding loss only)
    assert np.abs(got[430:520, 20:300] - src[430:520, 20:300]).mean() < 4
    # the pitch map in the bottom-right corner: grass-green box where the source has grass
    left, top, w, h = inset_rect(got.shape, loaded.session.pitch)
    inner = got[top + 5:top + h - 5, left + 5:left + w - 5]
    assert np.abs(inner - src[top + 5:top + h - 5, left + 5:left + w - 5]).mean() > 10


# ------------------------------------------------------------------------------ playlist
def test_two_event_playlist_with_title_cards(demo: Path) -> None:
    out = demo.parent / "playlist.mp4"
    events = (EV_A.id, EV_B.id)
    result = export_clip(demo, out, ClipRequest(event_ids=events, pad_s=PAD))
    card = round(1.5 * FPS)
    n_a = _expected_frames(EV_A.start_s - PAD, EV_A.end_s + PAD)
    n_b = _expected_frames(EV_B.start_s - PAD, EV_B.end_s + PAD)
    frames, container = _decode(out)
    with container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.duration is not None
        duration = container.duration / 1e6
    assert abs(len(frames) - (2 * card + n_a + n_b)) <= 2
    assert duration == pytest.approx(len(frames) / FPS, abs=0.1)
    assert result.clips == 2
    # title cards: the card background fills the frame's lower part
    for first_card in (5, card + n_a + 5):
        patch = frames[first_card][400:440, 600:900].reshape(-1, 3).mean(axis=0)
        assert np.abs(patch - CARD_RGB).max() < 8
    # the second clip's title bar carries the passing colour
    frame = frames[2 * card + n_a + 5].astype(np.int16)
    assert np.abs(frame[8:20, 1:3].reshape(-1, 3).mean(axis=0)
                  - ACTION_RGB[Action.PASSING]).max() < 30


# ------------------------------------------------------------------------------ planning
def test_plan_range_and_event_frames(demo: Path) -> None:
    reviewed = load_reviewed(demo)
    with VideoReader(demo / "video.mp4") as reader:
        plan = plan_clip(reviewed, reader, ClipRequest(time_range=(10.0, 12.0)))
        assert [s.n_frames for s in plan.segments] == [50]
        assert plan.segments[0].video_t0 == pytest.approx(10.0)
        assert plan.segments[0].title is not None and "demo-session" in plan.segments[0].title
        # an event padded past the video's end is cut at the end
        late = Event("late", "a02", 119.0, 121.0, Action.RUNNING)
        reviewed.events.append(late)
        plan = plan_clip(reviewed, reader, ClipRequest(event_ids=("late",), pad_s=1.0))
        seg = plan.segments[0]
        assert seg.video_t0 + seg.n_frames / FPS == pytest.approx(120.0)
        assert not seg.card and plan.total_frames == 50
        # a playlist gets cards
        plan = plan_clip(reviewed, reader, ClipRequest(event_ids=(EV_A.id, "late")))
        assert all(s.card for s in plan.segments) and plan.card_frames == 38


@pytest.mark.parametrize(("request_", "match"), [
    (ClipRequest(event_ids=("no-such-event",)), "no event with id 'no-such-event'"),
    (ClipRequest(time_range=(100.0, 130.0)), "outside the video"),
    (ClipRequest(time_range=(-5.0, 2.0)), "outside the video"),
    (ClipRequest(time_range=(5.0, 5.0)), "at least one frame"),
    (ClipRequest(time_range=(1.0, 2.0), player_id="zz"), "no player 'zz'"),
    (ClipRequest(event_ids=(EV_A.id,), pad_s=-1.0), "pad must be"),
])
def test_bad_requests_are_clear_errors(demo: Path, request_: ClipRequest, match: str) -> None:
    out = demo.parent / "bad.mp4"
    with pytest.raises(FootcoachError, match=match):
        export_clip(demo, out, request_)
    assert not out.exists()


def test_session_without_video(tmp_path: Path) -> None:
    write_manifest(Session(name="no-video", root=tmp_path), tmp_path)
    with pytest.raises(FootcoachError, match="no video"):
        export_clip(tmp_path, tmp_path / "x.mp4", ClipRequest(time_range=(0.0, 1.0)))


def test_existing_output_needs_force(demo: Path, one_clip: tuple[Path, ClipResult]) -> None:
    out, _ = one_clip
    with pytest.raises(FootcoachError, match="--force"):
        next(write_clip(demo, out, ClipRequest(event_ids=(EV_A.id,))))


# ------------------------------------------------------------------------------ cancel
def test_closing_the_generator_midway_leaves_no_file(demo: Path) -> None:
    out = demo.parent / "closed.mp4"
    steps = write_clip(demo, out, ClipRequest(time_range=(30.0, 34.0)))
    for p in steps:
        if p.done >= 20:
            break
    steps.close()
    assert not out.exists()
    assert not list(demo.parent.glob(".closed.mp4*"))


def test_cancel_flag_stops_with_error_and_no_file(demo: Path) -> None:
    out = demo.parent / "cancelled.mp4"
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 10

    with pytest.raises(FootcoachError, match="cancelled"):
        export_clip(demo, out, ClipRequest(time_range=(30.0, 34.0)), cancel=cancel)
    assert not out.exists()
    assert not list(demo.parent.glob(".cancelled.mp4*"))


# ------------------------------------------------------------------------------ audio
def _tone_session(folder: Path, start_s: float) -> None:
    """2 s of 160x96 video at 25 fps with stereo AAC: silence for 1 s, then a 440 Hz tone."""
    rate = 44100
    t = np.arange(2 * rate) / rate
    tone = np.where(t >= 1.0, 0.5 * np.sin(2 * np.pi * 440 * t), 0.0).astype(np.float32)
    audio = np.stack([tone, tone])
    with H264Writer(folder / "video.mp4", 160, 96, FPS, audio_rate=rate) as w:
        for i in range(50):
            w.write(np.full((96, 160, 3), 5 * i, np.uint8))
            a, b = round(i * rate / FPS), round((i + 1) * rate / FPS)
            w.write_audio(audio[:, a:b])
    write_manifest(Session(name="tone", root=folder, video=VideoRef("video.mp4", start_s)),
                   folder)


def test_audio_is_cut_to_the_same_range(tmp_path: Path) -> None:
    _tone_session(tmp_path, start_s=10.0)
    out = tmp_path / "tone-clip.mp4"
    result = export_clip(tmp_path, out, ClipRequest(time_range=(10.5, 11.5)))
    # 10.5 s is half-way through source frame 12: the clip starts with that frame
    assert result.audio and abs(result.frames - 25) <= 1 and not result.synthetic
    with av.open(str(out)) as c:
        assert c.streams.audio and c.streams.audio[0].codec_context.name == "aac"
        rate = c.streams.audio[0].rate
        chunks = [f.to_ndarray() for f in c.decode(audio=0)]
    samples = np.concatenate(chunks, axis=1)[0]
    assert samples.size / rate == pytest.approx(result.frames / FPS, abs=0.05)
    head, tail = samples[: int(0.4 * rate)], samples[-int(0.4 * rate):]
    assert np.sqrt(np.mean(head**2)) < 0.02  # the source's silent half...
    assert np.sqrt(np.mean(tail**2)) > 0.2  # ...then its tone (0.5 amplitude, RMS 0.35)
    with VideoReader(out) as r:
        assert r.frame_count == result.frames and r.info.has_audio
        # the video is the source's frames 12, 13... (frame i is filled with 5 * i)
        assert abs(float(np.median(r.frame(0)[60:90, 5:40])) - 5 * 12) < 6


def test_writer_audio_and_queue_errors(tmp_path: Path) -> None:
    with H264Writer(tmp_path / "a.mp4", 64, 48, FPS) as w:
        w.write(np.zeros((48, 64, 3), np.uint8))
        with pytest.raises(ValueError, match="no audio stream"):
            w.write_audio(np.zeros((2, 10), np.float32))
    with H264Writer(tmp_path / "b.mp4", 64, 48, FPS, audio_rate=48000, audio_layout="mono") as w:
        with pytest.raises(ValueError, match=r"\(1, n\)"):
            w.write_audio(np.zeros((2, 10), np.float32))
        q = QueuedWriter(w)
        q.write(np.zeros((48, 64, 3), np.uint8))
        q.write(np.zeros((10, 10, 3), np.uint8))  # wrong size: fails in the worker
        with pytest.raises(ValueError, match="frame must be"):
            q.join()
    assert (tmp_path / "b.mp4").exists()


# ------------------------------------------------------------------------------ CLI
def test_cli_clip_and_errors(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = demo.parent / "cli.mp4"
    assert main(["clip", str(demo), "--from", "0:40", "--to", "41.2", "--player", "b03",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "1 clip, 30 frames" in text and "SYNTHETIC" in text
    assert main(["clip", str(demo), "--from", "40", "--to", "41", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["clip", str(demo), "--event", EV_A.id, "--from", "1", "--to", "2",
                 "--out", str(demo.parent / "x.mp4")]) == 2
    assert "either --event or --from/--to" in capsys.readouterr().err
    assert main(["clip", str(demo), "--from", "1", "--out", str(demo.parent / "x.mp4")]) == 2
    assert main(["clip", str(demo), "--event", "nope", "--out", str(demo.parent / "x.mp4")]) == 2
    assert "no event with id 'nope'" in capsys.readouterr().err


# ------------------------------------------------------------------------------ pieces
def test_captions_and_clock() -> None:
    from footcoach.domain.session import Player

    player = Player("a02", "Ana", number=7)
    ev = Event("e", "a02", 12.31, 14.0, Action.SPRINTING, None, 94.4)
    assert event_title(ev, player) == "a02 #7 - Sprinting - q 94 - 00:12.3"
    assert event_title(Event("e", "x9", 1.0, 2.0, Action.TAKE_OFF), None) == \
        "x9 - Take-off - 00:01.0"
    assert clock_text(3725.25) == "1:02:05.2"
    assert clock_text(-1.0) == "-00:01.0"
    assert clock_text(59.96) == "01:00.0"


def test_labels_never_overlap() -> None:
    rng = np.random.default_rng(3)
    anchors = [(float(x), float(y)) for x, y in rng.uniform([300, 250], [400, 300], (12, 2))]
    sizes = [(float(w), 18.0) for w in rng.uniform(50, 120, 12)]
    lifts = place_labels(anchors, sizes, gap=[10.0] * 12, margin=2.0)
    boxes = [(x - w / 2, y - lift - h, x + w / 2, y - lift)
             for (x, y), (w, h), lift in zip(anchors, sizes, lifts, strict=True)]
    assert all(lift >= 10.0 - 1e-9 for lift in lifts)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart


def test_text_masks_render_any_script() -> None:
    plain, accented = text_mask("Jose", 14), text_mask("José Müller", 14)
    assert plain.shape[0] == accented.shape[0] and accented.shape[1] > plain.shape[1]
    assert accented.max() == 255


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_clip_leaves_no_file(tmp_path: Path, sig: signal.Signals) -> None:
    """Ctrl-C or a plain `kill` while a clip is being encoded: exit 130, no output, no
    temporary file left beside it."""
    import subprocess
    import sys
    import time

    out = tmp_path / "long.mp4"
    # A test run started as a background job (`pytest ... &`) inherits SIGINT ignored, and a
    # Python child then never turns Ctrl-C into KeyboardInterrupt: give the child the default.
    proc = subprocess.Popen(
        [sys.executable, "-m", "footcoach.cli.main", "clip", str(DEMO), "--from", "0",
         "--to", "110", "--out", str(out)],
        stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    seen = ""
    while time.monotonic() < deadline and "%" not in seen:  # the progress line has started
        seen += proc.stderr.read(1)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, seen + err
    assert "cancelled" in err
    assert list(tmp_path.iterdir()) == []
