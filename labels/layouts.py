"""Label layouts as data: the built-in sizes in `layouts.toml`, plus a workshop's own file.

A layout says how big a label is, at which resolution it is printed, and how tall its
bars and text may be; `labels.plan` arranges a device's label inside it. A workshop
adds its printer by writing a TOML table of the same keys (see `layouts.toml`), and a
mistake in that file is refused with the layout's name, the key and the reason.
"""

from __future__ import annotations

import functools
import tomllib
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from db.errors import N_, Invalid, Message, NotFound

MM_PER_INCH = 25.4
PositiveMm = Annotated[float, Field(gt=0, le=1000)]
Dpi = Annotated[int, Field(ge=100, le=1200)]
Points = Annotated[float, Field(ge=3, le=96)]


# Descriptions hold brands and references, which no language translates; the words a
# layout adds to them are this one message.
OR_COMPATIBLE = N_("%(models)s or compatible")


class UnknownLayout(NotFound):
    code = "unknown_label_layout"
    message = N_("There is no label format “%(name)s”. Formats: %(known)s.")


class WrongLayoutKind(Invalid):
    code = "wrong_label_layout_kind"
    message = N_("The label format “%(name)s” cannot be used here; use one of: %(known)s.")


class BadLayoutFile(Invalid):
    code = "bad_label_layout_file"
    message = N_("The label formats file %(path)s cannot be used: %(reason)s")


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")
    description: str = ""
    or_compatible: bool = False
    width_mm: PositiveMm
    height_mm: PositiveMm
    dpi: Dpi
    padding_mm: Annotated[float, Field(ge=0, le=20)] = 1.5
    barcode_mm: Annotated[float, Field(ge=4, le=60)] = 9
    code_pt: Points = 16
    text_pt: Points = 9
    min_text_pt: Points = 6
    max_module_mm: Annotated[float, Field(gt=0, le=2)] = 0.5

    @property
    def dots_per_mm(self) -> float:
        return self.dpi / MM_PER_INCH

    @property
    def shown_description(self) -> Message | str:
        """The description as pages show it: brands and references stay as written, the
        words around them are translated (`|t` in templates, `localise` elsewhere)."""
        if self.or_compatible and self.description:
            return Message(OR_COMPATIBLE, {"models": self.description})
        return self.description

    @model_validator(mode="after")
    def _sizes_in_order(self) -> _Common:
        if self.min_text_pt > self.text_pt:
            raise ValueError("min_text_pt must not exceed text_pt")
        if 2 * self.padding_mm >= min(self.width_mm, self.height_mm):
            raise ValueError("padding_mm leaves no room inside the label")
        return self


class ThermalLayout(_Common):
    """One label per image, for a roll printer (Brother QL, Zebra…)."""

    kind: Literal["thermal"] = "thermal"
    width_dots: Annotated[int, Field(ge=64, le=8000)] | None = None

    @cached_property
    def size_dots(self) -> tuple[int, int]:
        width = self.width_dots or round(self.width_mm * self.dots_per_mm)
        return width, round(self.height_mm * self.dots_per_mm)


class SheetLayout(_Common):
    """Pages of label stock for an office printer, labels in rows and columns."""

    kind: Literal["sheet"] = "sheet"
    page_width_mm: PositiveMm = 210
    page_height_mm: PositiveMm = 297
    columns: Annotated[int, Field(ge=1, le=20)]
    rows: Annotated[int, Field(ge=1, le=40)]
    left_mm: Annotated[float, Field(ge=0)] = 0
    top_mm: Annotated[float, Field(ge=0)] = 0
    pitch_x_mm: PositiveMm
    pitch_y_mm: PositiveMm

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @model_validator(mode="after")
    def _labels_on_the_page(self) -> SheetLayout:
        if self.pitch_x_mm < self.width_mm or self.pitch_y_mm < self.height_mm:
            raise ValueError("labels overlap: a pitch is smaller than the label")
        right = self.left_mm + (self.columns - 1) * self.pitch_x_mm + self.width_mm
        bottom = self.top_mm + (self.rows - 1) * self.pitch_y_mm + self.height_mm
        if right > self.page_width_mm + 0.01 or bottom > self.page_height_mm + 0.01:
            raise ValueError(
                f"the labels end at {right:g} × {bottom:g} mm, outside the "
                f"{self.page_width_mm:g} × {self.page_height_mm:g} mm page"
            )
        return self


Layout = ThermalLayout | SheetLayout


def _parse(tables: dict[str, object], origin: str) -> dict[str, Layout]:
    layouts: dict[str, Layout] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise BadLayoutFile(path=origin, reason=f"“{name}” is not a table")
        fields = {"name": name, **table}
        model = SheetLayout if table.get("kind") == "sheet" else ThermalLayout
        try:
            layouts[name] = model.model_validate(fields)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or name}: {e['msg']}" for e in exc.errors()
            )
            raise BadLayoutFile(path=origin, reason=f"[{name}] {problems}") from exc
    return layouts


def builtin() -> dict[str, Layout]:
    """The layouts that ship with Remise."""
    return dict(_builtin())


@functools.cache
def _builtin() -> dict[str, Layout]:
    text = resources.files("labels").joinpath("layouts.toml").read_text(encoding="utf-8")
    return _parse(tomllib.loads(text), "labels/layouts.toml")


def load(extra_file: Path | None) -> dict[str, Layout]:
    """The built-in layouts, overridden and extended by `extra_file` if it exists.

    Every page with a print form shows them: each file is read again only when it
    changed (its modification time or size), not on every page."""
    layouts = builtin()
    try:
        found = extra_file.stat() if extra_file is not None else None
    except FileNotFoundError:
        found = None
    if extra_file is None or found is None:
        return layouts
    return layouts | _workshop_file(extra_file, found.st_mtime_ns, found.st_size)


@functools.lru_cache(maxsize=8)
def _workshop_file(path: Path, _mtime_ns: int, _size: int) -> dict[str, Layout]:
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadLayoutFile(path=str(path), reason=str(exc)) from exc
    return _parse(tables, str(path))


def pick(layouts: dict[str, Layout], name: str, kind: type[Layout] | None = None) -> Layout:
    """The layout called `name`, optionally of one kind; UnknownLayout or WrongLayoutKind."""
    layout = layouts.get(name)
    if layout is None:
        raise UnknownLayout(name=name, known=", ".join(sorted(layouts)))
    if kind is not None and not isinstance(layout, kind):
        known = sorted(n for n, lay in layouts.items() if isinstance(lay, kind))
        raise WrongLayoutKind(name=name, known=", ".join(known))
    return layout
