"""Label benchmark: Remise's labels against python-barcode's and reportlab's own drawing.

Four timings of the same 1,000 device codes, in one run, each the best of three:

1. thermal, ours: a complete 62 mm thermal label (bars, code, brand/model wrapped or
   shrunk to fit, category, batch, donor, grade and price on half of them), rendered
   as a 300 dpi PNG by `labels.png.render`.
   Baseline: python-barcode's `ImageWriter` rendering each code alone to a PNG (its
   defaults: bars and the code under them). Target: ours at least 3x faster.
2. reference: the bars python-barcode computes drawn straight onto a Pillow image and
   saved as PNG, with no text: the floor of any raster label.
3. sheet, ours: the same 1,000 labels on A4 3x8 sheets, as a PDF (`labels.pdf.render`).
   Baseline: a bare reportlab canvas drawing the same codes with reportlab's own
   Code 128 widget, one per 70 x 37 mm cell of 3x8 sheets, saved as PDF.
   Target: ours within 2x of the baseline.

Label content is varied (brands, models from short to very long, donors, grades, 400
batches), so that text fitting does its real work; it is built before the clock
starts. Glyphs and fonts are loaded before timing (a server has them from its first
label); the caches of barcodes and wrapped lines are emptied before every timed run. Nothing
touches a database or the network.

Run:  .venv/bin/python -m bench.label_drawing [--quick] [--count 1000]
`--quick` draws a tenth as many labels, once.
Figures are printed as a table and written to bench/results/labels.json.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import barcode
import PIL
import reportlab
from barcode.codex import Code128
from barcode.writer import ImageWriter
from PIL import Image, ImageDraw
from reportlab.graphics.barcode.code128 import Code128 as RLCode128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from bench import best_of
from db import codes
from labels import fit, layouts, pdf, plan, png
from labels.content import LabelContent, label_content
from labels.layouts import SheetLayout, ThermalLayout

RESULTS = Path(__file__).resolve().parent / "results"
BRANDS = ("Lenovo", "Dell", "HP", "Apple", "Samsung", "Fujitsu", "Acer", "Xiaomi")
MODELS = (
    "ThinkPad T480",
    "Latitude 5490",
    "EliteBook 840 G5",
    "MacBook Air 13-inch (M1, 2020)",
    "Galaxy A52s 5G",
    "LIFEBOOK E5510 with docking station and original 65 W power supply",
    "Aspire 5",
    "Redmi Note 10 Pro Max Limited Édition Grise 128 Go",
)
DONORS = ("Banque Solidaire", "Mutuelle des Pays de Loire", "ACME Industries SA", "Ville")


@dataclass
class Figure:
    name: str
    labels: int
    ours_s: float
    base_s: float
    target: str  # "≥3x faster", "≤2x", or "reference"
    ours_ms: float = 0.0
    base_ms: float = 0.0
    ratio: float = 0.0  # base / ours for speed-ups, ours / base for slow-downs
    within_target: bool = True


def device_codes(count: int) -> list[str]:
    """`count` valid device codes, the same ones every run."""
    rng = random.Random(20261123)
    made = []
    for _ in range(count):
        data = "".join(rng.choice(codes.ALPHABET) for _ in range(codes.DATA_LENGTH))
        made.append(data + codes.check_symbol(data))
    return made


def contents_for(device_codes_: Sequence[str]) -> list[LabelContent]:
    rng = random.Random(7)
    return [
        label_content(
            code=code,
            category=rng.choice(("laptop", "smartphone", "desktop", "tablet")),
            brand=rng.choice(BRANDS),
            model=rng.choice(MODELS),
            batch_id=rng.randint(1, 400),
            donor=rng.choice(DONORS),
            grade=rng.choice(("A", "B", "C")) if i % 2 else None,
            price_cents=rng.choice((2500, 4500, 9000)) if i % 2 else None,
            locale="fr",
            translate=lambda message: message,
        )
        for i, code in enumerate(device_codes_)
    ]


def thermal_ours(layout: ThermalLayout, contents: Sequence[LabelContent]) -> None:
    for content in contents:
        png.render(layout, content)


def thermal_image_writer(device_codes_: Sequence[str]) -> None:
    for code in device_codes_:
        Code128(code, writer=ImageWriter()).write(io.BytesIO())


def bars_only(layout: ThermalLayout, device_codes_: Sequence[str]) -> None:
    width, height = layout.size_dots
    for code in device_codes_:
        image = Image.new("1", (width, height), 1)
        pen = ImageDraw.Draw(image)
        pattern = Code128(code).build()[0]
        for start, run in enumerate(pattern):
            if run == "1":
                left = 40 + start * 4
                pen.rectangle((left, 20, left + 3, 120), fill=0)
        image.save(io.BytesIO(), format="PNG", compress_level=1)


def sheet_ours(layout: SheetLayout, contents: Sequence[LabelContent]) -> bytes:
    return pdf.render(layout, contents)


def sheet_bare_reportlab(device_codes_: Sequence[str]) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True, pageCompression=1)
    for i, code in enumerate(device_codes_):
        slot = i % 24
        if i and slot == 0:
            canvas.showPage()
        column, row = slot % 3, slot // 3
        symbol = RLCode128(code, barWidth=0.42 * mm, barHeight=11 * mm, humanReadable=True)
        symbol.drawOn(canvas, column * 70 * mm + 5 * mm, A4[1] - (row + 1) * 37 * mm + 12 * mm)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def figure(name: str, n: int, ours: float, base: float, target: str) -> Figure:
    result = Figure(name, n, ours, base, target, ours / n * 1e3, base / n * 1e3)
    if target.startswith("≥"):
        result.ratio = base / ours
        result.within_target = result.ratio >= float(target[1:].split("x")[0])
    elif target.startswith("≤"):
        result.ratio = ours / base
        result.within_target = result.ratio <= float(target[1:].split("x")[0])
    else:
        result.ratio = ours / base
    return result


def forget() -> None:
    """Empty the caches of barcodes and wrapped lines, so that no timed run reuses the
    work of an earlier one (glyphs stay cached: a server keeps them from its first label)."""
    plan.pattern_of.cache_clear()
    plan.bar_runs.cache_clear()
    fit.lines_of.cache_clear()


def measure(count: int, runs: int) -> list[Figure]:
    known = layouts.builtin()
    thermal, sheet = known["thermal-62mm"], known["a4-3x8"]
    assert isinstance(thermal, ThermalLayout) and isinstance(sheet, SheetLayout)
    device_codes_ = device_codes(count)
    contents = contents_for(device_codes_)
    thermal_ours(thermal, contents[:20])  # warm the glyph and font caches, as a server would
    sheet_ours(sheet, contents[:24])
    ours = best_of(runs, lambda: (forget(), thermal_ours(thermal, contents)))
    writer = best_of(runs, lambda: thermal_image_writer(device_codes_))
    floor = best_of(runs, lambda: bars_only(thermal, device_codes_))
    pdf_ours = best_of(runs, lambda: (forget(), sheet_ours(sheet, contents)))
    pdf_bare = best_of(runs, lambda: sheet_bare_reportlab(device_codes_))
    return [
        figure("thermal 62 mm PNG vs ImageWriter", count, ours, writer, "≥3x faster"),
        figure("thermal vs bars-only Pillow PNG", count, ours, floor, "reference"),
        figure("A4 3x8 PDF vs bare reportlab", count, pdf_ours, pdf_bare, "≤2x"),
    ]


def print_table(figures: Sequence[Figure]) -> None:
    print(
        f"  {'measurement':<36}{'labels':>8}{'ours s':>9}{'base s':>9}"
        f"{'ours ms':>9}{'base ms':>9}{'ratio':>8}  target"
    )
    for f in figures:
        verdict = "" if f.target == "reference" else (" ok" if f.within_target else " MISSED")
        print(
            f"  {f.name:<36}{f.labels:>8,}{f.ours_s:>9.3f}{f.base_s:>9.3f}"
            f"{f.ours_ms:>9.3f}{f.base_ms:>9.3f}{f.ratio:>7.2f}x  {f.target}{verdict}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1000, help="labels per measurement")
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    parser.add_argument("--quick", action="store_true", help="a tenth of the labels, once")
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.runs = max(10, args.count // 10), 1
    env = {
        "python": platform.python_version(),
        "pillow": PIL.__version__,
        "reportlab": reportlab.Version,
        "python-barcode": getattr(barcode, "version", "?"),
        "machine": f"{platform.system()} {platform.machine()}",
    }
    print("Remise labels benchmark: " + ", ".join(f"{k} {v}" for k, v in env.items()))
    figures = measure(args.count, args.runs)
    print_table(figures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "labels.json"
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": env,
        "measurements": [asdict(f) for f in figures],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"  written to {path}")


if __name__ == "__main__":
    main()
