"""Asset lists shaped like the ones companies and workshops really send."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook

from intake.rules import luhn_check_digit

FRENCH_HEADER = [
    "Catégorie",
    "Marque",
    "Modèle",
    "N° de série",
    "IMEI",
    "N° d'inventaire",
    "Date d'achat",
    "Remarques",
]


def imei(number: int) -> str:
    body = f"35{number:012d}"
    return body + luhn_check_digit(body)


def french_rows(count: int, *, start: int = 1, prefix: str = "PF") -> list[list[str]]:
    """Rows as a French company's Excel export has them: laptops and phones, dd/mm/yyyy."""
    rows = []
    for n in range(start, start + count):
        if n % 3 == 0:
            rows.append(
                [
                    "Smartphone",
                    "Samsung",
                    "Galaxy A52",
                    f"R58{prefix}{n:07d}",
                    imei(n),
                    f"INV-{n:05d}",
                    "14/03/2021",
                    "Écran fêlé",
                ]
            )
        else:
            rows.append(
                [
                    "Ordinateur portable",
                    "Lenovo",
                    "ThinkPad T480",
                    f"{prefix}{n:07d}",
                    "",
                    f"INV-{n:05d}",
                    "02/09/2019",
                    "Clavier AZERTY, très bon état",
                ]
            )
    return rows


def delimited(
    rows: Iterable[Sequence[str]],
    *,
    header: Sequence[str] = FRENCH_HEADER,
    delimiter: str = ";",
    encoding: str = "cp1252",
    title: str | None = None,
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    if title:
        writer.writerow([title])
        writer.writerow([])
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx(
    rows: Iterable[Sequence[object]],
    *,
    header: Sequence[str] = FRENCH_HEADER,
    title: str | None = None,
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
