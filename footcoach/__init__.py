"""footcoach: multimodal (video + IMU + GPS) football training and tactical analysis."""

__version__ = "0.1.0"
