"""Reading an uploaded CSV or XLSX file into rows of cells, whatever produced it.

CSV files come from Excel, LibreOffice and Google Sheets in several encodings (UTF-8 with
or without a BOM, UTF-16 from Excel's "Unicode text", Windows-1258 from older Vietnamese
Windows) and with ",", ";" or tab between cells. XLSX files are read with the values Excel
last computed (`data_only`); a formula without such a value cannot be read, and its cell
says so. Above the header there may be title rows, often merged across the columns: the
header is the first row that names at least three known columns.

Whole-file problems raise ImportFileError, with a message the organiser can act on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from producers.importing.cells import cell_text
from producers.importing.columns import HEADER_MIN_FIELDS, HEADER_SEARCH_ROWS, header_row_find

CSV_EXTENSIONS = {"csv", "tsv", "txt"}
XLSX_EXTENSIONS = {"xlsx", "xlsm"}
MAX_ROWS = 50_000
# An XLSX file is a zip: refuse archives that unpack to far more than any real sheet.
MAX_XLSX_UNPACKED = 300 * 1024 * 1024


def max_upload_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024 * 1024)


class ImportFileError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _EmptySheet(ImportFileError):
    pass


class _NoHeader(ImportFileError):
    pass


@dataclass
class Sheet:
    """The rows of one sheet from its header on, with how the file was read."""

    file_format: str
    headers: list[str]
    # (row number as the spreadsheet shows it, cells), for rows with something in them.
    rows: list[tuple[int, list[object]]]
    header_row: int = 0  # 0-based
    encoding: str = ""
    delimiter: str = ""
    sheet_name: str = ""
    # Per (row number, column index): why a cell cannot be read, or a note about it.
    cell_errors: dict[tuple[int, int], str] = field(default_factory=dict)
    cell_notes: dict[tuple[int, int], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def delimiter_display(self) -> str:
        return {"\t": _("tab"), ",": _("comma"), ";": _("semicolon")}.get(
            self.delimiter, self.delimiter
        )


# --- Which format ---------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def file_format_detect(name: str, head: bytes) -> str:
    """ "csv" or "xlsx", from the name and the first bytes; ImportFileError otherwise."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if head.startswith(_OLE_MAGIC):
        raise ImportFileError(
            _(
                "“%(name)s” is an old Excel file (.xls) or a password-protected workbook. "
                "Open it in Excel or LibreOffice and save it as .xlsx or CSV (UTF-8), "
                "without a password."
            )
            % {"name": name}
        )
    if extension == "xls":
        raise ImportFileError(
            _("Old Excel files (.xls) are not read. Save “%(name)s” as .xlsx or CSV (UTF-8).")
            % {"name": name}
        )
    if extension in {"ods", "numbers"}:
        raise ImportFileError(
            _("“%(name)s” is not read: save it as .xlsx or CSV (UTF-8) first.") % {"name": name}
        )
    if extension in XLSX_EXTENSIONS:
        if not head.startswith(_ZIP_MAGIC):
            raise ImportFileError(
                _(
                    "“%(name)s” is named .xlsx but is not an Excel workbook. Open it in your "
                    "spreadsheet program and save it again as .xlsx or CSV."
                )
                % {"name": name}
            )
        return "xlsx"
    if extension in CSV_EXTENSIONS:
        # A workbook renamed to .csv is still a workbook.
        return "xlsx" if head.startswith(_ZIP_MAGIC) else "csv"
    raise ImportFileError(
        _("“%(name)s” is not a spreadsheet we read: upload an .xlsx or .csv file.") % {"name": name}
    )


def sheet_read(handle: IO[bytes], file_format: str) -> Sheet:
    if file_format == "xlsx":
        return _xlsx_read(handle)
    return _csv_read(handle.read())


# --- CSV ------------------------------------------------------------------------------------

_CONTROL_OK = {"\t", "\n", "\r"}
# Letters Windows-1258 gives bytes that Vietnamese text rarely contains; many of them mean
# the file was something else.
_CP1258_UNLIKELY = set("ƒ†‡ˆ‰‹›ŒœŸ¤¦¨¯´¸¹²³¼½¾×÷¬")


