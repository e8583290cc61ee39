"""Reading asset lists as Excel, LibreOffice, GLPI and Snipe-IT really export them."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import tracemalloc
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine

from db.enums import Role
from intake import columns
from intake.columns import FIELDS, SYNONYMS, field_for, normalise_header
from intake.file_errors import (
    BrokenRow,
    CellTooLong,
    DuplicateColumn,
    EmptyFile,
    NoHeader,
    NotATable,
    NulCharacter,
    OldExcelFile,
    OpenDocumentFile,
    RowTooLong,
    UnreadableFile,
)
from intake.files import Limits, SourceRow, TableInfo, open_table
from tests.factories import auth, make_token
from tests.intake.samples import FRENCH_HEADER

SNIPE_IT_HEADER = [
    "Asset Tag",
    "Name",
    "Category",
    "Manufacturer",
    "Model",
    "Model No.",
    "Serial",
    "Purchase Date",
    "Location",
    "Notes",
]


def csv_bytes(
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ";",
    quote_all: bool = False,
) -> bytes:
    """A CSV as spreadsheets save it: CRLF line ends, quotes only where needed."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
    if quote_all:  # as GLPI does
        writer = csv.writer(text, delimiter=delimiter, quoting=csv.QUOTE_ALL)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def read(data: bytes) -> tuple[TableInfo, list[SourceRow]]:
    with open_table(io.BytesIO(data), "inventaire.csv") as (info, rows):
        return info, list(rows)


def read_path(path: Path) -> tuple[TableInfo, list[SourceRow]]:
    with path.open("rb") as stream, open_table(stream, path.name) as (info, rows):
        return info, list(rows)


# --- CSV -------------------------------------------------------------------------


def test_french_excel_csv_is_read_as_windows_1252_with_semicolons() -> None:
    data = csv_bytes(
        [
            FRENCH_HEADER,
            [
                "Ordinateur portable",
                "Lenovo",
                "ThinkPad T480",
                "PF1ABCDE",
                "",
                "INV-00001",
                "02/09/2019",
                "Écran rayé, clavier AZERTY",
            ],
            [
                "Téléphone",
                "Samsung",
                "Galaxy A52",
                "R58N123",
                "356938035643809",
                "INV-00002",
                "14/03/2021",
                "Coque fêlée",
            ],
        ],
        encoding="cp1252",
    )
    info, rows = read(data)
    assert (info.format, info.encoding, info.delimiter, info.sheet) == ("csv", "cp1252", ";", None)
    assert info.header_row == 1
    assert info.columns == {
        "Catégorie": "category",
        "Marque": "brand",
        "Modèle": "model",
        "N° de série": "serial",
        "IMEI": "imei",
        "N° d'inventaire": "asset_tag",
        "Date d'achat": "purchase_date",
        "Remarques": "description",
    }
    assert rows[0] == SourceRow(
        number=2,
        values={
            "category": "Ordinateur portable",
            "brand": "Lenovo",
            "model": "ThinkPad T480",
            "serial": "PF1ABCDE",
            "asset_tag": "INV-00001",
            "purchase_date": "02/09/2019",
            "description": "Écran rayé, clavier AZERTY",
        },
        extras={},
    )
    assert rows[1].number == 3
    assert rows[1].values["category"] == "Téléphone"
    assert rows[1].values["imei"] == "356938035643809"
    assert rows[1].values["description"] == "Coque fêlée"


def test_snipe_it_export_with_bom_keeps_the_bom_out_of_the_first_header() -> None:
    data = b"\xef\xbb\xbf" + csv_bytes(
        [
            SNIPE_IT_HEADER,
            [
                "A-0042",
                "PC-COMPTA-03",
                "Laptops",
                "Dell",
                "Latitude 5490",
                "P72G",
                "7XK9QK2",
                "2019-05-14",
                "Lyon",
                "Battery worn, 62 %",
            ],
        ],
        delimiter=",",
    )
    info, rows = read(data)
    assert (info.encoding, info.delimiter) == ("utf-8-sig", ",")
    assert next(iter(info.columns)) == "Asset Tag"
    assert info.columns["Asset Tag"] == "asset_tag"
    assert info.columns["Model No."] is None
    assert rows == [
        SourceRow(
            number=2,
            values={
                "asset_tag": "A-0042",
                "category": "Laptops",
                "brand": "Dell",
                "model": "Latitude 5490",
                "serial": "7XK9QK2",
                "purchase_date": "2019-05-14",
                "description": "Battery worn, 62 %",
            },
            extras={"Name": "PC-COMPTA-03", "Model No.": "P72G", "Location": "Lyon"},
        )
    ]


