"""A provincial list of 20,000 rows previews within 30 seconds (the upload, every row
checked, the first page shown). The time is printed; only correctness is asserted besides
the limit."""

import time

import pytest
from django.urls import reverse

from producers.importing.models import ImportBatch
from producers.importing.services import import_batch_commit
from producers.models import Producer, Product
from tests.producers.test_import_builders import csv_bytes, row, table, upload_file, xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROWS = 20_000
PROVINCES = ["Kampot", "Takeo", "Kiên Giang", "Tỉnh Bến Tre", "Siem Reap", "Hà Giang", "កំពត"]
UNITS = [("kg", "2 tấn"), ("lít", "500 L"), ("kg", "៥០០ គីឡូ"), ("quả", "1.200 quả")]


def big_rows() -> list[dict]:
    rows = []
    for number in range(ROWS):
        producer = number // 4
        unit, capacity = UNITS[number % len(UNITS)]
        rows.append(
            row(
                producer_name=f"HTX Village {producer}",
                kind="",
                village=f"Commune {producer % 97}",
                province=PROVINCES[producer % len(PROVINCES)],
                phone=f"0912{producer:06d}",
                product_name=f"Product {number}",
                unit=unit,
                capacity=capacity,
                price=f"{10 + number % 7}-{20 + number % 5}",
                currency="",
                certifications="VIETGAP (2035-01-01)" if number % 3 == 0 else "",
                stars=str(3 + number % 3),
            )
        )
    rows[14_000] = {**rows[14_000], "capacity": "2 bao"}  # one wrong cell
    return rows


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_a_20000_row_file_previews_within_30_seconds(login, organiser, file_format):
    cells = table(big_rows())
    data = xlsx_bytes(cells) if file_format == "xlsx" else csv_bytes(cells)
    client = login(organiser)

    started = time.perf_counter()
    response = client.post(
        reverse("importing:upload"), {"file": upload_file(data, f"province.{file_format}")}
    )
    page = client.get(response["Location"])
    elapsed = time.perf_counter() - started

    print(f"\n20,000-row {file_format} ({len(data) / 1e6:.1f} MB): preview in {elapsed:.1f} s")
    assert elapsed < 30
    text = page.content.decode()
    assert "<strong>20,000</strong>rows" in text
    assert "<strong>1</strong>rows with errors" in text
    assert "<strong>5,000</strong>new producers" in text
    assert "<strong>19,999</strong>new products" in text
    assert "Row 14002, monthly capacity: “2 bao” is not a number with a unit we know" in text
    assert text.count('<tr id="row-') == 100
    assert not Producer.objects.exists()


def test_a_20000_row_file_commits_in_one_transaction(organiser):
    rows = big_rows()
    rows[14_000] = {**rows[14_000], "capacity": "2 tấn"}
    from producers.importing.services import import_batch_create

    batch = import_batch_create(
        upload=upload_file(csv_bytes(table(rows)), "province.csv"), user=organiser
    )
    started = time.perf_counter()
    result = import_batch_commit(batch=batch, user=organiser)
    elapsed = time.perf_counter() - started
    print(f"\n20,000-row commit in {elapsed:.1f} s")
    assert (result.producers_created, result.products_created) == (5_000, 20_000)
    assert Product.objects.filter(status=Product.Status.SUBMITTED).count() == 20_000
    assert ImportBatch.objects.get().status == ImportBatch.Status.COMMITTED
