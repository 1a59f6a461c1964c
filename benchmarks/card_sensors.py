"""The model card's text on how the bundled networks were fine-tuned for vests worn at another
angle, and on sessions without vests or positions, with noisy or with turned vests (written by
``benchmarks/train_bundled.py`` through :mod:`bundled_card`)."""

from __future__ import annotations

import textwrap
from typing import Any


def _members(info: dict[str, Any]) -> list[dict[str, Any]]:
    """Each trained network's provenance: an ensemble's ``members``, or the one run."""
    return list(info.get("members") or [info])


def _base_run(member: dict[str, Any]) -> dict[str, Any] | None:
    """The run a fine-tuned network started from (its ``init_from``), or None."""
    return (member.get("init_from") or [None])[0]


def finetune_text(info: dict[str, Any]) -> str:
    """The card's sentence on a fine-tuning of the networks (empty when they were not)."""
    if _base_run(_members(info)[0]) is None:
        return ""
    s = info["settings"]
    corruption, rotation = s.get("modality_corruption"), s.get("imu_rotation")
    yaw, upright = s.get("imu_yaw"), s.get("vest_upright")
    how = [f"with wrong sensors (`--modality-corruption {corruption:g}`: in that share of the "
           "windows one of the vest and the positions is replaced by noise)"] if corruption else []
    how += [f"with its vests turned (`--imu-rotation {rotation:g}`: each training window's "
            f"vest turned by up to {rotation:g} degrees about a random axis, as a vest worn or "
            "slipped at another angle)"] if rotation else []
    how += ["to read de-tilted vests (`--vest-upright`: each player's vest turned so that its "
            "mean acceleration over the session points along the training vests' mean "
            "direction, which the analysis does too" + (
                f"; `--imu-yaw {yaw:g}`: each training window's vest then turned by up to "
                f"{yaw:g} degrees either way about that direction, the turn a de-tilt leaves"
                if yaw else "") + ")"] if upright else []
    where = ("\"Vests turned upright before the network reads them\"" if upright
             else "\"A vest at another angle\"" if rotation
             else "\"Fine-tuning a bundled network with wrong sensors\"")
    ways = " " + " and ".join(how) if how else ""
    return (f"\n- Then each network was fine-tuned from its trained weights{ways}: Adam lr "
            f"{s['lr']}, at most {s['epochs']} epochs of "
            f"{s.get('max_train_windows') or 'all'} training windows, the same seed (`python "
            f"benchmarks/train_bundled.py`, unless `--no-robust`; docs/ablation.md, {where}).")


def missing_modality_text(nb: dict[str, Any],
                          missing: tuple[dict[str, Any], ...] | None,
                          corruption: float = 0.0, rotation: float = 0.0, *,
                          upright: bool = False, yaw: float = 0.0) -> str:
    """The card's limit on sessions recorded without vests or without positions, and on vests
    giving wrong data: ``nb`` the evaluation without a ball track, ``missing`` those with the
    vests and with the positions hidden as well (``footcoach evaluate --without-ball --hide
    imu|context``), with the vests giving noise (``--corrupt imu``) and, when measured, with
    each vest turned ``TURNED_VESTS_DEG`` (``--vest-rotation``), or None (no bullet);
    ``corruption`` and ``rotation`` the networks' ``modality_corruption`` and ``imu_rotation``,
    ``upright`` whether they read de-tilted vests (``vest_upright``), ``yaw`` their ``imu_yaw``."""
    if missing is None:
        return ""
    no_vests, no_positions, noisy_vests = missing[:3]

    def app_tactic(e: dict[str, Any]) -> str:
        tw = e.get("tactic_with_team_model")
        return f", tactic as the app shows it {tw['accuracy']:.1%}" if tw else ""

    def figures(e: dict[str, Any]) -> str:
        return (f"action {e['action']['accuracy']:.1%}, the network's tactic "
                f"{e['tactic']['accuracy']:.1%}{app_tactic(e)}, quality MAE "
                f"{e['quality']['mae']:.2f}")

    text = ("- Sessions recorded without vests or without positions: the network reads what "
            "there is (it was trained with modality dropout, so it has seen windows without "
            "either). On the test windows without a ball track: with both, "
            f"{figures(nb)}; GPS only (the vests masked out, `footcoach evaluate --without-ball "
            f"--hide imu`; `metrics/without-vests/`), {figures(no_vests)}; vests only (the "
            "positions masked out, `--hide context`; `metrics/without-positions/`), "
            f"{figures(no_positions)}. Without positions there is no team tactic model (it "
            "reads the positions), so the tactic is the network's alone: the team behaviours "
            "of game-like drills need the positions. The app's analysis of these sessions "
            "with the vests or the positions left out of the session: README, \"Sessions "
            "without vests or without positions\". " + noisy_text(noisy_vests, corruption,
                                                                   figures(noisy_vests)))
    if len(missing) > 3:
        text += " " + turned_text(rotation, figures(missing[3]), upright=upright, yaw=yaw)
    return textwrap.fill(text, width=96, subsequent_indent="  ", break_on_hyphens=False) + "\n"


