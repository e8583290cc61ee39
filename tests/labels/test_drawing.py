"""Every configured label format, drawn and read back: barcodes decode, text stays inside.

Parametrized by the built-in layouts, so a format added to `labels/layouts.toml` is
tested without new code.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from db import codes
from labels import layouts, pdf, plan, png, zpl
from labels.content import LabelContent
from labels.layouts import SheetLayout, ThermalLayout
from tests.labels.decoding import (
    CONTENTS,
    cell,
    decode,
    decode_png,
    needs_poppler,
    pdf_pages,
    sample_code,
)
from tests.labels.decoding import content as make_content

BUILTIN = layouts.builtin()
THERMAL = sorted(n for n, lay in BUILTIN.items() if isinstance(lay, ThermalLayout))
SHEETS = sorted(n for n, lay in BUILTIN.items() if isinstance(lay, SheetLayout))


def assert_inside(label: plan.Plan, padding: float) -> None:
    """Every line and the bars, with their quiet zones, inside the padded label."""
    bars = label.bars
    assert bars.module > 0
    assert bars.x - plan.QUIET_MODULES * bars.module >= padding - 1e-6
    assert bars.x + bars.width + plan.QUIET_MODULES * bars.module <= label.width - padding + 1e-6
    assert bars.y >= padding - 1e-6 and bars.y + bars.height <= label.height - padding
    for text in label.texts:
        assert text.x >= padding - 1e-6, text
        assert text.x + text.line.width <= label.width - padding + 1e-6, text
        assert text.top >= bars.y + bars.height, text  # below the bars
        assert text.bottom <= label.height - padding + 1e-6, text


@pytest.mark.parametrize("name", THERMAL)
@pytest.mark.parametrize("kind", sorted(CONTENTS))
def test_thermal_png_decodes_and_keeps_its_text_inside(name: str, kind: str) -> None:
    layout = BUILTIN[name]
    assert isinstance(layout, ThermalLayout)
    content = CONTENTS[kind]
    label = png.arrange(layout, content)
    assert_inside(label, layout.padding_mm * layout.dots_per_mm)
    assert float(label.bars.module).is_integer()  # whole printer dots
    data = png.render(layout, content)
    image = Image.open(io.BytesIO(data))
    assert image.size == layout.size_dots and image.mode == "1"
    assert image.info["dpi"] == pytest.approx((layout.dpi, layout.dpi), abs=0.01)
    assert decode(image) == [content.code]
    pad = int(layout.padding_mm * layout.dots_per_mm) - 1
    inner = image.crop((pad, pad, image.width - pad, image.height - pad))
    border_ink = image.convert("L").histogram()[0] - inner.convert("L").histogram()[0]
    assert border_ink == 0  # nothing drawn in the padding band


@pytest.mark.parametrize("name", THERMAL)
def test_long_names_are_shortened_not_cut(name: str) -> None:
    layout = BUILTIN[name]
    assert isinstance(layout, ThermalLayout)
    label = png.arrange(layout, CONTENTS["long"])
    texts = [t.line.text for t in label.texts]
    assert texts[0] == CONTENTS["long"].code_display
    assert any(text.endswith("…") for text in texts[1:])  # ellipsised, not clipped


@pytest.mark.parametrize("name", THERMAL)
def test_thermal_png_is_deterministic(name: str) -> None:
    layout = BUILTIN[name]
    assert isinstance(layout, ThermalLayout)
    content = CONTENTS["graded"]
    assert png.render(layout, content) == png.render(layout, content)


def field_data(document: str) -> str:
    found = re.search(r"\^BC[^\^]*\^FD([^\^]*)\^FS", document)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("name", THERMAL)
@pytest.mark.parametrize("kind", ["normal", "graded", "long", "accents"])
def test_zpl_carries_the_code_and_stays_on_the_label(name: str, kind: str) -> None:
    layout = BUILTIN[name]
    assert isinstance(layout, ThermalLayout)
    content = CONTENTS[kind]
    document = zpl.render(layout, content).decode("utf-8")
    width, height = layout.size_dots
    assert document.startswith("^XA") and document.rstrip().endswith("^XZ")
    assert f"^PW{width}" in document and f"^LL{height}" in document and "^CI28" in document
    module = int(re.search(r"\^BY(\d+)", document).group(1))  # type: ignore[union-attr]
    assert 1 <= module <= 10
    data = re.sub(r">[0-9:;]", "", field_data(document))  # invocation codes out
    assert data == content.code
    for x, y in re.findall(r"\^FT(\d+),(\d+)", document):
        assert 0 <= int(x) < width and 0 < int(y) <= height


def test_zpl_escapes_what_zpl_reserves() -> None:
    layout = BUILTIN["thermal-50x25mm"]
    assert isinstance(layout, ThermalLayout)
    document = zpl.render(layout, make_content(brand="A^B~C\\D", model="x")).decode()
    assert "A\\5EB\\7EC\\5CD" in document and "A^B" not in document


def test_zpl_follows_python_barcodes_subsets() -> None:
    assert zpl.barcode_data("ABCD2345") == ">:ABCD>52345"
    assert zpl.barcode_data("12345678") == ">;12345678"
    assert zpl.barcode_data("1234ABCD") == ">;1234>6ABCD"


@needs_poppler
@pytest.mark.parametrize("name", SHEETS)
def test_sheet_pdf_decodes_each_label_in_order_from_start(name: str, tmp_path: Path) -> None:
    layout = BUILTIN[name]
    assert isinstance(layout, SheetLayout)
    start = 3
    count = layout.per_page + 4 - (start - 1)  # spills onto a second page
    kinds = sorted(CONTENTS)
    contents: list[LabelContent] = [
        make_content(sample_code(1000 + i), model=CONTENTS[kinds[i % len(kinds)]].headline)
        for i in range(count)
    ]
    pages = pdf_pages(pdf.render(layout, contents, start=start), tmp_path)
    assert len(pages) == 2
    for index in range(start - 1):  # the positions already used stay blank
        assert cell(pages[0], layout, index).getextrema()[0] > 200
    slots = [(0, i) for i in range(start - 1, layout.per_page)] + [
        (1, i) for i in range(count - (layout.per_page - start + 1))
    ]
    read = [decode(cell(pages[page], layout, index)) for page, index in slots]
    assert read == [[c.code] for c in contents]


@pytest.mark.parametrize("name", SHEETS)
@pytest.mark.parametrize("kind", sorted(CONTENTS))
def test_sheet_plans_keep_text_inside_every_label(name: str, kind: str) -> None:
    layout = BUILTIN[name]
    assert isinstance(layout, SheetLayout)
    label = pdf.arrange(layout, CONTENTS[kind])
    assert_inside(label, layout.padding_mm * 72 / 25.4)
    dots = label.bars.module / (72 / layout.dpi)
    assert dots == pytest.approx(round(dots))  # bars a whole number of printer dots


def test_sheet_pdf_is_deterministic() -> None:
    layout = BUILTIN["a4-3x8"]
    assert isinstance(layout, SheetLayout)
    contents = [CONTENTS["graded"], CONTENTS["long"]]
    assert pdf.render(layout, contents) == pdf.render(layout, contents)


def test_png_round_trips_through_pillow_exactly() -> None:
    layout = BUILTIN["thermal-62mm"]
    assert isinstance(layout, ThermalLayout)
    label = png.arrange(layout, CONTENTS["accents"])
    drawn = png.draw(label)
    written = Image.open(io.BytesIO(png.render(layout, CONTENTS["accents"])))
    assert written.convert("1").tobytes() == drawn.tobytes()
    assert decode_png(png.render(layout, CONTENTS["accents"])) == [CONTENTS["accents"].code]


def code_from(data: str) -> str:
    return data + codes.check_symbol(data)


# python-barcode folds a leading "99" away as if it were a subset switch (plan.Code128Fixed).
LEADING_DIGITS = [code_from(d) for d in ("99MK6J8", "9912ABC", "9999999", "12MK6J8", "0000000")]


@pytest.mark.parametrize("code", LEADING_DIGITS)
def test_codes_beginning_with_digits_keep_them(code: str) -> None:
    layout = BUILTIN["thermal-50x25mm"]
    assert isinstance(layout, ThermalLayout)
    assert decode_png(png.render(layout, make_content(code))) == [code]
    data = zpl.barcode_data(code)
    assert re.sub(r">[0-9:;]", "", data) == code


@needs_poppler
def test_many_random_codes_decode_from_a_sheet(tmp_path: Path) -> None:
    layout = BUILTIN["a4-3x8"]
    assert isinstance(layout, SheetLayout)
    contents = [make_content(sample_code(7919 * n + 104_729)) for n in range(48)]
    contents[:5] = [make_content(code) for code in LEADING_DIGITS]
    pages = pdf_pages(pdf.render(layout, contents), tmp_path)
    read = [decode(cell(pages[n // 24], layout, n % 24)) for n in range(len(contents))]
    assert read == [[c.code] for c in contents]
