"""Bar charts drawn on the server as inline SVG: no script, nothing but the page itself.

A chart only repeats the numbers of the table beside it, so it is ``aria-hidden``: screen
readers read the table. Sizes are in the ``viewBox``'s units and the stylesheet makes the
SVG as wide as its box (``.chart``), so it scales from a phone to a desk. Colours come from
the stylesheet's classes, never from ``style`` attributes (the CSP allows no inline style).
Every label and value is escaped by ``Markup.format`` as it goes into the markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil

from markupsafe import Markup

WIDTH = 320
#: Above this many columns only every n-th is labelled, and values stay in the table.
MOST_LABELS = 12


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, and the value as the chart prints it."""

    label: str
    value: float
    shown: str = ""


def columns(
    bars: Sequence[Bar], *, top: float | None = None, height: int = 120, scale: str = ""
) -> Markup:
    """Vertical bars side by side (a value over time), as tall as ``value / top``.

    ``top`` is the value of a full-height bar (default: the largest value, at least 1).
    With more bars than :data:`MOST_LABELS`, a line at the top of the chart is labelled
    ``scale`` (default: ``top``) instead of a value over each bar.
    """
    top = top or max((b.value for b in bars), default=0) or 1
    head, foot = 14, 16
    slot = WIDTH / max(len(bars), 1)
    every = ceil(len(bars) / MOST_LABELS) if bars else 1
    parts: list[Markup] = []
    for i, bar in enumerate(bars):
        tall = round(height * min(bar.value, top) / top, 2)
        x = round(i * slot + slot * 0.15, 2)
        middle = round(i * slot + slot / 2, 2)
        parts.append(Markup('<rect class="bar" x="{}" y="{}" width="{}" height="{}"/>').format(
            x, round(head + height - tall, 2), round(slot * 0.7, 2), tall))
        if len(bars) <= MOST_LABELS and bar.shown:
            parts.append(Markup('<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>')
                         .format(middle, round(head + height - tall - 3, 2), bar.shown))
        if i % every == 0:
            parts.append(Markup('<text class="label" x="{}" y="{}" text-anchor="middle">{}</text>')
                         .format(middle, head + height + foot - 4, bar.label))
    if len(bars) > MOST_LABELS:  # no value over each bar: a line at the top tells the scale
        parts.append(Markup('<line class="grid" x1="0" y1="{}" x2="{}" y2="{}"/>').format(
            head, WIDTH, head))
        parts.append(Markup('<text class="scale" x="0" y="{}">{}</text>').format(
            head - 3, scale or _number(top)))
    base = head + height
    parts.append(Markup('<line class="axis" x1="0" y1="{}" x2="{}" y2="{}"/>').format(base, WIDTH, base))
    return _svg(head + height + foot, parts)


def rows(bars: Sequence[Bar], *, top: float, label_width: int = 76) -> Markup:
    """Horizontal bars one under the other (a value per category), as long as
    ``value / top`` of the room right of the labels."""
    row, room = 24, WIDTH - label_width - 44
    parts: list[Markup] = []
    for i, bar in enumerate(bars):
        y = i * row
        long = round(room * min(bar.value, top) / top, 2) if top else 0
        parts.append(Markup('<text class="label" x="{}" y="{}" text-anchor="end">{}</text>').format(
            label_width - 4, y + 16, bar.label))
        parts.append(Markup('<rect class="bar" x="{}" y="{}" width="{}" height="16"/>').format(
            label_width, y + 4, long))
        parts.append(Markup('<text class="value" x="{}" y="{}">{}</text>').format(
            round(label_width + long + 4, 2), y + 16, bar.shown))
    return _svg(max(len(bars), 1) * row, parts)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _svg(height: float, parts: list[Markup]) -> Markup:
    return Markup(
        '<svg class="chart" viewBox="0 0 {} {}" aria-hidden="true" focusable="false" '
        'font-size="11">{}</svg>'
    ).format(WIDTH, height, Markup("").join(parts))