#: The angle (degrees) of the card's "turned vests" evaluation (``--vest-rotation``).
TURNED_VESTS_DEG = 45.0


def turned_text(rotation: float, figures: str, *, upright: bool = False, yaw: float = 0.0
                ) -> str:
    """The card's sentence on vests worn at another angle, for networks that read de-tilted
    vests (``upright``, fine-tuned with turns of up to ``yaw`` degrees about the vertical), or
    fine-tuned with turned vests (``rotation`` > 0, ``--imu-rotation``), or neither."""
    axis = ("an axis drawn per player, for the whole session, then de-tilted" if upright
            else "a random axis")
    where = (f"with each vest turned {TURNED_VESTS_DEG:g} degrees about {axis} "
             f"(`--vest-rotation {TURNED_VESTS_DEG:g}`; `metrics/turned-vests/`), {figures}")
    if upright:
        return ("The analysis turns each player's vest upright before the networks read it "
                "(`--vest-upright`: its mean acceleration over the session onto the training "
                "vests' mean direction), and they were fine-tuned with vests turned by up to "
                f"{yaw:g} degrees about that direction (`--imu-yaw {yaw:g}`), the turn a de-tilt "
                f"leaves: {where} "
                "(docs/ablation.md, \"Vests turned upright before the network reads them\"). A "
                "vest that slips during the session is de-tilted by its whole-session mean.")
    if rotation > 0:
        return (f"Fine-tuned with vests turned by up to {rotation:g} degrees (`--imu-rotation "
                f"{rotation:g}`), the networks read a vest worn at another angle: {where} "
                "(docs/ablation.md, \"A vest at another angle\").")
    return (f"A vest worn at another angle is read as if it sat right: {where}; the simulated "
            "vests sit within a few degrees of each other (docs/ablation.md, \"A vest at "
            "another angle\").")


def noisy_text(noisy_vests: dict[str, Any], corruption: float, figures: str) -> str:
    """The card's sentence on vests giving wrong data (noise while marked present), for
    networks trained with wrong sensors (``corruption`` > 0) or not."""
    where = f"with the vests giving noise (`--corrupt imu`; `metrics/noisy-vests/`), {figures}"
    if corruption > 0:
        return (f"Trained with wrong sensors (`--modality-corruption {corruption:g}`), the "
                f"networks turn a sensor giving wrong data down: {where}, about as without "
                "the vests (docs/ablation.md, \"A sensor giving wrong data\").")
    return (f"A sensor that gives wrong data while present is not recognised: {where}, well "
            "below the figures without them. Networks trained with `footcoach train "
            "--modality-corruption 0.3` learnt to turn such a sensor down (docs/ablation.md, "
            "\"A sensor giving wrong data\"); this one was not, as that training cost accuracy "
            "on clean sessions and on turned vests (docs/ablation.md, \"A vest at another "
            "angle\").")
