"""Reading what committees upload: formats, encodings, header rows and formulas. Every bad
file gets a clear message on the upload page, never a 500."""

import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from producers.importing.columns import header_field, mapping_auto
from producers.importing.models import ImportBatch
from producers.importing.reader import ImportFileError, csv_decode
from tests.producers.test_import_builders import (
    KEYS,
    batch_from,
    csv_bytes,
    errors_of,
    notes_of,
    preview_of,
    row,
    row_of,
    table,
    upload_file,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

UPLOAD = reverse("importing:upload")


def post(client, data: bytes, name: str):
    return client.post(UPLOAD, {"file": upload_file(data, name)})


@pytest.fixture
def organiser_client(login, organiser):
    return login(organiser)


# --- Wrong files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("list.pdf", b"%PDF-1.4 nothing", "is not a spreadsheet we read"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel file"),
        ("old.xls", b"just text", "Old Excel files (.xls) are not read"),
        ("sheet.ods", b"PK\x03\x04...", "save it as .xlsx or CSV"),
        ("fake.xlsx", b"Name,Province\n", "is named .xlsx but is not an Excel workbook"),
        ("broken.xlsx", b"PK\x03\x04 broken zip", "not a valid .xlsx workbook"),
        ("empty.csv", b"", "The file is empty"),
        ("blank.csv", b"\xef\xbb\xbf\r\n  \r\n", "The file is empty"),
        ("empty.xlsx", None, "The workbook is empty"),
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_stored(
    organiser_client, name, data, expected
):
    if data is None:
        buffer = io.BytesIO()
        Workbook().save(buffer)
        data = buffer.getvalue()
    response = post(organiser_client, data, name)
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_header_only_file_says_there_are_no_rows(organiser_client):
    response = post(organiser_client, csv_bytes(table([])), "producers.csv")
    assert response.status_code == 400
    assert "There are no rows under the header (row 1)" in response.content.decode()


def test_a_file_without_a_recognisable_header_says_how_to_fix_it(organiser_client):
    data = csv_bytes([["a", "b", "c"], ["1", "2", "3"]])
    response = post(organiser_client, data, "producers.csv")
    assert response.status_code == 400
    assert "We could not find the header row" in response.content.decode()


def test_a_file_over_the_size_limit_is_refused(organiser_client, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = post(organiser_client, csv_bytes(table([row()] * 5)), "producers.csv")
    assert response.status_code == 400
    assert "the largest we read is 100" in response.content.decode()


def test_a_workbook_saved_with_a_csv_name_is_read_as_a_workbook(organiser):
    batch = batch_from(xlsx_bytes(table([row()])), organiser, name="export.csv")
    assert batch.file_format == "xlsx"


def test_a_zip_bomb_workbook_is_refused(organiser_client, monkeypatch):
    monkeypatch.setattr("producers.importing.reader.MAX_XLSX_UNPACKED", 1000)
    response = post(organiser_client, xlsx_bytes(table([row()] * 50)), "big.xlsx")
    assert response.status_code == 400
    assert "which is too large" in response.content.decode()


# --- Encodings ----------------------------------------------------------------------------

VIETNAMESE = row(
    producer_name="Hợp tác xã Nước mắm Phú Quốc",
    village="Dương Tơ",
    province="Kiên Giang",
    phone="0912 345 678",
    product_name="Nước mắm cá cơm 40 độ đạm",
    category="G1.4a",
    unit="lít",
    capacity="2 tấn",
    price="80.000-120.000",
    currency="VNĐ",
)


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter", "expected"),
    [
        ("utf-8", False, ",", "UTF-8"),
        ("utf-8", True, ";", "UTF-8 (with BOM)"),
        ("utf-16", False, "\t", "UTF-16 (with BOM)"),  # Python writes the BOM for "utf-16"
        ("cp1258", False, ";", "Windows-1258 (Vietnamese)"),
    ],
)
def test_csv_encodings_are_detected_named_and_read_correctly(
    organiser, encoding, bom, delimiter, expected
):
    data = csv_bytes(
        table([VIETNAMESE], language="vi"), encoding=encoding, delimiter=delimiter, bom=bom
    )
    batch, preview = preview_of(data, organiser)
    assert batch.encoding == expected
    assert preview["encoding"] == expected
    assert batch.mapping == list(KEYS)
    first = row_of(preview, 2)
    assert first["producer"] == "Hợp tác xã Nước mắm Phú Quốc"
    assert first["product"] == "Nước mắm cá cơm 40 độ đạm"
    assert errors_of(preview, 2) == []


def test_the_preview_page_says_which_encoding_and_separator_were_used(organiser_client):
    data = csv_bytes(table([VIETNAMESE], language="vi"), encoding="cp1258", delimiter=";")
    response = post(organiser_client, data, "ocop.csv")
    page = organiser_client.get(response["Location"]).content.decode()
    assert "Read as CSV in Windows-1258 (Vietnamese), cells separated by semicolon." in page


def test_an_undecodable_csv_says_how_to_save_it():
    with pytest.raises(ImportFileError, match="CSV UTF-8"):
        csv_decode(b"Name,Province\n\x81\x00\x8d\x01\x02\x03 binary \x00\x00" * 5)


def test_a_utf8_bom_file_with_broken_bytes_names_the_position(organiser_client):
    response = post(organiser_client, b"\xef\xbb\xbfName\xff,x\n", "broken.csv")
    assert response.status_code == 400
    assert "byte 5 is not" in response.content.decode()


# --- Headers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Producer name", "producer_name"),
        ("TÊN CHỦ THỂ", "producer_name"),
        ("ten chu the", "producer_name"),
        ("ឈ្មោះអាជីវកម្ម", "producer_name"),
        ("SĐT", "phone"),
        ("Điện thoại", "phone"),
        ("លេខទូរស័ព្ទ", "phone"),
        ("Xã / Phường, thôn", "village"),
        ("Địa chỉ", "village"),
        ("Tỉnh/Thành phố", "province"),
        ("ខេត្ត", "province"),
        ("Giá (VNĐ)", "price"),
        ("Province *", "province"),
        ("Hạng sao", "stars"),
        ("ĐVT", "unit"),
        ("Sản lượng/tháng", "capacity"),
        ("MOQ", "min_order"),
        ("Contact number", None),
        ("STT", None),
    ],
)
def test_headers_are_recognised_in_three_languages_and_with_common_synonyms(header, field):
    assert header_field(header) == field


