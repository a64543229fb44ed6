"""A provincial list of 20,000 rows previews correctly (the upload, every row checked, the
first page shown) and commits in one transaction. How long that takes is measured by
`manage.py bench_import`, not here: a timed test only measures how busy the machine is."""

import pytest
from django.urls import reverse

from producers.importing.models import ImportBatch
from producers.importing.services import import_batch_commit
from producers.importing.synthetic import synthetic_rows
from producers.models import Producer, Product
from tests.producers.test_import_builders import csv_bytes, table, upload_file, xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROWS = 20_000


def big_rows() -> list[dict]:
    return synthetic_rows(ROWS)  # one wrong cell, in row 14,002 of the sheet


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_a_20000_row_file_previews_every_row(login, organiser, file_format):
    cells = table(big_rows())
    data = xlsx_bytes(cells) if file_format == "xlsx" else csv_bytes(cells)
    client = login(organiser)

    response = client.post(
        reverse("importing:upload"), {"file": upload_file(data, f"province.{file_format}")}
    )
    page = client.get(response["Location"])

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
    result = import_batch_commit(batch=batch, user=organiser)
    assert (result.producers_created, result.products_created) == (5_000, 20_000)
    assert Product.objects.filter(status=Product.Status.SUBMITTED).count() == 20_000
    assert ImportBatch.objects.get().status == ImportBatch.Status.COMMITTED
