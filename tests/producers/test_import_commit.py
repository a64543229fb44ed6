"""The commit: a whole file in one transaction or nothing; re-imports and round trips that
change nothing; imported listings in the review queue (or approved directly); producers who
have claimed their business keep their own details."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from producers.importing import services
from producers.importing.export import catalogue_rows, xlsx_bytes
from producers.importing.export import csv_bytes as export_csv
from producers.importing.models import ImportBatch
from producers.importing.services import ImportRefused, import_batch_commit
from producers.importing.validate import producer_key
from producers.models import HeldCertification, Producer, Product
from tests.factories import ProducerFactory, ProductFactory
from tests.producers.test_import_builders import (
    batch_from,
    csv_bytes,
    preview_of,
    row,
    row_of,
    table,
    upload_file,
)
from tests.producers.test_import_builders import (
    xlsx_bytes as xlsx_file,
)

pytestmark = pytest.mark.django_db

Status = Product.Status

FILE = [
    row(certifications="VIETGAP (2035-06-30)", stars="4", min_order="10 kg"),
    row(product_name="Kampot red pepper", price="25-30"),
    row(
        producer_name="HTX Nước mắm Phú Quốc",
        kind="",
        village="Dương Tơ",
        province="Kien Giang",
        phone="0912 345 678",
        email="htx@example.org",
        product_name="Nước mắm cá cơm",
        category="G1.4a",
        unit="lít",
        capacity="2 tấn",
        min_order="",
        price="80.000-120.000",
        currency="VND",
    ),
]


def import_file(user, data, name="producers.csv", approve=False):
    batch = batch_from(data, user, name)
    return batch, import_batch_commit(batch=batch, user=user, approve_directly=approve)


def snapshot():
    """Everything an import can write, to compare before and after."""
    return (
        list(Producer.objects.order_by("pk").values()),
        list(Product.objects.order_by("pk").values()),
        list(HeldCertification.objects.order_by("pk").values()),
    )


def test_a_file_creates_producers_and_listings_waiting_for_review(organiser):
    _batch, result = import_file(organiser, csv_bytes(table(FILE)))
    assert (result.producers_created, result.products_created) == (2, 3)
    kampot = Producer.objects.get(name="Kampot Pepper Cooperative")
    assert kampot.members.count() == 0
    assert kampot.import_key == producer_key(
        name="kampot pepper cooperative", province_code="KH-7", phone="012345678"
    )
    pepper = Product.objects.get(name="Kampot black pepper")
    assert pepper.status == Status.SUBMITTED and pepper.submitted_at is not None
    assert pepper.photos.count() == 0
    assert (pepper.capacity, pepper.capacity_unit.code, pepper.capacity_base) == (
        Decimal("2"),
        "t",
        Decimal("2000"),
    )
    assert (pepper.min_order, pepper.min_order_base) == (Decimal("10"), Decimal("10"))
    assert pepper.stars == 4
    assert " kampot black pepper " in pepper.search_text
    held = pepper.certifications.get()
    assert (held.certification.code, held.expires_on, held.verified_at) == (
        "VIETGAP",
        dt.date(2035, 6, 30),
        None,
    )
    assert held.evidence.name == f"evidence/imports/{_batch.pk}.pdf"
    assert held.evidence.open("rb").read(5) == b"%PDF-"
    fish = Producer.objects.get(name="HTX Nước mắm Phú Quốc")
    assert (fish.kind, fish.province.code) == ("cooperative", "VN-NEW-44")
    sauce = fish.products.get()
    assert (sauce.price_min, sauce.price_max, sauce.currency) == (
        Decimal("80000"),
        Decimal("120000"),
        "VND",
    )
    # The imported listings are in the organisers' review queue.
    assert Product.objects.filter(status=Status.SUBMITTED).count() == 3


def test_approve_directly_makes_the_listings_public(organiser, client):
    _batch, result = import_file(organiser, csv_bytes(table(FILE)), approve=True)
    assert result.approved
    assert set(Product.objects.values_list("status", flat=True)) == {Status.APPROVED}
    assert set(Product.objects.values_list("reviewed_by", flat=True)) == {organiser.pk}
    page = client.get(reverse("catalogue:list")).content.decode()
    assert "Kampot black pepper" in page


def test_the_uploaded_file_is_deleted_once_imported(organiser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch, _result = import_file(organiser, csv_bytes(table(FILE)))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert not batch.file
    assert len(batch.producer_ids) == 2


def test_a_file_cannot_be_imported_twice(organiser):
    batch, _result = import_file(organiser, csv_bytes(table(FILE)))
    with pytest.raises(ImportRefused, match="imported already"):
        import_batch_commit(batch=batch, user=organiser)


def test_reimporting_the_same_file_creates_no_duplicates(organiser):
    data = csv_bytes(table(FILE))
    import_file(organiser, data)
    before = snapshot()
    batch, preview = preview_of(data, organiser)
    assert preview["counts"]["producers_new"] == 0
    assert preview["counts"]["products_new"] == 0
    assert preview["counts"]["products_unchanged"] == 3
    assert {row_["pa"] for row_ in preview["rows"]} == {"matched"}
    result = import_batch_commit(batch=batch, user=organiser)
    assert (result.producers_created, result.products_created, result.products_updated) == (
        0,
        0,
        0,
    )
    assert snapshot() == before


def test_a_reimport_finds_producers_however_names_and_phones_are_written(organiser):
    import_file(organiser, csv_bytes(table(FILE)))
    again = [
        row(producer_name="KAMPOT pepper cooperative", phone="012 345 678"),
        {**FILE[2], "province": "An Giang", "phone": "+84 912 345 678"},
    ]
    _batch, preview = preview_of(csv_bytes(table(again)), organiser)
    assert preview["counts"]["producers_new"] == 0
    assert preview["counts"]["products_new"] == 0


def test_a_changed_row_updates_the_listing_in_the_queue(organiser):
    import_file(organiser, csv_bytes(table(FILE)))
    changed = [row(price="13-16", certifications="VIETGAP (2035-06-30)", stars="4")]
    batch, preview = preview_of(csv_bytes(table(changed)), organiser)
    assert row_of(preview, 2)["a"] == "updated"
    assert row_of(preview, 2)["changes"] == ["price_min", "price_max"]
    import_batch_commit(batch=batch, user=organiser)
    pepper = Product.objects.get(name="Kampot black pepper")
    assert (pepper.price_min, pepper.price_max, pepper.status) == (
        Decimal("13"),
        Decimal("16"),
        Status.SUBMITTED,
    )


def test_a_change_to_a_public_listing_waits_for_review_in_a_revision(organiser):
    import_file(organiser, csv_bytes(table(FILE)), approve=True)
    batch, _preview = preview_of(csv_bytes(table([row(price="13-16")])), organiser)
    import_batch_commit(batch=batch, user=organiser)
    public = Product.objects.get(name="Kampot black pepper", revision_of__isnull=True)
    assert (public.status, public.price_min) == (Status.APPROVED, Decimal("12"))
    revision = public.pending_revision
    assert (revision.status, revision.price_min) == (Status.SUBMITTED, Decimal("13"))
    # The same file again changes nothing; nor does the old one (the public content).
    for data in (csv_bytes(table([row(price="13-16")])), csv_bytes(table([row()]))):
        _batch, preview = preview_of(data, organiser)
        assert row_of(preview, 2)["a"] == "unchanged", preview["rows"]


def test_a_producer_who_claimed_their_business_keeps_their_own_details(organiser, alice):
    producer = ProducerFactory(
        name="Kampot Pepper Cooperative", phone="+855 12 345 678", village="Mine", members=[alice]
    )
    ProductFactory(producer=producer, name="Kampot black pepper", approved=True)
    batch, preview = preview_of(
        csv_bytes(table([row(), row(product_name="Long pepper")])), organiser
    )
    first = row_of(preview, 2)
    assert first["pa"] == "matched"
    assert first["a"] == "kept"
    assert row_of(preview, 3)["a"] == "new"
    import_batch_commit(batch=batch, user=organiser)
    producer.refresh_from_db()
    assert producer.village == "Mine"
    assert Product.objects.get(name="Kampot black pepper").price_min == Decimal("12.50")
    assert Product.objects.get(name="Long pepper").status == Status.SUBMITTED


def test_a_file_with_errors_writes_nothing(organiser):
    before = snapshot()
    batch = batch_from(csv_bytes(table([*FILE, row(province="Atlantis")])), organiser)
    with pytest.raises(ImportRefused, match="1 row has errors"):
        import_batch_commit(batch=batch, user=organiser)
    assert snapshot() == before
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.UPLOADED


def test_a_failure_in_the_middle_of_a_commit_leaves_the_database_as_it_was(organiser, monkeypatch):
    import_file(organiser, csv_bytes(table(FILE[:1])))
    before = snapshot()
    real = services._products_create

    def fail_after_creating(*args, **kwargs):
        real(*args, **kwargs)  # producers and listings are written by now...
        assert Product.objects.count() > len(before[1])
        raise DatabaseError("disk full")  # ...and then something fails

    monkeypatch.setattr(services, "_products_create", fail_after_creating)
    more = [*FILE, row(product_name="Long pepper"), row(price="99-100")][1:]
    batch = batch_from(csv_bytes(table(more)), organiser)
    with pytest.raises(DatabaseError):
        import_batch_commit(batch=batch, user=organiser)
    assert snapshot() == before
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UPLOADED and batch.file


def test_a_failure_when_approving_directly_rolls_everything_back(organiser, monkeypatch):
    import_file(organiser, csv_bytes(table(FILE[:1])))
    before = snapshot()

    def refuse(**kwargs):
        raise services.listing_services.ListingError("Only organisers review listings.")

    monkeypatch.setattr(services.listing_services, "product_approve", refuse)
    batch = batch_from(csv_bytes(table([row(price="99-100"), *FILE[1:]])), organiser)
    with pytest.raises(ImportRefused, match="Only organisers review listings"):
        import_batch_commit(batch=batch, user=organiser, approve_directly=True)
    assert snapshot() == before


# --- Round trip ------------------------------------------------------------------------------


def _catalogue(**kwargs) -> list[list]:
    return list(catalogue_rows(**kwargs))


@pytest.mark.parametrize("language", ["en", "km", "vi"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(organiser, language, file_format, alice):
    import_file(organiser, csv_bytes(table(FILE)), approve=True)
    # A producer who signed up on their own, with a listing of every kind of value.
    own = ProducerFactory(name="=cmd|' /C calc'!A0", phone="+855 97 000 001", members=[alice])
    ProductFactory(
        producer=own,
        name="+Salted crab",
        description="- line one\n- line two",
        approved=True,
        min_order=None,
        price_min=None,
        price_max=None,
        months_mask=0b000000001111,
    )
    ProductFactory(producer=own, name="@Draft listing", capacity=Decimal("2.125"))
    ProducerFactory(name="Alone Household", kind="household", phone="")
    rows = _catalogue(language=language, all_statuses=True, include_private=True)
    data = export_csv(rows) if file_format == "csv" else xlsx_bytes(rows)
    before = snapshot()
    batch, preview = preview_of(data, organiser, name=f"export.{file_format}")
    assert preview["file_errors"] == []
    assert preview["counts"]["rows_with_errors"] == 0, [r for r in preview["rows"] if r["issues"]]
    assert preview["counts"]["producers_new"] == 0
    assert preview["counts"]["producers_updated"] == 0
    assert preview["counts"]["products_new"] == 0
    assert preview["counts"]["products_updated"] == 0
    assert preview["counts"]["products_unchanged"] == 5
    import_batch_commit(batch=batch, user=organiser)
    assert snapshot() == before


def test_the_public_export_has_approved_listings_without_contact_details(client, organiser):
    import_file(organiser, csv_bytes(table(FILE)))
    Product.objects.filter(name="Kampot black pepper").update(status=Status.APPROVED)
    response = client.get(reverse("importing:export") + "?format=csv&status=all")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Kampot black pepper" in text
    assert "Kampot red pepper" not in text
    assert "Phone" not in text and "+855" not in text


def test_the_organiser_export_has_every_listing_and_contact(login, organiser):
    import_file(organiser, csv_bytes(table(FILE)))
    response = login(organiser).get(
        reverse("importing:export") + "?format=xlsx&status=all&language=vi"
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert values[0][:4] == ["Tên chủ thể", "Loại hình", "Xã/phường, thôn", "Tỉnh/thành phố"]
    assert len(values) == 4
    assert any("+855 12 345 678" in line for line in values)


def test_csv_exports_escape_cells_a_spreadsheet_would_run_as_formulas(organiser, alice):
    producer = ProducerFactory(name='=HYPERLINK("http://evil")', phone="+855 1", members=[alice])
    ProductFactory(producer=producer, name="@SUM(1)", description="-2+3", approved=True)
    text = export_csv(_catalogue(language="en", include_private=True)).decode("utf-8-sig")
    line = text.splitlines()[1]
    assert line.startswith('"\'=HYPERLINK(""http://evil"")"')
    assert ",'+855 1," in line
    assert ",'@SUM(1)," in line and ",'-2+3," in line


def test_xlsx_exports_write_text_cells_never_formulas(organiser, alice):
    producer = ProducerFactory(name="=1+1", members=[alice])
    ProductFactory(producer=producer, name="Pepper", approved=True)
    data = xlsx_bytes(_catalogue(language="en", include_private=True))
    from openpyxl import load_workbook

    cell = load_workbook(io.BytesIO(data)).active["A2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")


def test_templates_have_translated_headers_and_read_back_with_every_column(login, organiser):
    client = login(organiser)
    from openpyxl import load_workbook

    for language, first in (("en", "Producer name"), ("km", "ឈ្មោះអាជីវកម្ម"), ("vi", "Tên chủ thể")):
        response = client.get(reverse("importing:template", args=[language, "xlsx"]))
        workbook = load_workbook(io.BytesIO(response.content))
        header = [cell.value for cell in workbook.worksheets[0][1]]
        assert header[0] == first
        assert len(workbook.worksheets) == 3
        csv_response = client.get(reverse("importing:template", args=[language, "csv"]))
        assert csv_response.content.decode("utf-8-sig").startswith(first)
        filled = xlsx_file([header, [None] * len(header)])
        workbook = load_workbook(io.BytesIO(filled))
        from producers.importing.columns import mapping_auto

        assert "" not in mapping_auto(header)


def test_certifications_without_expiry_get_a_year_and_new_dates_need_verifying(organiser):
    import_file(organiser, csv_bytes(table([row(certifications="HACCP")])))
    held = HeldCertification.objects.get()
    assert held.expires_on == timezone.localdate() + dt.timedelta(days=365)
    HeldCertification.objects.update(verified_at=timezone.now())
    # Without a date, the same certification is unchanged; with a new date it is updated.
    _batch, preview = preview_of(csv_bytes(table([row(certifications="HACCP")])), organiser)
    assert row_of(preview, 2)["a"] == "unchanged"
    batch, _preview = preview_of(
        csv_bytes(table([row(certifications="HACCP (2036-01-31)")])), organiser
    )
    import_batch_commit(batch=batch, user=organiser)
    held = HeldCertification.objects.get()
    assert (held.expires_on, held.verified_at) == (dt.date(2036, 1, 31), None)


def test_the_commit_page_flow(login, organiser):
    client = login(organiser)
    response = client.post(
        reverse("importing:upload"), {"file": upload_file(csv_bytes(table(FILE)))}
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("importing:preview", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Import 3 rows" in page
    response = client.post(reverse("importing:commit", args=[batch.pk]), {})
    assert response["Location"] == reverse("importing:done", args=[batch.pk])
    done = client.get(response["Location"]).content.decode()
    assert "<strong>2</strong>new producers" in done
    assert "review queue" in done
    # The preview of a committed file goes to its result.
    assert client.get(reverse("importing:preview", args=[batch.pk]))["Location"].endswith("/done/")


def test_a_refused_commit_shows_the_errors(login, organiser):
    client = login(organiser)
    client.post(
        reverse("importing:upload"),
        {"file": upload_file(csv_bytes(table([row(capacity="2 bao")])))},
    )
    batch = ImportBatch.objects.get()
    response = client.post(reverse("importing:commit", args=[batch.pk]), follow=True)
    page = response.content.decode()
    assert "Nothing was imported: 1 row has errors." in page
    assert "Row 2, monthly capacity: “2 bao” is not a number with a unit we know" in page
    assert not Producer.objects.exists()


def test_two_producers_of_the_file_cannot_both_be_one_registered_producer(organiser):
    ProducerFactory(name="Kampot Pepper Cooperative", phone="")
    data = csv_bytes(
        table([row(phone="012 111 111"), row(phone="012 222 222", product_name="White pepper")])
    )
    _batch, preview = preview_of(data, organiser)
    [(field, message)] = [(key, text) for key, text, error in row_of(preview, 3)["issues"] if error]
    assert field == "phone"
    assert message.startswith("this row and row 2 give different phones for what is one")


def test_a_file_without_a_required_column_is_refused_with_the_reason(organiser):
    keys = ("producer_name", "kind", "village", "phone", "product_name", "category", "unit")
    batch, preview = preview_of(csv_bytes(table([row()], keys=(*keys, "capacity"))), organiser)
    assert preview["file_errors"] == ["No column is set to “Province”, which every row needs."]
    with pytest.raises(ImportRefused, match="Nothing was imported: No column is set to"):
        import_batch_commit(batch=batch, user=organiser)
    assert not Producer.objects.exists()
