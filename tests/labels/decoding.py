"""Reading labels back as a scanner would: zxing-cpp on PNGs and on rasterised PDF pages."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from db import codes
from labels.content import LabelContent, label_content
from labels.layouts import SheetLayout

MM_PER_INCH = 25.4
RASTER_DPI = 300

# CI installs poppler-utils (.ci/run) and sets REMISE_REQUIRE_TOOLS: there, a missing
# tool fails the run instead of silently skipping the checks.
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None and os.environ.get("REMISE_REQUIRE_TOOLS") != "1",
    reason="needs poppler-utils (pdftoppm)",
)


def decode(image: Image.Image) -> list[str]:
    """The Code 128 texts zxing-cpp reads in `image`."""
    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.Code128)
    return [result.text for result in found]


def decode_png(data: bytes) -> list[str]:
    return decode(Image.open(io.BytesIO(data)))


def pdf_pages(data: bytes, folder: Path, dpi: int = RASTER_DPI) -> list[Image.Image]:
    """Each page of the PDF rasterised by poppler's pdftoppm."""
    source = folder / "labels.pdf"
    source.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(folder / "page")],
        check=True,
    )
    return [Image.open(path).convert("L") for path in sorted(folder.glob("page-*.png"))]


def cell(page: Image.Image, layout: SheetLayout, index: int, dpi: int = RASTER_DPI) -> Image.Image:
    """The `index`-th label cell (0 = top left) of a rasterised sheet."""
    column, row = index % layout.columns, index // layout.columns
    scale = dpi / MM_PER_INCH
    left = (layout.left_mm + column * layout.pitch_x_mm) * scale
    top = (layout.top_mm + row * layout.pitch_y_mm) * scale
    box = (left, top, left + layout.width_mm * scale, top + layout.height_mm * scale)
    return page.crop(tuple(round(v) for v in box))


def sample_code(number: int) -> str:
    """A valid device code, different for each number."""
    data = "".join(codes.ALPHABET[(number >> (5 * i)) % 32] for i in range(codes.DATA_LENGTH))
    return data + codes.check_symbol(data)


def content(
    code: str | None = None,
    *,
    brand: str | None = "Lenovo",
    model: str | None = "ThinkPad T480",
    donor: str | None = "Banque Solidaire",
    grade: str | None = None,
    price_cents: int | None = None,
    category: str = "laptop",
    locale: str = "fr",
) -> LabelContent:
    return label_content(
        code=code or sample_code(7),
        category=category,
        brand=brand,
        model=model,
        batch_id=12,
        donor=donor,
        grade=grade,
        price_cents=price_cents,
        locale=locale,
        translate=lambda message: message,
    )


LONG_MODEL = (
    "ThinkPad X1 Carbon Gen 9 Intel Core i7-1165G7 16 Go 512 Go SSD 14 pouces WQUXGA tactile "
    "avec station d'accueil USB-C, chargeur 65 W d'origine et sacoche en cuir véritable "
    "— modèle de démonstration réservé aux revendeurs agréés de la région Pays de la Loire"
)
CONTENTS = {
    "short": content(brand="HP", model="250", donor=None),
    "normal": content(),
    "graded": content(grade="A", price_cents=4500),
    "long": content(brand="Fujitsu Technology Solutions", model=LONG_MODEL, donor="Mutuelle " * 12),
    "unbreakable": content(brand=None, model="X" * 60 + "Y" * 60, grade="C", price_cents=12000),
    "accents": content(
        brand="Élan Numérique", model="Tablette Éducation Œuvre ç à ü", category="tablet"
    ),
    "empty": content(brand=None, model=None, donor=None, category="other"),
}
