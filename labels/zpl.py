"""Thermal labels as ZPL II, for Zebra printers and the many that speak it.

The printer draws the barcode itself (`^BC`) from the same Code 128 symbols that
python-barcode chose for the PNG, so both are the same width and the plan holds for
both. Text uses the printer's scalable font 0, which is narrower than the DejaVu
Sans that the plan measured with: a line that fits in the plan fits on the label.
"""

from __future__ import annotations

from labels import plan, png
from labels.content import LabelContent
from labels.layouts import ThermalLayout

START = {103: ("A", ">9"), 104: ("B", ">:"), 105: ("C", ">;")}  # ZPL invocation codes
# Subset switches, which depend on the subset in force (in C, 99 is the digits "99").
SWITCH = {
    ("A", 99): "C", ("B", 99): "C", ("A", 100): "B", ("C", 100): "B",
    ("B", 101): "A", ("C", 101): "A",
}  # fmt: skip
INVOKE = {"A": ">7", "B": ">6", "C": ">5"}
MAX_MODULE_DOTS = 10  # ^BY accepts 1 to 10


def barcode_data(code: str) -> str:
    """`^BC` field data that reproduces python-barcode's choice of subsets for `code`."""
    symbols = plan.Code128Fixed(code).encoded
    subset, invocation = START[symbols[0]]
    out = [invocation]
    for value in symbols[1:]:
        if subset == "C" and value < 100:
            out.append(f"{value:02d}")
        elif (subset, value) in SWITCH:
            subset = SWITCH[(subset, value)]
            out.append(INVOKE[subset])
        else:  # subsets A and B share the printable ASCII below "`"
            out.append(chr(value + 32))
    return "".join(out)


# Spaces that printer fonts may lack (babel puts a narrow no-break space before "€").
_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "})


def _escape(text: str) -> str:
    """Field data for `^FH\\`: the characters ZPL reserves written as hex bytes."""
    text = text.translate(_SPACES)
    return text.replace("\\", "\\5C").replace("^", "\\5E").replace("~", "\\7E")


def render(layout: ThermalLayout, content: LabelContent) -> bytes:
    """One label as a ZPL II document (`^XA` … `^XZ`), UTF-8."""
    label = png.arrange(layout, content)
    bars = label.bars
    module = min(int(bars.module), MAX_MODULE_DOTS)
    lines = [
        "^XA",
        "^CI28",  # field data is UTF-8
        f"^PW{int(label.width)}",
        f"^LL{int(label.height)}",
        "^LH0,0",
        f"^FO{round(bars.x)},{round(bars.y)}^BY{module}"
        f"^BCN,{round(bars.height)},N,N,N,N^FD{barcode_data(content.code)}^FS",
    ]
    for text in label.texts:
        size = int(text.line.size)
        lines.append(
            f"^FT{round(text.x)},{round(text.baseline)}^A0N,{size},{size}"
            f"^FH\\^FD{_escape(text.line.text)}^FS"
        )
    lines += ["^PQ1", "^XZ", ""]
    return "\n".join(lines).encode("utf-8")


def plan_of(layout: ThermalLayout, content: LabelContent) -> plan.Plan:
    """The plan the ZPL follows (the PNG's), for checks."""
    return png.arrange(layout, content)
