"""The SVG bar charts: one bar per value, sizes proportional, labels escaped, no style."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from adapters.driving.web.charts import MOST_LABELS, WIDTH, Bar, columns, rows


def _bars(svg: str) -> list[ET.Element]:
    return ET.fromstring(svg).findall("rect[@class='bar']")


def _texts(svg: str, kind: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).findall(f"text[@class='{kind}']")]


def test_columns_draw_one_bar_per_value_as_tall_as_its_share_of_the_largest() -> None:
    svg = columns([Bar("1", 2, "2"), Bar("2", 8, "8"), Bar("3", 0, "0"), Bar("4", 4, "4")])
    heights = [float(r.get("height", "")) for r in _bars(svg)]
    assert heights == [30, 120, 0, 60]
    bottoms = {float(r.get("y", "")) + float(r.get("height", "")) for r in _bars(svg)}
    assert len(bottoms) == 1  # every bar stands on the same baseline
    assert _texts(svg, "label") == ["1", "2", "3", "4"]
    assert _texts(svg, "value") == ["2", "8", "0", "4"]


def test_columns_fit_the_view_box_and_a_given_top_caps_the_height() -> None:
    bars = [Bar(str(n), n) for n in range(1, 27)]
    svg = columns(bars, top=13)
    root = ET.fromstring(svg)
    assert root.get("viewBox", "").startswith(f"0 0 {WIDTH} ")
    rects = _bars(svg)
    assert len(rects) == 26
    assert max(float(r.get("x", "")) + float(r.get("width", "")) for r in rects) <= WIDTH
    assert {float(r.get("height", "")) for r in rects[12:]} == {120}
    labels = _texts(svg, "label")
    assert len(labels) <= MOST_LABELS
    assert labels[0] == "1"  # every other week, from the first
    assert _texts(svg, "value") == []  # too many to print: the table has them
    assert _texts(svg, "scale") == ["13"]  # but the top line says what a full bar is
    assert _texts(columns([Bar("1", 1)] * 3), "scale") == []


def test_an_empty_or_all_zero_chart_draws_no_bar_taller_than_nothing() -> None:
    assert _bars(columns([])) == []
    assert [r.get("height") for r in _bars(columns([Bar("a", 0), Bar("b", 0)]))] == ["0.0", "0.0"]


def test_rows_draw_one_bar_per_kind_as_long_as_its_rate() -> None:
    svg = rows([Bar("家访", 1.0, "100%"), Bar("结对", 0.25, "25%")], top=1.0)
    lengths = [float(r.get("width", "")) for r in _bars(svg)]
    assert lengths[0] > 0
    assert lengths[1] == lengths[0] / 4
    assert _texts(svg, "label") == ["家访", "结对"]
    assert _texts(svg, "value") == ["100%", "25%"]


def test_labels_are_escaped_and_the_chart_is_hidden_from_screen_readers_without_style() -> None:
    nasty = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    for svg in (columns([Bar(nasty, 1, nasty)]), rows([Bar(nasty, 1, nasty)], top=1)):
        assert "<script" not in svg
        assert "<img" not in svg
        root = ET.fromstring(svg)  # still well-formed
        assert root.get("aria-hidden") == "true"
        assert nasty in _texts(svg, "label")
        assert "style=" not in svg
