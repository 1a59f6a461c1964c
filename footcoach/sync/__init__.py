"""Preprocessing and alignment of the streams: cleaning (repeated times, GPS spikes, IMU
saturation, gaps, smoothing), data-quality reports, resampling onto the session clock, and the
IMU-GPS clock-offset estimate. numpy only; nothing here imports torch or Qt."""

from footcoach.sync.filters import (
    Gap,
    GapReport,
    dedupe_times,
    fill_gaps,
    remove_gps_spikes,
    remove_imu_saturation,
    to_nominal_grid,
)
from footcoach.sync.offsets import OffsetEstimate, estimate_imu_gps_offset
from footcoach.sync.quality import QualityRow, QualityTable, clean_stream, quality_table
from footcoach.sync.resample import (
    resample,
    resample_to_length,
    session_grid,
    to_session_clock,
)
from footcoach.sync.smoothing import (
    centred_smooth,
    moving_average,
)

__all__ = [
    "Gap",
    "GapReport",
    "OffsetEstimate",
    "QualityRow",
    "QualityTable",
    "centred_smooth",
    "clean_stream",
    "dedupe_times",
    "estimate_imu_gps_offset",
    "fill_gaps",
    "moving_average",
    "quality_table",
    "remove_gps_spikes",
    "remove_imu_saturation",
    "resample",
    "resample_to_length",
    "session_grid",
    "to_nominal_grid",
    "to_session_clock",
]