def test_a_second_column_for_the_same_field_is_ignored_automatically():
    assert mapping_auto(["Province", "Tỉnh", "Phone"]) == ["province", "", "phone"]


def test_a_merged_title_row_above_the_header_is_skipped(organiser):
    data = xlsx_bytes(
        table([row()], language="vi"), title_rows=2, title="DANH SÁCH SẢN PHẨM OCOP 2025"
    )
    batch, preview = preview_of(data, organiser, name="ocop.xlsx")
    assert batch.header_row == 2
    assert batch.mapping == list(KEYS)
    assert [r["n"] for r in preview["rows"]] == [4]
    assert errors_of(preview, 4) == []


# --- Formulas -----------------------------------------------------------------------------


def _with_cached_value(data: bytes, cell: str, value: str) -> bytes:
    """Give a formula cell the value Excel would have saved with it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                start = text.index(f'<c r="{cell}"')
                end = text.index("</c>", start)
                formula = text[text.index("<f>", start) : text.index("</f>", start) + 4]
                text = f'{text[:start]}<c r="{cell}">{formula}<v>{value}</v>{text[end:]}'
                content = text.encode()
            target.writestr(item, content)
    return out.getvalue()


def test_a_formula_without_a_saved_value_is_a_cell_error(organiser):
    data = xlsx_bytes(table([row(capacity="=1+1"), row(product_name="White pepper")]))
    assert load_workbook(io.BytesIO(data))["Sheet1"]["J2"].value == "=1+1"
    _batch, preview = preview_of(data, organiser, name="formulas.xlsx")
    assert errors_of(preview, 2) == [
        (
            "capacity",
            "“=1+1” is a formula with no saved value; formulas are not read, paste values.",
        )
    ]
    assert errors_of(preview, 3) == []


def test_a_formula_with_a_saved_value_uses_it_and_says_so(organiser):
    data = xlsx_bytes(table([row(capacity="=1+1")]))
    data = _with_cached_value(data, "J2", "2")
    _batch, preview = preview_of(data, organiser, name="formulas.xlsx")
    assert errors_of(preview, 2) == [], preview["rows"]
    assert ("capacity", "a formula; its last value “2” was used.") in notes_of(preview, 2)


def test_a_csv_cell_that_is_a_formula_is_a_cell_error(organiser):
    data = csv_bytes(table([row(price="=SUM(A1:A3)")]))
    _batch, preview = preview_of(data, organiser)
    assert errors_of(preview, 2) == [
        ("price", "“=SUM(A1:A3)” is a formula; formulas are not read, paste values.")
    ]


def test_an_excel_error_value_is_a_cell_error(organiser):
    data = xlsx_bytes(table([row(price="#N/A")]))
    _batch, preview = preview_of(data, organiser, name="errors.xlsx")
    assert errors_of(preview, 2) == [("price", "“#N/A” is an Excel error; fix the formula.")]