def test_tab_separated_utf8_without_bom() -> None:
    data = csv_bytes(
        [
            ["Type", "Fabricant", "Modèle", "Numéro de série"],
            ["Tablette", "Apple", "iPad 6e génération", "DMPX1234"],
        ],
        delimiter="\t",
    )
    info, rows = read(data)
    assert (info.encoding, info.delimiter) == ("utf-8", "\t")
    assert rows[0].values == {
        "category": "Tablette",
        "brand": "Apple",
        "model": "iPad 6e génération",
        "serial": "DMPX1234",
    }


def test_title_and_blank_rows_above_the_header_keep_spreadsheet_row_numbers() -> None:
    data = csv_bytes(
        [
            ["Inventaire des postes – Société X – novembre 2026", "", "", ""],
            [],
            ["Marque", "Modèle", "N° de série", "Remarques"],
            ["HP", "EliteBook 840 G5", "5CG1234", ""],
            ["", "", "", ""],
            ["Dell", "Latitude 7490", "8HJ2KL2", "Sans chargeur"],
        ]
    )
    info, rows = read(data)
    assert info.header_row == 3
    assert [row.number for row in rows] == [4, 6]  # the blank row 5 is skipped, still counted
    assert rows[1].values["description"] == "Sans chargeur"


def test_glpi_comments_with_line_breaks_and_semicolons_stay_one_row() -> None:
    header = [
        "Nom",
        "Entité",
        "Fabricant",
        "Modèle",
        "Numéro de série",
        "Numéro d'inventaire",
        "Commentaires",
    ]
    data = b"\xef\xbb\xbf" + csv_bytes(
        [
            header,
            [
                "PC-ACCUEIL",
                "Mairie",
                "Lenovo",
                "ThinkCentre M720q",
                "MJ0ABC12",
                "INV-7",
                "Disque changé en 2022;\nRAM 8 Go\r\nPas de Wi-Fi",
            ],
            ["PC-COMPTA", "Mairie", "HP", "ProDesk 400", "CZC1234", "INV-8", 'Dit "le vieux"'],
            ["PC-RH", "Mairie", "Dell", "OptiPlex 3070", "4FJ7Q23", "INV-9", ""],
        ],
        quote_all=True,
    )
    info, rows = read(data)
    assert info.delimiter == ";"
    assert [row.number for row in rows] == [2, 3, 4]
    assert rows[0].values["description"] == "Disque changé en 2022;\nRAM 8 Go\r\nPas de Wi-Fi"
    assert rows[0].extras == {"Nom": "PC-ACCUEIL", "Entité": "Mairie"}
    assert rows[1].values["description"] == 'Dit "le vieux"'
    assert rows[2].values["serial"] == "4FJ7Q23"


def test_unknown_columns_become_extras_under_their_own_header() -> None:
    data = csv_bytes(
        [
            ["N° de série", "Marque", "Localisation", "Prix (€)"],
            ["  SN-001 ", "Acer", " Bureau 12 ", ""],
        ]
    )
    info, rows = read(data)
    assert info.columns == {
        "N° de série": "serial",
        "Marque": "brand",
        "Localisation": None,
        "Prix (€)": None,
    }
    assert rows[0].values == {"serial": "SN-001", "brand": "Acer"}
    assert rows[0].extras == {"Localisation": "Bureau 12"}


def test_cells_under_no_header_are_kept_as_numbered_columns() -> None:
    data = csv_bytes(
        [
            ["N° de série", "Marque", "", ""],
            ["SN-001", "Acer", "", "chargeur fourni", "en plus"],
            ["SN-002", "Asus", "", ""],
        ]
    )
    info, rows = read(data)
    assert info.columns == {"N° de série": "serial", "Marque": "brand"}
    assert rows[0].extras == {"Colonne 4": "chargeur fourni", "Colonne 5": "en plus"}
    assert rows[1].extras == {}