def csv_decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in (named for people)."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode_or_fail(data[3:], "utf-8"), _("UTF-8 (with BOM)")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_or_fail(data, "utf-16"), _("UTF-16 (with BOM)")
    try:
        return data.decode("utf-8"), _("UTF-8")
    except UnicodeDecodeError:
        pass
    if data[:200].count(b"\x00") > 20:
        for codec in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if _plausible(text):
                return text, _("UTF-16")
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        text = None
    if text is not None and _plausible(text, unlikely=_CP1258_UNLIKELY):
        # Windows-1258 writes most Vietnamese tones as combining marks after the letter.
        return unicodedata.normalize("NFC", text), _("Windows-1258 (Vietnamese)")
    raise ImportFileError(
        _(
            "We could not tell how this CSV file's text is encoded (it is not UTF-8, UTF-16 or "
            "Windows-1258). In Excel choose “Save as” → “CSV UTF-8”, or upload it as .xlsx."
        )
    )


def _decode_or_fail(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "This CSV file says it is %(encoding)s but byte %(position)s is not. Save it "
                "again as “CSV UTF-8”, or upload it as .xlsx."
            )
            % {"encoding": codec.upper(), "position": exc.start + 1}
        ) from None


def _plausible(text: str, *, unlikely: set[str] = frozenset()) -> bool:
    sample = text[:20000]
    if not sample.strip():
        return False
    odd = 0
    for char in sample:
        if unicodedata.category(char) == "Cc" and char not in _CONTROL_OK:
            return False
        if char in unlikely:
            odd += 1
    return odd <= max(2, len(sample) // 200)


def _delimiter_guess(text: str) -> str:
    lines = [line for line in text.splitlines()[: HEADER_SEARCH_ROWS + 20] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t"):
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        wide = [count for count in counts if count > 1]
        if not wide:
            continue
        common = max(set(wide), key=wide.count)
        score = (wide.count(common), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# What our export puts before a cell that a spreadsheet would take for a formula.
_ESCAPED = re.compile(r"^'(?=[=+\-@\t\r])")


def _csv_read(data: bytes) -> Sheet:
    if not data.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise ImportFileError(_("The file is empty."))
    text, encoding = csv_decode(data)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    delimiter = _delimiter_guess(text)
    formulas: dict[tuple[int, int], str] = {}

    def rows() -> Iterator[tuple[int, list[object]]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, record in enumerate(_limited(reader), start=1):
            cells: list[object] = []
            for index, raw in enumerate(record):
                value = raw.strip()
                if _ESCAPED.match(value):
                    value = value[1:]  # escaped by an export: text, not a formula
                elif value.startswith("="):
                    formulas[(number, index)] = _(
                        "“%(value)s” is a formula; formulas are not read, paste values."
                    ) % {"value": value[:40]}
                cells.append(value or None)
            yield number, cells

    try:
        sheet = _sheet_from(rows(), file_format="csv")
    except csv.Error as exc:
        raise ImportFileError(
            _("The CSV file cannot be read: %(reason)s.") % {"reason": exc}
        ) from None
    sheet.encoding, sheet.delimiter = encoding, delimiter
    sheet.cell_errors.update(formulas)
    return sheet


def _limited(records: Iterable[list[str]]) -> Iterator[list[str]]:
    for count, record in enumerate(records):
        if count > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise ImportFileError(_too_many_rows())
        yield record


def _too_many_rows() -> str:
    return _("The file has more than %(max)s rows; split it into smaller files.") % {
        "max": f"{MAX_ROWS:,}"
    }


# --- XLSX -----------------------------------------------------------------------------------


def _xlsx_read(handle: IO[bytes]) -> Sheet:
    from openpyxl import load_workbook

    data = handle.read()
    if not data:
        raise ImportFileError(_("The file is empty."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
        names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        raise ImportFileError(
            _("This file is not a valid .xlsx workbook: it may be damaged or incomplete.")
        ) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise ImportFileError(
            _("This workbook unpacks to %(size)s, which is too large; split it.")
            % {"size": filesizeformat(unpacked)}
        )
    if "mimetype" in names and "xl/workbook.xml" not in names:
        raise ImportFileError(_("This is not an Excel workbook: save it as .xlsx or CSV."))
    has_formulas = any(
        re.search(rb"<(?:\w+:)?f[ >/]", archive.read(name))
        for name in names
        if name.startswith("xl/worksheets/") and name.endswith(".xml")
    )
    try:
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = (
            load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            if has_formulas
            else None
        )
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        raise ImportFileError(
            _("This file is not a valid .xlsx workbook: it may be damaged or incomplete.")
        ) from None
    try:
        found_rows = False
        for sheet_name in values.sheetnames:
            worksheet = values[sheet_name]
            if not hasattr(worksheet, "iter_rows"):  # a chart sheet
                continue
            rows = _xlsx_rows(worksheet, formulas[sheet_name] if formulas else None)
            try:
                sheet = _sheet_from(rows, file_format="xlsx")
            except _EmptySheet:
                continue
            except _NoHeader:
                found_rows = True
                continue
            sheet.sheet_name = sheet_name
            if len(values.sheetnames) > 1:
                sheet.notes.append(_("Read the sheet “%(sheet)s”.") % {"sheet": sheet_name})
            _formula_cells_note(sheet)
            return sheet
    finally:
        values.close()
        if formulas is not None:
            formulas.close()
    if not found_rows:
        raise ImportFileError(_("The workbook is empty."))
    raise _no_header_error()


_FORMULA = "\x00formula\x00"


def _xlsx_rows(worksheet, formulas_sheet) -> Iterator[tuple[int, list[object]]]:
    worksheet.reset_dimensions()
    value_rows = worksheet.iter_rows(values_only=True)
    if formulas_sheet is None:
        for number, row in enumerate(value_rows, start=1):
            if number > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise ImportFileError(_too_many_rows())
            yield number, [_xlsx_value(value) for value in row]
        return
    formulas_sheet.reset_dimensions()
    formula_rows = formulas_sheet.iter_rows(values_only=True)
    for number, row in enumerate(value_rows, start=1):
        if number > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise ImportFileError(_too_many_rows())
        written = next(formula_rows, ())
        cells = []
        for index, value in enumerate(row):
            formula = written[index] if index < len(written) else None
            if isinstance(formula, str) and formula.startswith("="):
                # Mark the cell: the sheet turns this into an error or a note below.
                cells.append((_FORMULA, formula, _xlsx_value(value)))
            else:
                cells.append(_xlsx_value(value))
        yield number, cells


def _xlsx_value(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _formula_cells_note(sheet: Sheet) -> None:
    """Replace formula markers by their cached value (with a note) or an error."""
    for number, cells in sheet.rows:
        for index, value in enumerate(cells):
            if isinstance(value, tuple) and value and value[0] == _FORMULA:
                _marker, formula, cached = value
                cells[index] = cached
                if cached is None:
                    sheet.cell_errors[(number, index)] = _(
                        "“%(formula)s” is a formula with no saved value; formulas are not "
                        "read, paste values."
                    ) % {"formula": formula[:40]}
                else:
                    sheet.cell_notes[(number, index)] = _(
                        "a formula; its last value “%(value)s” was used."
                    ) % {"value": cell_text(cached)}


# --- Header and rows ------------------------------------------------------------------------


def _no_header_error() -> ImportFileError:
    return _NoHeader(
        _(
            "We could not find the header row: none of the first %(rows)s rows names at least "
            "%(count)s columns we know (such as producer name, province and product name). "
            "Start from the template, or name the columns in the first row."
        )
        % {"rows": HEADER_SEARCH_ROWS, "count": HEADER_MIN_FIELDS}
    )


def _is_blank(cells: list[object]) -> bool:
    return all(cell is None or cell == "" for cell in cells)


def _sheet_from(rows: Iterable[tuple[int, list[object]]], *, file_format: str) -> Sheet:
    rows = iter(rows)
    head: list[tuple[int, list[object]]] = []
    for number, cells in rows:
        head.append((number, cells))
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    if all(_is_blank(cells) for _number, cells in head):
        raise _EmptySheet(_("The file is empty."))
    header_at = header_row_find([[_plain(cell) for cell in cells] for _n, cells in head])
    if header_at is None:
        raise _no_header_error()
    header_cells = [cell_text(_plain(cell)) for cell in head[header_at][1]]
    while header_cells and not header_cells[-1]:
        header_cells.pop()
    width = len(header_cells)
    data = []
    for number, cells in (*head[header_at + 1 :], *rows):
        cells = list(cells[:width]) + [None] * (width - len(cells))
        if not _is_blank([_plain(cell) for cell in cells]):
            data.append((number, cells))
    if not data:
        raise ImportFileError(
            _("There are no rows under the header (row %(row)s): the file has nothing to import.")
            % {"row": head[header_at][0]}
        )
    if len(data) > MAX_ROWS:
        raise ImportFileError(_too_many_rows())
    return Sheet(
        file_format=file_format,
        headers=header_cells,
        rows=data,
        header_row=head[header_at][0] - 1,
    )


def _plain(cell: object) -> object:
    if isinstance(cell, tuple) and cell and cell[0] == _FORMULA:
        return cell[2] if cell[2] is not None else cell[1]
    return cell
