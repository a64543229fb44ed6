"""Builders shared by the import tests (this module holds no tests): spreadsheet files made
in code, CSV in any encoding and XLSX through openpyxl, and short-cuts through the import's
services."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from producers.importing import services
from producers.importing.columns import BY_KEY

# A valid row for a Cambodian producer, by field key.
KAMPOT = {
    "producer_name": "Kampot Pepper Cooperative",
    "kind": "cooperative",
    "village": "Trapeang Sangke",
    "province": "Kampot",
    "phone": "+855 12 345 678",
    "email": "",
    "product_name": "Kampot black pepper",
    "category": "G1.4b",
    "unit": "kg",
    "capacity": "2 t",
    "min_order": "10",
    "price": "12-15",
    "currency": "USD",
    "stars": "",
    "certifications": "",
}
KEYS = tuple(KAMPOT)


def headers(keys: Sequence[str] = KEYS, language: str = "en") -> list[str]:
    return [BY_KEY[key].headers[language] for key in keys]


def row(**overrides) -> dict[str, object]:
    return {**KAMPOT, **overrides}


def table(rows: Iterable[dict], keys: Sequence[str] = KEYS, language: str = "en") -> list[list]:
    return [headers(keys, language), *([r.get(key, "") for key in keys] for r in rows)]


def csv_bytes(
    cells: list[list], *, encoding: str = "utf-8", delimiter: str = ",", bom: bool = False
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    for cells_row in cells:
        writer.writerow(["" if value is None else value for value in cells_row])
    text = buffer.getvalue()
    data = cp1258_encode(text) if encoding == "cp1258" else text.encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    return data


def cp1258_encode(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: a base letter (with its breve,
    circumflex or horn) and then the tone as a combining mark."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize(
            "NFC", "".join(mark for mark in decomposed if mark not in tones)
        )
        out += base.encode("cp1258")
        out += "".join(mark for mark in decomposed if mark in tones).encode("cp1258")
    return bytes(out)


def xlsx_bytes(cells: list[list], *, title_rows: int = 0, title: str = "") -> bytes:
    """A workbook whose first sheet holds `cells`, below `title_rows` rows of which the first
    is a title merged across the columns (as committees' sheets often have)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    width = max(len(cells_row) for cells_row in cells)
    for index in range(title_rows):
        sheet.append([title if index == 0 else None])
    if title_rows:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for cells_row in cells:
        sheet.append(list(cells_row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload_file(data: bytes, name: str = "producers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def batch_from(data: bytes, user, name: str = "producers.csv"):
    return services.import_batch_create(upload=upload_file(data, name), user=user)


def preview_of(data: bytes, user, name: str = "producers.csv") -> tuple[object, dict]:
    batch = batch_from(data, user, name)
    return batch, services.import_preview(batch)


def issues_of(preview: dict, number: int) -> list[tuple[str, str, bool]]:
    """The (field, message, is error) issues of the row with that spreadsheet number."""
    for preview_row in preview["rows"]:
        if preview_row["n"] == number:
            return [tuple(issue) for issue in preview_row["issues"]]
    raise AssertionError(f"no row {number} in the preview")


def errors_of(preview: dict, number: int) -> list[tuple[str, str]]:
    return [(key, message) for key, message, error in issues_of(preview, number) if error]


def notes_of(preview: dict, number: int) -> list[tuple[str, str]]:
    return [(key, message) for key, message, error in issues_of(preview, number) if not error]


def row_of(preview: dict, number: int) -> dict:
    return next(r for r in preview["rows"] if r["n"] == number)