def test_two_unknown_columns_with_one_header_both_survive() -> None:
    data = csv_bytes([["Serial", "Brand", "Note interne", "Note interne"], ["S1", "HP", "a", "b"]])
    info, rows = read(data)
    assert rows[0].extras == {"Note interne": "a", "Note interne (Colonne 4)": "b"}
    assert list(info.columns) == ["Serial", "Brand", "Note interne", "Note interne (Colonne 4)"]


def test_short_rows_and_unix_line_ends_are_read() -> None:
    data = "Marque,Modèle,Serial,Remarques\nHP,ProBook,S1\nDell,,S2,ok\n".encode()
    _info, rows = read(data)
    assert [row.values for row in rows] == [
        {"brand": "HP", "model": "ProBook", "serial": "S1"},
        {"brand": "Dell", "serial": "S2", "description": "ok"},
    ]


def test_a_semicolon_list_whose_remarks_all_hold_a_comma_is_split_on_semicolons() -> None:
    # csv.Sniffer alone answers "," here: both split every line evenly
    rows = [["Remise en état, reconditionné", "HP", f"S{n}", "Clavier, souris"] for n in range(50)]
    info, read_rows = read(csv_bytes([["Catégorie", "Marque", "Serial", "Remarques"], *rows]))
    assert info.delimiter == ";"
    assert read_rows[0].values["description"] == "Clavier, souris"


def test_multiline_cells_everywhere_do_not_defeat_the_delimiter_guess() -> None:
    rows = [["Dell", f"S{n}", f"Ligne 1\nLigne 2, {n}\nLigne 3"] for n in range(300)]
    info, read_rows = read(csv_bytes([["Marque", "Serial", "Notes"], *rows]))
    assert info.delimiter == ";"
    assert [row.number for row in read_rows[:3]] == [2, 3, 4]
    assert len(read_rows) == 300


def test_pipe_separated_export() -> None:
    info, rows = read(b"Marque|Serial|IMEI\nNokia|N1|356938035643809\n")
    assert info.delimiter == "|"
    assert rows[0].values == {"brand": "Nokia", "serial": "N1", "imei": "356938035643809"}


def test_a_late_windows_1252_byte_makes_the_whole_file_windows_1252() -> None:
    rows = [["Lenovo", f"S{n:06d}", "bon"] for n in range(20_000)]  # about 300 KB of ASCII
    data = csv_bytes(
        [["Marque", "Serial", "Remarques"], *rows, ["Acer", "LAST", "Rayé"]], encoding="cp1252"
    )
    info, read_rows = read(data)
    assert info.encoding == "cp1252"
    assert read_rows[-1].values["description"] == "Rayé"


def test_utf8_characters_across_chunk_boundaries_stay_utf8() -> None:
    rows = [["Lenovo", f"S{n:06d}", "é" * n] for n in range(600)]  # multibyte everywhere
    info, read_rows = read(csv_bytes([["Marque", "Serial", "Remarques"], *rows]))
    assert info.encoding == "utf-8"
    assert read_rows[-1].values["description"] == "é" * 599


def test_bytes_windows_1252_leaves_undefined_do_not_stop_the_import() -> None:
    info, rows = read(b"Marque;Serial\nAcer\x81;S1\n")
    assert info.encoding == "cp1252"
    assert rows[0].values == {"brand": "Acer\ufffd", "serial": "S1"}


def test_excel_unicode_text_export_is_read() -> None:
    data = "Marque\tN° de série\r\nÉpson\tX1\r\n".encode("utf-16")  # BOM, then UTF-16 LE
    info, rows = read(data)
    assert (info.encoding, info.delimiter) == ("utf-16", "\t")
    assert rows[0].values == {"brand": "Épson", "serial": "X1"}


@pytest.mark.parametrize("max_size", [1, 1 << 20])  # rolled over to disk, in memory
def test_an_uploaded_spooled_file_is_read(max_size: int) -> None:
    with tempfile.SpooledTemporaryFile(max_size=max_size) as upload:
        upload.write(csv_bytes([["Serial", "Brand"], ["S1", "HP"]], encoding="cp1252"))
        upload.flush()
        with open_table(upload, "liste.csv") as (info, rows):  # type: ignore[arg-type]
            assert [row.values for row in rows] == [{"serial": "S1", "brand": "HP"}]
        assert not upload.closed
    assert info.encoding == "utf-8"


