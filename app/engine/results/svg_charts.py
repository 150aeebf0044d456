"""Line and tornado charts as self-contained SVG, for pages that must open with no network.

The fonts listed cover Japanese on Windows, macOS and Linux; the colours are the Okabe-Ito palette the
app's live plots use, and every series also differs by line style.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from app.engine.results.report_text import number

# Okabe-Ito colours, as in the app's plots (app/gui/plots.py); every series also differs by line style.
BLUE, ORANGE, GREEN, VERMILION, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#777777"
CHART_FONT = "IPAexGothic, 'Yu Gothic', Meiryo, 'Hiragino Sans', 'Noto Sans CJK JP', sans-serif"


@dataclass(frozen=True)
class Series:
    """One line of a chart: its name in the legend, the points, and how it is drawn."""

    name: str
    xs: Sequence[float]
    ys: Sequence[float]
    colour: str
    dashed: bool = False
    markers: bool = False


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``low..high`` (1, 2 or 5 times a power of ten apart)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _svg_text(x: float, y: float, content: str, size: int = 12, anchor: str = "start", **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="{CHART_FONT}" fill="#222"{extra}>{escape(content)}</text>'
    )


def _svg(width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><rect width="{width}" height="{height}" fill="white"/>'
        + "".join(body)
        + "</svg>"
    )


def _legend(entries: list[tuple[str, str, bool]], x: float, y: float) -> list[str]:
    """Line samples and names in one row under the plot (never over the data)."""
    out = []
    for name, colour, dashed in entries:
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        out.append(
            f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 26:.1f}" y2="{y - 4:.1f}" stroke="{colour}" '
            f'stroke-width="3"{dash}/>'
        )
        out.append(_svg_text(x + 32, y, name, 12))
        x += 44 + 7.5 * len(name) + (6.5 * sum(ord(c) > 0x2E80 for c in name))  # CJK glyphs are wider
    return out


def line_chart_svg(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] | None = None,
    y_format: Callable[[float], str] = lambda v: number(v, 0),
    markers_x: Sequence[tuple[float, str]] = (),
    width: int = 640,
    height: int = 270,
) -> str:
    """A line chart as an SVG string: axes with round ticks, a title, and a legend under the plot."""
    left, right, top, bottom = 84, 28, 30, 70
    xs = [x for s in series for x in s.xs] or [0.0, 1.0]
    ys = [y for s in series for y in s.ys] or [0.0, 1.0]
    # x spans the data exactly (a run ends at an arbitrary step); y is widened to round ticks.
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    x_ticks = [t for t in nice_ticks(x0, x1, 6) if x0 <= t <= x1]
    y_lo, y_hi = y_range if y_range is not None else (min(0.0, min(ys)), max(ys))
    y_ticks = nice_ticks(y_lo, y_hi, 5)
    y0, y1 = y_ticks[0], y_ticks[-1]
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return top + ph - (y - y0) / (y1 - y0) * ph

    body = [_svg_text(left, 18, title, 14, font_weight="bold")]
    for t in y_ticks:
        body.append(
            f'<line x1="{left}" y1="{py(t):.1f}" x2="{left + pw}" y2="{py(t):.1f}" stroke="#E3E3E3"/>'
        )
        body.append(_svg_text(left - 6, py(t) + 4, y_format(t), 11, "end"))
    for t in x_ticks:
        body.append(
            _svg_text(px(t), top + ph + 16, number(t, 0 if float(t).is_integer() else 1), 11, "middle")
        )
    body.append(
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888" stroke-width="1"/>'
    )
    body.append(_svg_text(left + pw / 2, top + ph + 34, x_label, 12, "middle"))
    body.append(
        _svg_text(16, top + ph / 2, y_label, 12, "middle", transform=f"rotate(-90 16 {top + ph / 2:.1f})")
    )
    for x, label in markers_x:
        if x0 <= x <= x1:
            body.append(
                f'<line x1="{px(x):.1f}" y1="{top}" x2="{px(x):.1f}" y2="{top + ph}" stroke="{GREY}" '
                f'stroke-width="1.5" stroke-dasharray="2 3"/>'
            )
            body.append(_svg_text(px(x) + 4, top + 14, label, 11))
    for s in series:
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(s.xs, s.ys, strict=True))
        dash = ' stroke-dasharray="7 5"' if s.dashed else ""
        body.append(f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="2.5"{dash}/>')
        if s.markers:
            body.extend(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{s.colour}"/>'
                for x, y in zip(s.xs, s.ys, strict=True)
            )
    body.extend(_legend([(s.name, s.colour, s.dashed) for s in series], left, height - 10))
    return _svg(width, height, body)


def tornado_svg(
    rows: Sequence[tuple[str, float, float]],
    *,
    title: str,
    x_label: str,
    low_name: str,
    high_name: str,
    width: int = 640,
) -> str:
    """Horizontal bars, widest first: each row's change at the low and at the high value of its input."""
    left, right, top, row_h = 300, 36, 30, 24
    height = top + row_h * max(len(rows), 1) + 70
    extent = max([abs(v) for _, lo, hi in rows for v in (lo, hi)] or [1.0]) or 1.0
    ticks = nice_ticks(-extent, extent, 6)
    x0, x1 = ticks[0], ticks[-1]
    pw = width - left - right

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    body = [_svg_text(8, 18, title, 14, font_weight="bold")]
    bottom = top + row_h * len(rows)
    for t in ticks:
        body.append(f'<line x1="{px(t):.1f}" y1="{top}" x2="{px(t):.1f}" y2="{bottom}" stroke="#E3E3E3"/>')
        body.append(_svg_text(px(t), bottom + 16, number(t, 0), 10, "middle"))
    for i, (caption, low, high) in enumerate(rows):
        y = top + i * row_h
        body.append(_svg_text(left - 8, y + row_h / 2 + 4, caption, 10, "end"))
        for value, colour in ((low, ORANGE), (high, BLUE)):
            a, b = sorted((px(0.0), px(value)))
            body.append(
                f'<rect x="{a:.1f}" y="{y + 4}" width="{max(b - a, 0.5):.1f}" height="{row_h - 8}" '
                f'fill="{colour}"/>'
            )
    body.append(f'<line x1="{px(0):.1f}" y1="{top}" x2="{px(0):.1f}" y2="{bottom}" stroke="#222"/>')
    body.append(_svg_text(left + pw / 2, bottom + 34, x_label, 12, "middle"))
    body.extend(_legend([(low_name, ORANGE, False), (high_name, BLUE, False)], left, height - 10))
    return _svg(width, height, body)


def svg_image(svg: str, alt: str) -> str:
    """An ``<img>`` holding ``svg`` as a base64 data URI (browsers and Qt's rich text both show it)."""
    width, height = re.search(r'width="(\d+)" height="(\d+)"', svg).groups()
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img src="data:image/svg+xml;base64,{data}" width="{width}" height="{height}" alt="{escape(alt)}">'
    )
