"""The analysis benchmark: its floor (decode only) and extrapolation to 90 minutes x 22 players."""

from __future__ import annotations

from pathlib import Path

import pytest

from footcoach.bench.analyze_bench import (
    IMU_BYTES_PER_PLAYER_S,
    OUT_BYTES_PER_PLAYER_STEP,
    TARGET_MINUTES,
    TARGET_PLAYERS,
    extrapolate,
)


def test_floor_scales_with_minutes_and_the_rest_with_player_minutes() -> None:
    x = extrapolate(total_s=10.0, floor_s=4.0, minutes=2.0, players=10, peak_rss_mb=500.0,
                    step_s=0.5)
    tf, tp = TARGET_MINUTES / 2.0, TARGET_PLAYERS / 10
    assert x["floor_s"] == pytest.approx(4.0 * tf)
    assert x["total_s"] == pytest.approx(4.0 * tf + 6.0 * tf * tp)
    assert x["ratio"] == pytest.approx(x["total_s"] / x["floor_s"])
    extra_s = (TARGET_PLAYERS * TARGET_MINUTES - 10 * 2.0) * 60.0
    extra_mb = extra_s * (IMU_BYTES_PER_PLAYER_S + OUT_BYTES_PER_PLAYER_STEP / 0.5) / 2**20
    assert x["peak_rss_mb"] == pytest.approx(500.0 + extra_mb)


def test_without_a_floor_everything_scales_with_player_minutes() -> None:
    x = extrapolate(total_s=2.0, floor_s=0.0, minutes=2.0, players=10, peak_rss_mb=200.0,
                    step_s=0.5)
    assert x["total_s"] == pytest.approx(2.0 * (TARGET_MINUTES / 2.0) * (TARGET_PLAYERS / 10))
    assert x["ratio"] == 0.0


def test_floor_is_the_faster_decoder_threading_mode() -> None:
    from footcoach.bench.analyze_bench import measure_floor

    demo = Path(__file__).resolve().parents[1] / "resources" / "demo-session"
    f = measure_floor(demo, video_fps=8.0)
    assert set(f["by_mode_s"]) == {"AUTO", "SLICE"}
    assert f["floor_s"] == min(f["by_mode_s"].values()) > 0
    assert f["rgb_s"] > 0  # the same decode converting every frame (shown beside the floor)
    fps = f["video"][2]
    assert f["step"] == round(fps / 8.0) and f["frames"] > 0


def test_the_random_model_gets_the_asked_video_stride(tmp_path) -> None:
    from footcoach.bench.analyze_bench import ensure_model
    from footcoach.ml.config import read_model_json

    folder, what = ensure_model(tmp_path, Path("random"), video_stride=4)
    assert folder == tmp_path / "model-random-default-stride4"
    assert read_model_json(folder).config.video_stride == 4 and "video stride 4" in what
    assert (folder / "footcoach_encoder.onnx").is_file()


def test_cli_refuses_a_video_stride_for_a_trained_model(capsys) -> None:
    from footcoach.cli.main import main

    assert main(["benchmark", "analyze", "--video-stride", "4"]) == 2
    assert "--model random" in capsys.readouterr().err
    assert main(["benchmark", "analyze", "--model", "random", "--video-stride", "0"]) == 2
