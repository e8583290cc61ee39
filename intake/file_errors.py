"""Why an uploaded asset list cannot be read, each with what the volunteer can do about it.

All are `UnreadableFile` (422, code "unreadable_file"): the file as a whole is refused
before any row is imported.
"""

from __future__ import annotations

from db.errors import N_, Invalid


class UnreadableFile(Invalid):
    code = "unreadable_file"
    message = N_("This file cannot be read as an asset list.")


class EmptyFile(UnreadableFile):
    message = N_("The file is empty.")


class NotATable(UnreadableFile):
    message = N_(
        "This is neither a CSV nor an Excel (.xlsx) file: "
        "open it in your spreadsheet and save it as .xlsx or CSV."
    )


class OldExcelFile(UnreadableFile):
    message = N_(
        "This is an old Excel file (.xls) or a password-protected one: open it in Excel "
        "or LibreOffice and save it as .xlsx (without a password) or CSV."
    )


class OpenDocumentFile(UnreadableFile):
    message = N_(
        "This is a LibreOffice spreadsheet (.ods): save it as .xlsx or CSV "
        "(File › Save as), then send that file."
    )


class NoHeader(UnreadableFile):
    message = N_(
        "No header row found in the first 30 rows: the file needs a column for the serial "
        "number or the IMEI (for example “N° de série”, “Serial” or “IMEI”) and at least "
        "one other known column, such as “Marque” or “Modèle”."
    )


class DuplicateColumn(UnreadableFile):
    message = N_(
        "Two columns are both read as “%(field)s”: “%(first)s” and “%(second)s”. "
        "Rename or remove one."
    )


class CellTooLong(UnreadableFile):
    message = N_(
        "Row %(row)s, column %(column)s holds more than %(limit)s characters, more than "
        "a spreadsheet cell can: shorten that cell or empty it, then send the file again."
    )


# --- CSV ----------------------------------------------------------------------------


class BrokenRow(UnreadableFile):
    message = N_(
        "Row %(row)s cannot be read as CSV: check its quotes. A cell that starts with a "
        'quote (") must end with one, and a quote inside such a cell is written twice ("").'
    )


class RowTooLong(BrokenRow):
    message = N_(
        "Row %(row)s runs over %(limit)s characters, far longer than a row of an asset "
        'list: check its quotes (a cell that starts with a quote (") must end with one, '
        "or it swallows the rows after it), and shorten its longest cells."
    )


class NulCharacter(UnreadableFile):
    message = N_(
        "Row %(row)s holds a NUL character, which no text file does: the file is damaged "
        "or is not a CSV. Save the list again from your spreadsheet as CSV or .xlsx."
    )


# --- XLSX: what a workbook may unpack to ----------------------------------------------


class UnpacksTooLarge(UnreadableFile):
    message = N_(
        "This file unpacks to more than %(limit)s MB: it is not an ordinary asset list. "
        "Remove its images and the sheets you do not need, or save the list as CSV, "
        "then send it again."
    )


class CompressedTooFar(UnreadableFile):
    message = N_(
        "The part “%(part)s” of this file unpacks to %(ratio)s times its packed size, "
        "which no spreadsheet writes: it is not an ordinary asset list. Open the file in "
        "your spreadsheet, save it again as .xlsx or CSV, and send that file."
    )


class PartTooLarge(UnreadableFile):
    message = N_(
        "The part “%(part)s” of this file is larger than %(limit)s MB, far more than an "
        "asset list needs: save the list again from your spreadsheet as .xlsx or CSV, "
        "without images, charts or extra sheets."
    )


class SharedTextTooLong(UnreadableFile):
    message = N_(
        "Text no. %(index)s of the workbook's shared texts (xl/sharedStrings.xml, counted "
        "from 0) holds more than %(limit)s characters, more than a spreadsheet cell can: "
        "find the cell that long, shorten it or empty it, then send the file again."
    )


class OutsideGrid(UnreadableFile):
    message = N_(
        "The cell %(cell)s lies beyond a spreadsheet's last row (1048576) or last column "
        "(XFD): no spreadsheet writes that. Open the file in your spreadsheet, save it "
        "again as .xlsx or CSV, and send that file."
    )


class DamagedWorkbook(UnreadableFile):
    message = N_(
        "This Excel file is damaged: its part “%(part)s” cannot be read. Open it in your "
        "spreadsheet, save it again as .xlsx or CSV, and send that file."
    )
