"""Hudl Sportscode XML ("XML Edit List") export of the reviewed events and team phases.

Layout, as Sportscode writes it and kloppy's ``sportscode`` reader reads it::

    <?xml version='1.0' encoding='utf-8'?>
    <file>
      <ALL_INSTANCES>
        <instance>
          <ID>1</ID>                      <!-- 1, 2, ... in order of start -->
          <start>1.75</start>             <!-- seconds on the video clock -->
          <end>4.25</end>
          <code>a02 #2 Yann A2</code>     <!-- one code (timeline row) per player -->
          <label><group>Action</group><text>sprinting</text></label>
          <label><group>Tactic</group><text>running</text></label>
          <label><group>Quality</group><text>94.5</text></label>
          <label><group>Confidence</group><text>0.99</text></label>
          <label><group>Source</group><text>model</text></label>
          <label><group>Team</group><text>A</text></label>
          <label><group>Event ID</group><text>a02-0</text></label>
          <label><group>Data</group><text>synthetic</text></label>  <!-- synthetic sessions -->
        </instance>
        ...
      </ALL_INSTANCES>
      <ROWS>
        <row><code>a02 #2 Yann A2</code><R>7967</R><G>30583</G><B>46260</B></row>
        ...
      </ROWS>
    </file>

Team tactic phases (``--what phases|all``) are instances coded ``Team A phases`` with labels
Tactic, Confidence and Players. ``ROWS`` gives each code its colour as 16-bit R, G, B
(0-65535): every team has a hue (the first blue, the second red, ...), its players' rows that
colour and its phase row a darker shade.

Clock: a session event at session time ``t`` is at ``t - video.start_s`` in the video
(``VideoRef.start_s`` is where the video's first frame lies on the session clock), so the
instances line up with the session's own video file. Instances before the first frame are
clipped to 0 and those that end before it are left out (a warning counts them). A session
without video keeps the session clock. Text is escaped by ``xml.etree`` and characters XML 1.0
cannot hold (control characters) are dropped.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from footcoach.analysis.events import TeamPhase
from footcoach.domain.events import Event
from footcoach.domain.session import Player, Session
from footcoach.errors import FootcoachError
from footcoach.export.output import check_output, write_bytes
from footcoach.export.tables import ExportData, ExportSummary, load_export_data, parts

# Team hues (8-bit RGB); players get the hue, phase rows a darker shade.
TEAM_COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189),
                (140, 86, 75), (227, 119, 194))
OTHER_COLOUR = (127, 127, 127)
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class Instance:
    """One Sportscode instance: ``start``/``end`` seconds on the video clock, its ``code`` and
    ``labels`` as (group, text) pairs; ``kind`` ``"events"`` or ``"phases"``."""

    start: float
    end: float
    code: str
    labels: list[tuple[str, str]]
    kind: str = "events"


def xml_text(text: object) -> str:
    """``text`` as a string XML 1.0 can hold (control characters dropped)."""
    return _INVALID_XML.sub("", str(text))


def player_code(player_id: str, player: Player | None) -> str:
    """The code (timeline row) of a player: ``"a02 #7 Name"`` (number, name when known)."""
    bits = [player_id]
    if player is not None and player.number is not None:
        bits.append(f"#{player.number}")
    if player is not None and player.name.strip():
        bits.append(player.name.strip())
    return " ".join(bits)


def phase_code(team: str) -> str:
    return f"Team {team} phases" if team else "Team phases"


def video_offset_s(session: Session) -> float:
    """Session seconds at the video's first frame (0 without video): video t = session t -
    this."""
    return session.video.start_s if session.video is not None else 0.0


def _number(x: float, decimals: int) -> str:
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def event_instance(event: Event, player: Player | None, offset_s: float,
                   synthetic: bool) -> Instance:
    labels = [("Action", event.action.label)]
    if event.tactic is not None:
        labels.append(("Tactic", event.tactic.label))
    if event.quality is not None:
        labels.append(("Quality", _number(event.quality, 1)))
    labels += [("Confidence", _number(event.confidence, 3)), ("Source", event.source)]
    if player is not None and player.team:
        labels.append(("Team", player.team))
    labels.append(("Event ID", event.id))
    if synthetic:
        labels.append(("Data", "synthetic"))
    return Instance(event.start_s - offset_s, event.end_s - offset_s,
                    player_code(event.player_id, player), labels)


def phase_instance(phase: TeamPhase, offset_s: float, synthetic: bool) -> Instance:
    labels = [("Tactic", phase.tactic.label), ("Confidence", _number(phase.confidence, 3)),
              ("Players", str(phase.n_players)), ("Team", phase.team)]
    if synthetic:
        labels.append(("Data", "synthetic"))
    return Instance(phase.start_s - offset_s, phase.end_s - offset_s, phase_code(phase.team),
                    labels, "phases")


def instances(data: ExportData) -> tuple[list[Instance], list[str]]:
    """The instances of ``data`` (players' events and/or team phases) on the video clock,
    sorted by start then code; and warnings (instances clipped or left out)."""
    session = data.reviewed.session
    offset = video_offset_s(session)
    players = data.players()
    out: list[Instance] = []
    if "events" in data.what:
        out += [event_instance(e, players.get(e.player_id), offset, data.synthetic)
                for e in data.reviewed.events]
    result = data.reviewed.result
    if "phases" in data.what and result is not None:
        out += [phase_instance(p, offset, data.synthetic) for p in result.phases]
    kept = [i for i in out if i.end > 0]
    clipped = sum(1 for i in kept if i.start < 0)
    for i in kept:
        i.start = max(i.start, 0.0)
    warnings = []
    if len(kept) < len(out):
        warnings.append(f"{len(out) - len(kept)} instances end before the video starts "
                        "and were left out")
    if clipped:
        warnings.append(f"{clipped} instances start before the video and were clipped to 0 s")
    kept.sort(key=lambda i: (i.start, i.code))
    return kept, warnings


def row_colours(data: ExportData) -> dict[str, tuple[int, int, int]]:
    """8-bit RGB colour of each code, players in manifest order then team phase rows."""
    teams: list[str] = []
    for p in data.reviewed.session.players:
        if p.team and p.team not in teams:
            teams.append(p.team)
    hue = {t: TEAM_COLOURS[i % len(TEAM_COLOURS)] for i, t in enumerate(teams)}
    colours: dict[str, tuple[int, int, int]] = {}
    for p in data.reviewed.session.players:
        colours[player_code(p.id, p)] = hue.get(p.team, OTHER_COLOUR)
    for t in teams:
        r, g, b = hue[t]
        colours[phase_code(t)] = (r * 3 // 5, g * 3 // 5, b * 3 // 5)
    return colours


def build_xml(items: Sequence[Instance], colours: dict[str, tuple[int, int, int]]) -> bytes:
    """The Sportscode XML document (UTF-8 bytes) of ``items``; ``ROWS`` lists the codes used,
    coloured from ``colours`` (grey when absent)."""
    root = ET.Element("file")
    all_instances = ET.SubElement(root, "ALL_INSTANCES")
    for n, item in enumerate(items, start=1):
        inst = ET.SubElement(all_instances, "instance")
        ET.SubElement(inst, "ID").text = str(n)
        ET.SubElement(inst, "start").text = _number(item.start, 3)
        ET.SubElement(inst, "end").text = _number(item.end, 3)
        ET.SubElement(inst, "code").text = xml_text(item.code)
        for group, text in item.labels:
            label = ET.SubElement(inst, "label")
            ET.SubElement(label, "group").text = xml_text(group)
            ET.SubElement(label, "text").text = xml_text(text)
    rows = ET.SubElement(root, "ROWS")
    used = list(dict.fromkeys(i.code for i in items))
    ordered = [c for c in colours if c in used] + [c for c in used if c not in colours]
    for code in ordered:
        row = ET.SubElement(rows, "row")
        ET.SubElement(row, "code").text = xml_text(code)
        for channel, value in zip("RGB", colours.get(code, OTHER_COLOUR), strict=True):
            ET.SubElement(row, channel).text = str(value * 257)  # 8 -> 16 bit
    ET.indent(root, space="  ")
    buf = io.BytesIO()
    ET.ElementTree(root).write(buf, encoding="utf-8", xml_declaration=True)
    return buf.getvalue() + b"\n"


def write_sportscode(folder: str | Path, out: str | Path, *, what: str = "events",
                     force: bool = False) -> ExportSummary:
    """Write ``folder``'s events (and/or team phases) as Sportscode XML to ``out``."""
    if "metrics" in parts(what) and what != "all":
        raise FootcoachError("Sportscode XML holds timed instances, not the metrics table: "
                             "use --format csv or json for metrics")
    check_output(out, force=force)
    data = load_export_data(folder, what, metrics=False)
    items, warnings = instances(data)
    if not items:
        raise FootcoachError("nothing to export: no event lies within the video",
                             data.reviewed.folder)
    path = write_bytes(out, build_xml(items, row_colours(data)), force=force)
    counts = {k: sum(1 for i in items if i.kind == k) for k in data.what}
    return ExportSummary([path], counts, data.synthetic, [*data.warnings, *warnings])
