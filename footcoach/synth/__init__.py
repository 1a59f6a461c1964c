"""The training-session simulator: drills -> player kinematics -> video, IMU, GPS, labels.

Everything it makes is synthetic and is called so wherever it is shown.
"""
