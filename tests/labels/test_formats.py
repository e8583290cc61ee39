"""Label formats as data: a workshop adds its printer's size, and mistakes are explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from labels import layouts, png
from labels.layouts import BadLayoutFile, ThermalLayout, UnknownLayout, WrongLayoutKind
from labels.plan import LayoutTooSmall
from tests.labels.decoding import CONTENTS, decode_png

OWN = """
[thermal-40x30mm]
description = "Our Zebra GK420d"
kind = "thermal"
width_mm = 40
height_mm = 30
dpi = 203
barcode_mm = 8
code_pt = 12
text_pt = 7
min_text_pt = 5

[a4-3x8]
kind = "sheet"
columns = 3
rows = 8
width_mm = 70
height_mm = 36
pitch_x_mm = 70
pitch_y_mm = 36
top_mm = 4.5
dpi = 600
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "label-layouts.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_workshop_adds_its_printer_and_overrides_a_builtin(tmp_path: Path) -> None:
    known = layouts.load(write(tmp_path, OWN))
    assert set(layouts.builtin()) < set(known)
    own = known["thermal-40x30mm"]
    assert isinstance(own, ThermalLayout) and own.size_dots == (320, 240)
    assert decode_png(png.render(own, CONTENTS["long"])) == [CONTENTS["long"].code]
    assert known["a4-3x8"].height_mm == 36 and known["a4-3x8"].dpi == 600


def test_an_edited_file_is_read_again_and_a_removed_one_forgotten(tmp_path: Path) -> None:
    """The file is parsed once per version (every page with a print form shows the
    formats), but a workshop's edit shows without a restart."""
    path = write(tmp_path, OWN)
    assert layouts.load(path)["thermal-40x30mm"].description == "Our Zebra GK420d"
    assert layouts.load(path) == layouts.load(path)
    write(tmp_path, OWN.replace("Our Zebra GK420d", "The Brother in the back room"))
    assert layouts.load(path)["thermal-40x30mm"].description == "The Brother in the back room"
    write(tmp_path, "[broken")
    with pytest.raises(BadLayoutFile):
        layouts.load(path)
    path.unlink()
    assert layouts.load(path) == layouts.builtin()


def test_the_builtins_are_a_copy_each_time() -> None:
    first = layouts.builtin()
    first.clear()
    assert layouts.builtin()


def test_no_file_means_the_builtins(tmp_path: Path) -> None:
    assert layouts.load(tmp_path / "absent.toml") == layouts.builtin()
    assert layouts.load(None) == layouts.builtin()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[x1]\nkind='thermal'\nwidth_mm=-4\nheight_mm=20\ndpi=203\n", "[x1] width_mm"),
        ("[x2]\nkind='thermal'\nwidth_mm=40\nheight_mm=20\ndpi=203\ncolour='red'\n", "colour"),
        ("[x3]\nkind='thermal'\nwidth_mm=40\nheight_mm=20\n", "dpi"),
        (
            "[x4]\nkind='sheet'\ncolumns=4\nrows=8\nwidth_mm=70\nheight_mm=37\n"
            "pitch_x_mm=70\npitch_y_mm=37\ndpi=300\n",
            "outside the 210 × 297 mm page",
        ),
        ("[x5\nkind='thermal'\n", "label-layouts.toml"),
        ("x6 = 3\n", "“x6” is not a table"),
        ('["Bad Name"]\nkind="thermal"\nwidth_mm=40\nheight_mm=20\ndpi=203\n', "name"),
        ("[x7]\nkind='thermal'\nwidth_mm=40\nheight_mm=20\ndpi=203\npadding_mm=15\n", "padding"),
    ],
)
def test_a_bad_file_is_refused_saying_where(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(BadLayoutFile) as refused:
        layouts.load(write(tmp_path, text))
    assert says in refused.value.render()


def test_a_label_too_small_for_its_barcode_is_refused() -> None:
    tiny = ThermalLayout(name="tiny", width_mm=15, height_mm=10, dpi=203, padding_mm=1)
    with pytest.raises(LayoutTooSmall):
        png.arrange(tiny, CONTENTS["normal"])


def test_pick_names_the_known_formats() -> None:
    known = layouts.builtin()
    with pytest.raises(UnknownLayout) as unknown:
        layouts.pick(known, "thermal-99mm")
    assert "thermal-62mm" in unknown.value.render()
    with pytest.raises(WrongLayoutKind) as wrong:
        layouts.pick(known, "a4-3x8", ThermalLayout)
    assert "thermal-50x25mm" in wrong.value.render()
