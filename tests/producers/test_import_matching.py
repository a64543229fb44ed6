"""Approving an imported file directly asks matching for one run for the whole file, not
one incremental run per listing."""

import pytest

from matching import services as matching_services
from matching.models import MatchRun
from producers.models import Product
from tests.producers.test_import_builders import csv_bytes, row, table
from tests.producers.test_import_commit import FILE, import_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch) -> list[tuple]:
    """The matching tasks queued, recorded instead of run."""
    calls: list[tuple] = []
    monkeypatch.setattr(
        matching_services, "_queue", lambda task_name, *args: calls.append((task_name, *args))
    )
    return calls


def _pks(*names: str) -> list[int]:
    return sorted(Product.objects.filter(name__in=names).values_list("pk", flat=True))


def test_a_file_approved_directly_queues_one_matching_run(
    organiser, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        import_file(organiser, csv_bytes(table(FILE)), approve=True)

    run = MatchRun.objects.get()
    assert run.kind == MatchRun.Kind.INCREMENTAL
    assert run.subject["products"] == sorted(Product.objects.values_list("pk", flat=True))
    assert len(run.subject["products"]) == 3
    assert queued == [("incremental_run", run.pk)]
    assert matching_services._batch_stack() == []


def test_listings_changed_and_added_by_a_second_file_share_one_run(
    organiser, queued, django_capture_on_commit_callbacks
):
    import_file(organiser, csv_bytes(table(FILE)), approve=True)  # commit hooks not run
    changed = [row(price="99-100"), *FILE[1:], row(product_name="Kampot white pepper")]
    with django_capture_on_commit_callbacks(execute=True):
        _batch, result = import_file(organiser, csv_bytes(table(changed)), approve=True)

    assert (result.products_updated, result.products_created) == (1, 1)
    run = MatchRun.objects.get()
    assert run.subject["products"] == _pks("Kampot black pepper", "Kampot white pepper")
    assert queued == [("incremental_run", run.pk)]


def test_a_large_file_queues_one_full_run(
    organiser, queued, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(matching_services, "INCREMENTAL_BATCH_MAX", 2)
    with django_capture_on_commit_callbacks(execute=True):
        import_file(organiser, csv_bytes(table(FILE)), approve=True)

    run = MatchRun.objects.get()
    assert run.kind == MatchRun.Kind.FULL
    assert queued == [("full_run", run.pk)]


def test_listings_left_for_review_queue_nothing(
    organiser, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        import_file(organiser, csv_bytes(table(FILE)))
    assert not MatchRun.objects.exists() and queued == []


@pytest.mark.django_db(transaction=True)
def test_committed_as_the_view_commits_it_one_run_is_queued(organiser, queued):
    # No surrounding transaction: the commit's hooks run as the import's transaction ends.
    import_file(organiser, csv_bytes(table(FILE)), approve=True)

    run = MatchRun.objects.get()
    assert run.subject["products"] == sorted(Product.objects.values_list("pk", flat=True))
    assert queued == [("incremental_run", run.pk)]
    assert matching_services._batch_stack() == []
