"""The dashboard's SVG charts, without a database: valid XML, named and described for
screen readers, every bar labelled in words, each series told apart by a pattern of
its own, and every text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from reporting.charts import Bar, Series, bar_chart, grouped_bar_chart, stacked_bar_chart

NS = {"svg": "http://www.w3.org/2000/svg"}
ZERO = [Series("s", [0], ["0"])]
HOSTILE = '<script>alert("x")</script> & « reçus »'


def parsed(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def texts(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{{{NS['svg']}}}text")]


def fills(svg: ET.Element) -> list[str]:
    """The pattern each bar is filled with (the legend's swatches included)."""
    rects = svg.iter(f"{{{NS['svg']}}}rect")
    return [r.get("fill", "") for r in rects if r.get("fill", "").startswith("url(#")]


def patterns(svg: ET.Element) -> dict[str, str]:
    """Each pattern's id and the kind of marks it draws."""
    found = svg.iter(f"{{{NS['svg']}}}pattern")
    return {p.get("id", ""): p.get("data-pattern", "") for p in found}


def test_a_bar_chart_is_an_image_named_and_described_with_a_label_per_bar() -> None:
    bars = [Bar("reçus", 12, "12"), Bar("en reconditionnement", 3, "3"), Bar("réservés", 0, "0")]
    svg = parsed(
        bar_chart("chart-a", bars, title="Appareils par étape", desc="Une barre par étape.")
    )
    assert svg.get("role") == "img" and svg.get("aria-label") == "Appareils par étape"
    assert svg.get("aria-describedby") == "chart-a-desc"
    assert svg.find("svg:title", NS).text == "Appareils par étape"  # type: ignore[union-attr]
    assert svg.find("svg:desc", NS).text == "Une barre par étape."  # type: ignore[union-attr]
    assert {"reçus", "en reconditionnement", "réservés", "12", "3", "0"} <= set(texts(svg))
    widths = [
        float(r.get("width", "0"))
        for r in svg.iter(f"{{{NS['svg']}}}rect")
        if r.get("fill", "").startswith("url(#")
    ]
    assert widths[0] > widths[1] > 0 and widths[2] == 0  # lengths follow the values


def test_every_text_is_escaped_and_reads_back_as_given() -> None:
    bars = [Bar(HOSTILE, 1, HOSTILE)]
    markup = bar_chart("c", bars, title=HOSTILE, desc=HOSTILE)
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    svg = parsed(markup)
    assert svg.get("aria-label") == HOSTILE and texts(svg).count(HOSTILE) == 2
    series = [Series(HOSTILE, [1, 2], ["1", HOSTILE])]
    for chart in (
        stacked_bar_chart("s", [HOSTILE, "b"], series, totals=[HOSTILE, "2"], title="t", desc="d"),
        grouped_bar_chart("g", [HOSTILE, "b"], series, title=HOSTILE, desc=HOSTILE),
    ):
        assert "<script>" not in chart
        assert HOSTILE in texts(parsed(chart))


def test_a_stacked_chart_gives_each_series_a_pattern_named_in_its_legend() -> None:
    series = [
        Series("Ordinateur portable", [5, 0, 2], ["5", "0", "2"]),
        Series("Smartphone", [1, 4, 0], ["1", "4", "0"]),
        Series("Tablette", [0, 0, 7], ["0", "0", "7"]),
    ]
    svg = parsed(
        stacked_bar_chart(
            "chart-stock",
            ["reçu", "étiqueté", "disponible"],
            series,
            totals=["6", "4", "9"],
            title="Stock",
            desc="Barres empilées",
        )
    )
    kinds = patterns(svg)
    assert len(kinds) == 3 and len(set(kinds.values())) == 3  # solid, hatched, dotted…
    assert all(ident.startswith("chart-stock-") for ident in kinds)
    used = set(fills(svg))
    assert used == {f"url(#{ident})" for ident in kinds}  # every pattern drawn, legend too
    words = texts(svg)
    assert {"Ordinateur portable", "Smartphone", "Tablette"} <= set(words)  # the legend
    assert {"reçu", "étiqueté", "disponible", "6", "4", "9"} <= set(words)  # labels, totals
    assert "7" in words  # a segment wide enough carries its own value


def test_a_grouped_chart_labels_each_bar_and_each_group_and_skips_zeros() -> None:
    series = [
        Series("reçus", [3, 1234, 0], ["3", "1 234", "0"]),
        Series("remis", [0, 10, 200], ["0", "10", "200"]),
    ]
    svg = parsed(
        grouped_bar_chart("chart-flows", ["S47", "S48", "S49"], series, title="t", desc="d")
    )
    words = texts(svg)
    assert {"S47", "S48", "S49", "reçus", "remis"} <= set(words)
    assert {"3", "1 234", "10", "200"} <= set(words) and "0" not in words
    bars = [r for r in svg.iter(f"{{{NS['svg']}}}rect") if r.get("fill", "").startswith("url(")]
    assert len(bars) == 2 + 4  # two legend swatches, four bars that are not zero
    assert len(set(patterns(svg).values())) == 2


def test_two_charts_on_one_page_share_no_id() -> None:
    series = [Series("a", [1], ["1"]), Series("b", [2], ["2"])]
    first = parsed(stacked_bar_chart("one", ["x"], series, totals=["3"], title="t", desc="d"))
    second = parsed(grouped_bar_chart("two", ["x"], series, title="t", desc="d"))
    ids = [e.get("id") for svg in (first, second) for e in svg.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "chart",
    [
        lambda: bar_chart("e", [], title="vide", desc="rien"),
        lambda: bar_chart("e", [Bar("a", 0, "0")], title="zéro", desc="rien"),
        lambda: stacked_bar_chart("e", ["a"], ZERO, totals=["0"], title="t", desc="d"),
        lambda: grouped_bar_chart("e", ["S1"], ZERO, title="t", desc="d"),
    ],
)  # fmt: skip
def test_a_chart_without_figures_is_still_a_valid_image(chart: object) -> None:
    svg = parsed(chart())  # type: ignore[operator]
    assert svg.get("role") == "img" and svg.get("viewBox")
