"""The clip's visual vocabulary and the title card shown before each clip of a playlist.

* Colours (the review app's palette, without Qt) and text drawn on RGB numpy frames: Pillow
  rasterises each string once (any script, anti-aliased; OpenCV's fonts are ASCII only) and
  :func:`draw_text` alpha-blends the cached mask, so a frame costs a few small blends.
* Time and event captions (:func:`clock_text`, :func:`event_title`).
* :func:`render_title_card` draws a card from text lines; :func:`event_card` fills it for an
  event (action in its colour, tactic and quality, the player, the time on the session clock,
  the clip's place in the playlist). Synthetic sessions get a ``SYNTHETIC`` tag and say so in
  the footer.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from footcoach.app.review_data import player_caption
from footcoach.domain.events import Event
from footcoach.domain.labels import Action
from footcoach.domain.palette import ACTION_COLORS, RGB, TEAM_COLORS, hex_rgb
from footcoach.domain.session import Player

# The review app's palette (footcoach.domain.palette) as RGB tuples.
ACTION_RGB: dict[Action, RGB] = {a: hex_rgb(c) for a, c in ACTION_COLORS.items()}
TEAM_RGB: tuple[RGB, ...] = tuple(hex_rgb(c) for c in TEAM_COLORS)
NO_EVENT_RGB: RGB = (187, 187, 187)
WHITE: RGB = (255, 255, 255)
BAR_RGB: RGB = (18, 20, 24)
SYNTHETIC_RGB: RGB = (255, 176, 0)
GRASS_RGB: RGB = (46, 93, 52)
LINE_RGB: RGB = (232, 240, 232)
BALL_RGB: RGB = (255, 255, 255)
DESIGN_HEIGHT = 540.0


def action_rgb(event: Event | None) -> RGB:
    return ACTION_RGB[event.action] if event is not None else NO_EVENT_RGB


def lighter(rgb: RGB, amount: float = 0.35) -> RGB:
    """``rgb`` moved ``amount`` (0..1) of the way to white (readable text on dark boxes)."""
    r, g, b = (round(c + (255 - c) * amount) for c in rgb)
    return r, g, b


# --------------------------------------------------------------------------------- text
@lru_cache(maxsize=16)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans when the system has it, else Pillow's built-in scalable font."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        return ImageFont.load_default(size=size)


@lru_cache(maxsize=4096)
def text_mask(text: str, size: int, bold: bool = False) -> np.ndarray:
    """(h, w) uint8 coverage of ``text`` at ``size`` pixels; ``h`` is the font's line height
    (ascent + descent), so masks of one size line up. Read-only (cached)."""
    font = _font(int(size), bool(bold))
    ascent, descent = font.getmetrics() if isinstance(font, ImageFont.FreeTypeFont) else (size, 0)
    width = max(int(np.ceil(font.getlength(text))), 1) if text else 1
    image = Image.new("L", (width + 2, ascent + descent + 1), 0)
    if text:
        ImageDraw.Draw(image).text((1, 0), text, fill=255, font=font)
    mask = np.asarray(image, dtype=np.uint8).copy()
    mask.setflags(write=False)
    return mask


def text_size(text: str, size: int, bold: bool = False) -> tuple[int, int]:
    """(width, height) in pixels of :func:`text_mask`."""
    h, w = text_mask(text, size, bold).shape
    return w, h


def blend_mask(frame: np.ndarray, mask: np.ndarray, x: int, y: int, rgb: RGB,
               alpha: float = 1.0) -> None:
    """Paint ``rgb`` through ``mask`` (h, w) uint8 coverage with its top-left at (x, y);
    clipped to ``frame`` (H, W, 3) uint8, in place."""
    h, w = mask.shape
    fh, fw = frame.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, fw), min(y + h, fh)
    if x0 >= x1 or y0 >= y1:
        return
    cover = mask[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.uint16)
    if alpha < 1.0:
        cover = (cover * np.uint16(round(alpha * 256))) >> np.uint16(8)
    a = cover[:, :, None]
    region = frame[y0:y1, x0:x1]
    color = np.asarray(rgb, dtype=np.uint16)
    out = (region.astype(np.uint16) * (255 - a) + color * a + 127) // 255
    region[:] = out.astype(np.uint8)


def draw_text(frame: np.ndarray, text: str, x: int, y: int, rgb: RGB, size: int,
              bold: bool = False) -> tuple[int, int]:
    """Draw ``text`` with its top-left at (x, y); returns its (width, height)."""
    mask = text_mask(text, size, bold)
    blend_mask(frame, mask, int(x), int(y), rgb)
    return mask.shape[1], mask.shape[0]


def fill_rect(frame: np.ndarray, x0: float, y0: float, x1: float, y1: float, rgb: RGB,
              alpha: float = 1.0) -> None:
    """Fill the pixel box [x0, x1) x [y0, y1) with ``rgb`` at opacity ``alpha``, in place."""
    fh, fw = frame.shape[:2]
    a, b = max(round(x0), 0), min(round(x1), fw)
    c, d = max(round(y0), 0), min(round(y1), fh)
    if a >= b or c >= d:
        return
    region = frame[c:d, a:b]
    if alpha >= 1.0:
        region[:] = rgb
        return
    solid = np.empty_like(region)
    solid[:] = rgb
    region[:] = cv2.addWeighted(region, 1.0 - float(alpha), solid, float(alpha), 0.0)


def tag(frame: np.ndarray, text: str, x_right: int, y: int, size: int,
        fg: RGB = (0, 0, 0), bg: RGB = SYNTHETIC_RGB) -> int:
    """A filled tag with bold ``text`` whose right edge is at ``x_right``; returns its left x."""
    w, h = text_size(text, size, True)
    pad = max(size // 3, 2)
    left = x_right - w - 2 * pad
    fill_rect(frame, left, y, x_right, y + h + pad, bg)
    draw_text(frame, text, left + pad, y + pad // 2, fg, size, True)
    return left



# --------------------------------------------------------------------------------- captions
CARD_RGB: RGB = (24, 26, 31)
MUTED_RGB: RGB = (170, 174, 182)


def clock_text(t_s: float) -> str:
    """Session seconds -> ``"00:12.3"`` (``"1:02:03.4"`` from one hour; ``-`` when negative)."""
    if not np.isfinite(t_s):
        return "--:--.-"
    sign = "-" if t_s < 0 else ""
    tenths = round(abs(t_s) * 10)
    h, rest = divmod(tenths, 36000)
    m, rest = divmod(rest, 600)
    sec, tenth = divmod(rest, 10)
    if h:
        return f"{sign}{h}:{m:02d}:{sec:02d}.{tenth}"
    return f"{sign}{m:02d}:{sec:02d}.{tenth}"


def action_title(event: Event) -> str:
    """``"Sprinting"``, ``"Take-off"``, ``"Assisting defence"``."""
    label = event.action.label
    return label[:1].upper() + label[1:]


def event_title(event: Event, player: Player | None) -> str:
    """The clip's title bar: ``"a02 #7 - Sprinting - q 94 - 00:12.3"`` (the event's start on
    the session clock; parts that are unknown are left out)."""
    parts = [event.player_id if player is None or player.number is None
             else f"{event.player_id} #{player.number}", action_title(event)]
    if event.quality is not None:
        parts.append(f"q {event.quality:.0f}")
    parts.append(clock_text(event.start_s))
    return " - ".join(parts)


def render_title_card(width: int, height: int, *, heading: str, lines: list[str],
                      top_line: str = "", footer: str = "", accent: RGB = WHITE,
                      synthetic: bool = False) -> np.ndarray:
    """A (height, width, 3) uint8 RGB card: ``top_line`` small above a large ``heading`` in
    ``accent`` colour, then ``lines`` (the first one larger), ``footer`` at the bottom."""
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = CARD_RGB
    s = height / DESIGN_HEIGHT
    fill_rect(frame, 0, 0, width, max(round(6 * s), 2), accent)
    x = round(60 * s)
    sizes = [max(round(v * s), 8) for v in (16, 44, 24, 20)]
    blocks: list[tuple[str, int, bool, RGB]] = []
    if top_line:
        blocks.append((top_line, sizes[0], False, MUTED_RGB))
    blocks.append((heading, sizes[1], True, accent))
    for i, text in enumerate(lines):
        blocks.append((text, sizes[2] if i == 0 else sizes[3], i == 0,
                       WHITE if i == 0 else MUTED_RGB))
    spacing = round(10 * s)
    total = sum(text_size(t, z, b)[1] for t, z, b, _ in blocks) + spacing * (len(blocks) - 1)
    y = max((height - total) // 2, round(20 * s))
    for text, size, bold, rgb in blocks:
        _, h = draw_text(frame, text, x, y, rgb, size, bold)
        y += h + spacing
    if footer:
        _, fh = text_size(footer, sizes[0])
        draw_text(frame, footer, x, height - fh - round(24 * s), MUTED_RGB, sizes[0])
    if synthetic:
        tag(frame, "SYNTHETIC", width - round(24 * s), round(24 * s),
            max(round(18 * s), 9))
    return frame


def event_card(width: int, height: int, event: Event, player: Player | None, *,
               index: int, count: int, session_name: str, synthetic: bool) -> np.ndarray:
    """The card before clip ``index`` (1-based) of ``count``: action, tactic and quality, the
    player, the event's time span on the session clock."""
    detail = [event.tactic.label] if event.tactic is not None else []
    if event.quality is not None:
        detail.append(f"quality {event.quality:.0f}")
    who = f"{player_caption(player)} ({event.player_id})" if player is not None \
        else event.player_id
    lines = [who]
    if detail:
        lines.append(" · ".join(detail))
    lines.append(f"{clock_text(event.start_s)} - {clock_text(event.end_s)}  "
                 f"({event.end_s - event.start_s:.1f} s)  event {event.id}")
    footer = ("synthetic session (footcoach simulator) - " if synthetic else "") + session_name
    return render_title_card(width, height, heading=action_title(event), lines=lines,
                             top_line=f"Clip {index} of {count}", footer=footer,
                             accent=action_rgb(event), synthetic=synthetic)
