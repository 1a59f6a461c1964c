"""How a player's aligned streams are cut into model inputs (shared by the dataset builder,
the analysis and the model config, so training and inference cut windows the same way).

The session clock is divided into *steps* of ``step_s`` seconds. Each step of one player is
encoded once (video frames, IMU samples, context features of that step); a *window* is
``window_steps`` consecutive steps, and windows slide by one step, so overlapping windows reuse
the step encodings. A window's labels are those at its centre time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PLAYER_CONTEXT_FEATURES: tuple[str, ...] = (
    "speed_mps",            # own speed
    "accel_mps2",           # own longitudinal acceleration (d speed / dt)
    "heading_sin",          # direction of motion, sin / cos of the angle to the pitch x axis
    "heading_cos",
    "x_norm",               # position / pitch length, 0..1
    "y_norm",               # position / pitch width, 0..1
    "ball_dist_m",          # distance to the ball (NaN -> masked when no ball track)
    "ball_bearing_sin",     # bearing to the ball relative to the heading
    "ball_bearing_cos",
    "goal_dist_m",          # distance to the centre of the goal being attacked
    "team_centroid_dist_m",  # distance to the own team's centroid
    "nearest_opponent_m",   # distance to the nearest opponent
)
"""The first twelve features (all that models saved before the team-shape features knew)."""

TEAM_CONTEXT_FEATURES: tuple[str, ...] = (
    # "attack axis": pitch x towards the goal the player's team attacks
    "attack_progress",       # own position along the attack axis: 0 own goal line, 1 attacked
    "team_progress",         # own team's centroid along the attack axis, 0..1
    "team_lead_m",           # own centroid minus the opponents' centroid along the attack axis
    "team_advance_mps",      # own centroid velocity along the attack axis (m/s)
    "opponent_advance_mps",  # opponents' centroid velocity along *their* attack axis (m/s)
    "team_speed_mps",        # mean speed of the own team (self included)
    "team_spread_m",         # mean distance of the own players to their centroid
    "opponent_spread_m",     # the same for the opponents
    "nearest_mate_m",        # distance to the nearest team-mate
    "opponents_within_5m",   # number of opponents closer than 5 m
    "goal_side_m",           # how far the player is nearer his own goal than his nearest
                             # opponent, along the attack axis (m; > 0 goal-side)
)
"""Team-shape features from every player's positions (no ball needed): who pushes forward,
how compact each team is, how close the pressure is (:mod:`footcoach.sync.team_context`)."""

BALL_CONTEXT_FEATURES: tuple[str, ...] = (
    # NaN (masked) without a ball track, like the player-level ball features above
    "ball_control_m",        # nearest opponent's distance to the ball minus the nearest own
                             # player's (m; > 0: the own team is closer to the ball)
    "ball_dist_vs_team_m",   # own distance to the ball minus the own team's nearest (0: the
                             # player is the team's nearest to the ball)
    "ball_progress",         # ball along the own attack axis, 0 own goal line .. 1 attacked
    "ball_advance_mps",      # ball velocity along the own attack axis (m/s)
    "ball_speed_mps",        # ball ground speed (m/s: passes and shots are fast)
    "ball_mates_within_5m",  # own players (self included) within 5 m of the ball
    "ball_opponents_within_5m",  # opponents within 5 m of the ball (pressure on the ball)
    "ball_team_behind_share",  # share of the own players goal-side of the ball (0..1)
)
"""Ball-relative team features (:mod:`footcoach.sync.ball_context`): which team is nearer the
ball and where it travels. Only sessions with a ball track (tracking data, or the simulator's
ground truth when building a dataset) have them."""

CAPACITY_CONTEXT_FEATURES: tuple[str, ...] = (
    # the player's own capacity, measured on his whole position track of the session
    "session_top_speed_mps",    # 99.5th percentile of the smoothed speed over the session
    "session_top_decel_mps2",   # 99.5th percentile of the deceleration (> 0) over the session
    "speed_share_of_top",       # own speed / session_top_speed_mps (1 = at his top speed)
)
"""How hard the player works relative to himself: execution scores are relative to a player's
capacity (a sprint is good for *him*), which a single window cannot know for an unseen player.
Computed once per player from the whole session (:class:`footcoach.sync.windows.ContextBuilder`);
NaN when the session has too little of his track (< 30 s)."""

TEAM_ONLY_CONTEXT_FEATURES: tuple[str, ...] = PLAYER_CONTEXT_FEATURES + TEAM_CONTEXT_FEATURES
"""The 23 features of models saved before the ball-relative team features."""

DEFAULT_CONTEXT_FEATURES: tuple[str, ...] = TEAM_ONLY_CONTEXT_FEATURES + BALL_CONTEXT_FEATURES
"""The 31 features of new datasets and models unless asked otherwise (the bundled model's):
the capacity features are opt-in (``footcoach dataset build --context all``), as they did not
improve a test (docs/ablation.md, "Quality score")."""

RUN_CONTEXT_FEATURES: tuple[str, ...] = (
    "mates_top_advance_mps",      # the fastest forward run of a team-mate (self excluded): the
                                  # largest velocity along the own attack axis (m/s)
    "opponents_top_advance_mps",  # the same for the opponents, along their attack axis (m/s)
    "team_retreat_share",         # share of the own players (self included) running back
                                  # towards their own goal faster than 2 m/s (0..1)
    "opponents_retreat_share",    # the same share for the opponents (0..1)
)
"""Runs (:mod:`footcoach.sync.team_context`, no ball needed): one team-mate sprinting at goal
(a run in behind) or a team running back (retreating) hardly moves a team's mean velocity, so
these features take the fastest run and the share of players running back."""

POSSESSION_CONTEXT_FEATURES: tuple[str, ...] = (
    "ball_own_possession",     # 1 while the own team has the ball (its player last controlled
                               # it), 0 while the opponents have it
    "ball_possession_age_s",   # seconds since the ball last changed teams (capped, s)
)
"""Possession from the ball track (:mod:`footcoach.sync.ball_context`): which team last
controlled the ball, and for how long. Unlike the other features these remember what happened
before the window (a turnover a few seconds earlier still shapes the defence)."""

CONTEXT_FEATURES: tuple[str, ...] = (DEFAULT_CONTEXT_FEATURES + CAPACITY_CONTEXT_FEATURES
                                     + RUN_CONTEXT_FEATURES + POSSESSION_CONTEXT_FEATURES)
"""Every context feature footcoach computes, in this order (any subset may be asked for)."""

BALL_FEATURE_PREFIX = "ball_"
"""Context features whose name starts with this need a ball track (hidden together in
training by ``ball_dropout`` and in evaluation by ``--without-ball``)."""


@dataclass(frozen=True)
class WindowSpec:
    """Sampling and window settings. Stored in the HDF5 attributes and the model config.

    Per step: ``frames_per_step`` video crops of ``crop_px`` x ``crop_px`` RGB,
    ``imu_per_step`` IMU samples of 9 channels (acc x/y/z in g, gyro x/y/z in rad/s, mag x/y/z
    normalised to unit field), and the mean of the context features over the step.
    """

    step_s: float = 0.5
    window_steps: int = 8
    video_fps: float = 8.0
    crop_px: int = 64
    imu_rate_hz: float = 100.0
    context_features: tuple[str, ...] = field(default=DEFAULT_CONTEXT_FEATURES)

    @property
    def window_s(self) -> float:
        return self.step_s * self.window_steps

    @property
    def frames_per_step(self) -> int:
        return round(self.video_fps * self.step_s)

    @property
    def imu_per_step(self) -> int:
        return round(self.imu_rate_hz * self.step_s)

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["context_features"] = list(self.context_features)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> WindowSpec:
        d = dict(d)
        if "context_features" in d:
            d["context_features"] = tuple(d["context_features"])  # type: ignore[arg-type]
        return cls(**d)  # type: ignore[arg-type]
