"""Label files: one label as PNG or ZPL, many as a PDF of sheets, a zip of PNGs or one ZPL."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from db.errors import N_
from labels import pdf, png, zpl
from labels.content import LabelContent
from labels.layouts import Layout, SheetLayout, ThermalLayout
from remise.i18n import translate

_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same labels give the same file


class RollOutput(StrEnum):
    ZIP = "zip"  # one PNG per label
    ZPL = "zpl"  # one ZPL document per label, back to back


@dataclass(frozen=True)
class LabelFile:
    body: bytes
    media_type: str
    extension: str


def single(layout: ThermalLayout, content: LabelContent, kind: RollOutput | str) -> LabelFile:
    """One device's label for a roll printer: PNG (`png`) or ZPL (`zpl`)."""
    if kind == RollOutput.ZPL:
        return LabelFile(zpl.render(layout, content), "application/zpl", "zpl")
    return LabelFile(png.render(layout, content), "image/png", "png")


def roll(layout: ThermalLayout, contents: Sequence[LabelContent], kind: RollOutput) -> LabelFile:
    """Many labels for a roll printer: a zip of PNGs named by code, or one ZPL stream."""
    if kind == RollOutput.ZPL:
        body = b"".join(zpl.render(layout, content) for content in contents)
        return LabelFile(body, "application/zpl", "zpl")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for content in contents:
            entry = zipfile.ZipInfo(f"{content.code_display}.png", date_time=_EPOCH)
            archive.writestr(entry, png.render(layout, content))
    return LabelFile(out.getvalue(), "application/zip", "zip")


def sheet(
    layout: SheetLayout,
    contents: Sequence[LabelContent],
    start: int,
    *,
    locale: str,
    batch_id: int | None = None,
) -> LabelFile:
    """Sheets of labels as a PDF, the first label at position `start`, titled in `locale`
    (the installation's language, like the labels themselves) and by batch if printed
    for one."""
    body = pdf.render(layout, contents, start, title=sheet_title(locale, batch_id))
    return LabelFile(body, "application/pdf", "pdf")


def sheet_title(locale: str, batch_id: int | None) -> str:
    """The title a PDF viewer shows for a file of labels."""
    if batch_id is None:
        return translate(locale, N_("Remise labels"))
    return translate(locale, N_("Remise labels — batch %(id)s"), id=batch_id)


def check(layout: Layout, sample: LabelContent) -> None:
    """Raise LayoutTooSmall if `layout` cannot hold a label like `sample`."""
    if isinstance(layout, SheetLayout):
        pdf.arrange(layout, sample)
    else:
        png.arrange(layout, sample)