def test_the_callers_stream_is_left_open() -> None:
    stream = io.BytesIO(csv_bytes([["Serial", "Brand"], ["S1", "HP"]]))
    with open_table(stream) as (_info, rows):
        list(rows)
    assert not stream.closed
    stream.seek(0)
    assert stream.read(6) == b"Serial"


# --- XLSX ------------------------------------------------------------------------


def _with_cached_values(path: Path, cached: dict[str, tuple[str, str]]) -> None:
    """Store formula results as Excel does (openpyxl writes formulas without them)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, (kind, value) in cached.items():
        sheet, count = re.subn(
            rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/>',
            rf'<c r="{ref}" t="{kind}"><f>\2</f><v>{value}</v>',
            sheet,
        )
        assert count == 1
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)


@pytest.fixture
def workbook_path(tmp_path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Postes"
    sheet.append(["Inventaire du parc – Association Y – 2026"])
    sheet.append([*FRENCH_HEADER[:7], "Localisation", "Commentaire"])
    sheet.append(
        [
            "Smartphone",
            "Samsung",
            "Galaxy S9",
            123456,
            356938035643809,
            None,
            date(2019, 9, 2),
            "Étage 2",
            '=D3&" / "&B3',
        ]
    )
    sheet.append(
        [
            "Smartphone",
            "Apple",
            "iPhone 8",
            654321.0,
            356938035643809.0,
            '="INV-"&D4',
            datetime(2020, 1, 15, 14, 30),
            None,
            True,
        ]
    )
    sheet.append([None] * 9)
    sheet.append(["Tablette", "Lenovo", "Tab M10", "HGA1B2C3", None, 42, None, 12.5, None])
    path = tmp_path / "inventaire.xlsx"
    book.save(path)
    _with_cached_values(path, {"I3": ("str", "123456 / Samsung"), "F4": ("str", "INV-654321")})
    return path


def test_xlsx_numbers_dates_formulas_and_extras(workbook_path: Path) -> None:
    info, rows = read_path(workbook_path)
    assert (info.format, info.encoding, info.delimiter) == ("xlsx", None, None)
    assert (info.sheet, info.header_row) == ("Postes", 2)
    assert info.columns["Localisation"] is None
    assert info.columns["Commentaire"] == "description"
    assert [row.number for row in rows] == [3, 4, 6]
    first, second, third = rows
    assert first.values == {
        "category": "Smartphone",
        "brand": "Samsung",
        "model": "Galaxy S9",
        "serial": "123456",
        "imei": "356938035643809",
        "purchase_date": "2019-09-02",
        "description": "123456 / Samsung",
    }
    assert first.extras == {"Localisation": "Étage 2"}
    assert second.values["serial"] == "654321"
    assert second.values["imei"] == "356938035643809"
    assert second.values["asset_tag"] == "INV-654321"
    assert second.values["purchase_date"] == "2020-01-15T14:30:00"
    assert second.values["description"] == "oui"
    assert second.extras == {}
    assert third.values["asset_tag"] == "42"
    assert third.extras == {"Localisation": "12.5"}


def test_xlsx_header_on_a_later_sheet(tmp_path: Path) -> None:
    book = Workbook()
    notice = book.active
    assert notice is not None
    notice.title = "Notice"
    notice.append(["Remplir une ligne par appareil."])
    devices = book.create_sheet("Appareils")
    devices.append(["Marque", "N° de série"])
    devices.append(["Fairphone", "FP3-0001"])
    book.save(tmp_path / "don.xlsx")
    info, rows = read_path(tmp_path / "don.xlsx")
    assert (info.sheet, info.header_row) == ("Appareils", 1)
    assert rows == [SourceRow(2, {"brand": "Fairphone", "serial": "FP3-0001"}, {})]


def test_xlsx_with_a_wrong_dimension_is_read_to_the_end(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Serial", "Brand"])
    for number in range(1, 6):
        sheet.append([f"S{number}", "HP"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b'<dimension ref="A1:B6"', b'<dimension ref="A1"'
    )
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    _info, rows = read_path(path)
    assert [row.values["serial"] for row in rows] == ["S1", "S2", "S3", "S4", "S5"]


def test_an_xlsx_without_any_cell_is_empty(tmp_path: Path) -> None:
    book = Workbook()
    book.create_sheet("Feuil2")
    book.save(tmp_path / "vide.xlsx")
    with pytest.raises(EmptyFile):
        read_path(tmp_path / "vide.xlsx")


# --- files we refuse, and why ---------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return data.getvalue()


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", EmptyFile, "The file is empty."),
        (b"\xef\xbb\xbf\r\n\r\n", EmptyFile, "The file is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), OldExcelFile, "old Excel file (.xls)"),
        (b"%PDF-1.7\n", NotATable, "neither a CSV nor an Excel (.xlsx) file"),
        (_zip({"word/document.xml": b"<w/>"}), NotATable, "neither a CSV nor an Excel"),
        (
            _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
            OpenDocumentFile,
            "LibreOffice spreadsheet (.ods)",
        ),
        (
            "Liste des dons\nNom;Prénom;Ville\nDupont;Marie;Lyon\n".encode(),
            NoHeader,
            "No header row found in the first 30 rows",
        ),
        (b"Serial\nS1\n", NoHeader, "No header row found"),  # one known column is too few
        ("Marque;Modèle\nHP;ProBook\n".encode(), NoHeader, "No header row found"),  # no serial
    ],
)
def test_unreadable_files_are_refused_with_advice(
    data: bytes, error: type[UnreadableFile], message: str
) -> None:
    with pytest.raises(error) as raised, open_table(io.BytesIO(data), "don.xls"):
        pass
    assert message in str(raised.value)
    assert raised.value.code == "unreadable_file"
    assert raised.value.status == 422


def test_a_header_below_row_30_is_not_found() -> None:
    rows: list[list[str]] = [[f"ligne {n}", ""] for n in range(30)]
    data = csv_bytes([*rows, ["Serial", "Brand"], ["S1", "HP"]])
    with pytest.raises(NoHeader), open_table(io.BytesIO(data)):
        pass


def test_two_columns_read_as_serial_are_named_in_the_error() -> None:
    data = csv_bytes([["Marque", "N° de série", "Serial number"], ["HP", "A", "B"]])
    with pytest.raises(DuplicateColumn) as raised, open_table(io.BytesIO(data)):
        pass
    assert str(raised.value) == (
        "Two columns are both read as “serial number”: “N° de série” and “Serial number”. "
        "Rename or remove one."
    )


@pytest.mark.parametrize(
    "data",
    [
        b'Serial;Brand;Notes\nS1;HP;ok\nS2;Dell;"jamais ferm\xc3\xa9\nS3;Acer;ok\n',
        b'Serial;Brand;Notes\nS1;HP;ok\nS2;Dell;"jamais ferm\xc3\xa9\n' + b"x;" * 80_000,
        b'Serial;Brand;Notes\nS1;HP;ok\nS2;"Dell" Inc;ok\nS3;Acer;ok\n',
    ],
    ids=["unclosed-quote", "unclosed-quote-long", "text-after-closing-quote"],
)
def test_bad_quotes_are_refused_naming_the_row(data: bytes) -> None:
    # rather than letting an open quote swallow every row after it
    with pytest.raises(BrokenRow) as raised, open_table(io.BytesIO(data)) as (_info, rows):
        assert next(rows).number == 2
        next(rows)
    assert raised.value.params["row"] == 3
    assert str(raised.value).startswith("Row 3 ")
    assert "check its quotes" in str(raised.value)


# --- memory ------------------------------------------------------------------------


def _large_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(FRENCH_HEADER)
        for n in range(count):
            writer.writerow(
                [
                    "Ordinateur portable",
                    "Lenovo",
                    "ThinkPad T480",
                    f"PF{n:08d}",
                    "",
                    f"INV-{n:06d}",
                    "02/09/2019",
                    "Clavier AZERTY, très bon état",
                ]
            )


def _count(rows: Iterator[SourceRow]) -> tuple[int, int]:
    count = last = 0
    for row in rows:
        count += 1
        last = row.number
    return count, last


def test_a_100k_row_csv_streams_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "parc.csv"
    _large_csv(path, 100_000)
    with path.open("rb") as stream:
        tracemalloc.start()
        try:
            with open_table(stream, path.name) as (info, rows):
                count, last = _count(rows)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert info.encoding == "cp1252"
    assert (count, last) == (100_000, 100_001)
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# --- header vocabulary ------------------------------------------------------------------

EXPECTED_FIELDS: dict[str, tuple[str, ...]] = {
    "serial": ("N° de série", "Numéro de série", "No série", "Num série", "serial",
               "serial number", "Serial No", "S/N", "SN", "numero de serie", "SSN",
               "Serial Number ", "N°de\nsérie *", "SERIAL_NUMBER", "Service Tag"),
    "brand": ("Marque", "Fabricant", "Constructeur", "Manufacturer", "Brand", "Make",
              "SMANUFACTURER"),
    "model": ("Modèle", "Modele", "Model", "Model name", "Référence modèle", "SMODEL"),
    "imei": ("IMEI", "IMEI 1", "N° IMEI", "Numéro IMEI", "imei1"),
    "category": ("Catégorie", "Type", "Type de matériel", "Category", "Device type",
                 "Asset type", "Famille"),
    "asset_tag": ("Asset tag", "N° d'inventaire", "Numéro d'inventaire", "Inventaire",
                  "Inventory number", "Asset tag number", "Étiquette", "Code inventaire",
                  "Tag", "N° d’inventaire", "ASSETTAG"),
    "purchase_date": ("Date d'achat", "Date achat", "Purchase date", "Date de mise en service",
                      "Acquisition date", "Date of purchase"),
    "description": ("Description", "Commentaire", "Commentaires", "Remarques", "Notes",
                    "Comment"),
}  # fmt: skip
KNOWN_HEADERS = [
    (header, field) for field, headers in EXPECTED_FIELDS.items() for header in headers
]


@pytest.mark.parametrize(("header", "field"), KNOWN_HEADERS)
def test_known_headers_name_their_field(header: str, field: str) -> None:
    assert field_for(header) == field


@pytest.mark.parametrize(
    "header",
    [
        "Localisation",
        "Nom",
        "Name",
        "Prix",
        "Statut",
        "IMEI 2",
        "Model No.",
        "Référence",
        "Désignation",
        "Date de fin de garantie",
        "Utilisateur",
        "",
        "N°",
    ],
)
def test_other_headers_name_no_field(header: str) -> None:
    assert field_for(header) is None


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("N° de série", "n de serie"),
        ("  Date d'achat ", "date d achat"),
        ("S/N", "s n"),
        ("ÉTIQUETTE", "etiquette"),
        ("Serial_Number", "serial number"),
        ("Nº de série", "no de serie"),
    ],
)
def test_normalise_header(text: str, normalised: str) -> None:
    assert normalise_header(text) == normalised


def test_synonyms_are_normalised_and_name_canonical_fields() -> None:
    assert all(normalise_header(key) == key for key in SYNONYMS)
    assert set(SYNONYMS.values()) == set(FIELDS)


def test_no_header_in_the_vocabulary_is_claimed_by_two_fields() -> None:
    claimed = [(header, field) for field, headers in columns._HEADERS.items() for header in headers]
    assert [(header, field) for header, field in claimed if field_for(header) != field] == []


# --- line endings, NUL bytes and long cells (issue 13) ---------------------------------

HEADER_LINE = "N° de série;Marque;Remarques"
LINE_ENDS = {"cr": "\r", "lf": "\n", "crlf": "\r\n"}


@pytest.mark.parametrize("end", LINE_ENDS.values(), ids=LINE_ENDS.keys())
def test_cr_lf_and_crlf_files_are_read_as_the_line_ends_they_are(end: str) -> None:
    data = end.join([HEADER_LINE, "S1;HP;ok", "S2;Dell;", "S3;Acer;fin"]).encode() + b"\r"
    info, rows = read(data)
    assert info.delimiter == ";"
    assert [(row.number, row.values["serial"]) for row in rows] == [(2, "S1"), (3, "S2"), (4, "S3")]


@pytest.mark.parametrize("inside", LINE_ENDS.values(), ids=LINE_ENDS.keys())
@pytest.mark.parametrize("end", LINE_ENDS.values(), ids=LINE_ENDS.keys())
def test_a_quoted_line_break_stays_inside_its_cell(end: str, inside: str) -> None:
    data = end.join([HEADER_LINE, f'S1;HP;"écran{inside}rayé"', "S2;Dell;ok", ""]).encode()
    _info, rows = read(data)
    assert [row.values.get("description") for row in rows] == [f"écran{inside}rayé", "ok"]
    assert [row.number for row in rows] == [2, 3]


def test_a_cr_only_file_longer_than_the_sample_is_read_whole() -> None:
    lines = [HEADER_LINE] + [f"S{n};HP;remarque {n}" for n in range(3000)]
    _info, rows = read("\r".join(lines).encode("cp1252"))
    assert len(rows) == 3000
    assert rows[-1].values["serial"] == "S2999"


def test_a_nul_byte_further_down_is_refused_naming_its_row() -> None:
    lines = [HEADER_LINE] + [f"S{n};HP;ok" for n in range(10_000)] + ["S;H\0P;ok"]
    with (
        pytest.raises(NulCharacter) as raised,
        open_table(io.BytesIO("\r\n".join(lines).encode())) as (_info, rows),
    ):
        list(rows)
    assert raised.value.params == {"row": 10_002}
    assert "NUL character" in str(raised.value)


def test_a_cell_longer_than_the_cap_is_refused_naming_row_and_column() -> None:
    data = "\r\n".join([HEADER_LINE, "S1;HP;ok", "S2;Dell;" + "x" * 32_768]).encode()
    with pytest.raises(CellTooLong) as raised, open_table(io.BytesIO(data)) as (_info, rows):
        list(rows)
    assert raised.value.params == {"row": 3, "column": "C", "limit": 32_767}
    assert str(raised.value).startswith("Row 3, column C holds more than 32767 characters")


def test_the_cell_cap_comes_from_the_limits() -> None:
    data = "\r\n".join([HEADER_LINE, "S1;HP;" + "x" * 300]).encode()
    with (
        pytest.raises(CellTooLong),
        open_table(io.BytesIO(data), limits=Limits(max_cell_chars=255)) as (_info, rows),
    ):
        list(rows)


@pytest.mark.parametrize("quoted", [False, True])
def test_a_cell_over_the_csv_field_limit_is_refused_in_bounded_memory(quoted: bool) -> None:
    quote = '"' if quoted else ""
    huge = quote + "x" * (30 * csv.field_size_limit()) + quote  # about 4 MB on one line
    data = "\r\n".join([HEADER_LINE, "S1;HP;ok", f"S2;Dell;{huge}", "S3;Acer;ok"]).encode()
    tracemalloc.start()
    try:
        with pytest.raises(RowTooLong) as raised, open_table(io.BytesIO(data)) as (_info, rows):
            list(rows)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert raised.value.params == {"row": 3, "limit": csv.field_size_limit()}
    assert peak < 3 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (f"{HEADER_LINE}\rS1;HP;ok\rS2;Dell;ok\r".encode(), 200, None),
        (f'{HEADER_LINE}\rS1;HP;"a\rb"\r'.encode(), 200, None),
        (f'{HEADER_LINE}\r\nS1;HP;"a\r\nb"\r\n'.encode(), 200, None),
        (f'{HEADER_LINE}\nS1;HP;"a\nb"\n'.encode(), 200, None),
        ((HEADER_LINE + "\r\n" + "S;H;ok\r\n" * 9000 + "S;H\0;x\r\n").encode(), 422,
         "unreadable_file"),
        (f"{HEADER_LINE}\r\nS1;HP;{'x' * 200_000}\r\n".encode(), 422, "unreadable_file"),
        (f"{HEADER_LINE}\r\nS1;HP;{'x' * 40_000}\r\n".encode(), 422, "unreadable_file"),
    ],
    ids=["cr-only", "quoted-cr", "quoted-crlf", "quoted-lf", "nul", "over-field-limit",
         "long-cell"],
)  # fmt: skip
def test_the_api_reads_or_refuses_each_csv_never_with_a_500(
    client: TestClient, engine: Engine, data: bytes, status: int, code: str | None
) -> None:
    headers = auth(make_token(engine, role=Role.COORDINATOR))
    donor = client.post("/api/v1/donors", headers=headers, json={"name": "Banque Solidaire"})
    batch = client.post(
        "/api/v1/batches",
        headers=headers,
        json={"donor_id": donor.json()["id"], "pickup_date": "2026-11-02", "site": "Nantes"},
    )
    answer = client.post(
        f"/api/v1/batches/{batch.json()['id']}/import?dry_run=true&category=laptop",
        headers=headers,
        files={"file": ("inventaire.csv", data, "text/csv")},
    )
    assert answer.status_code == status, answer.text
    assert answer.json().get("code") == code
