"""Abandoned uploads are deleted with their previews after the retention period; recent
uploads and committed imports are kept."""

import datetime as dt

import pytest
from django.utils import timezone

from producers.importing import retention, services
from producers.importing.models import ImportBatch
from producers.importing.retention import import_batches_purge
from producers.models import Product
from producers.tasks import import_batches_purge as purge_task
from tests.producers.test_import_builders import batch_from, csv_bytes, row, table

pytestmark = pytest.mark.django_db


def _age(batch: ImportBatch, days: float) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )


def test_an_abandoned_upload_is_deleted_with_its_file_and_previews(
    organiser, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_UPLOAD_RETENTION_DAYS = 7
    old = batch_from(csv_bytes(table([row()])), organiser)
    services.import_preview(old)  # caches a preview next to the file
    storage = old.file.storage
    stored = [old.file.name, services._preview_name(old, "en")]
    assert all(storage.exists(name) for name in stored)
    recent = batch_from(csv_bytes(table([row()])), organiser)
    _age(old, 8)
    _age(recent, 6)

    with django_capture_on_commit_callbacks(execute=True):
        assert import_batches_purge() == 1

    assert not ImportBatch.objects.filter(pk=old.pk).exists()
    assert not any(storage.exists(name) for name in stored)
    assert ImportBatch.objects.filter(pk=recent.pk).exists()
    assert storage.exists(recent.file.name)


def test_a_committed_import_is_kept_as_the_record(organiser):
    batch = batch_from(csv_bytes(table([row()])), organiser)
    services.import_batch_commit(batch=batch, user=organiser)
    _age(batch, 30)

    assert purge_task.delay().get() == 0

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert Product.objects.count() == 1


def test_an_upload_committed_while_the_purge_runs_is_kept(
    organiser, monkeypatch, django_capture_on_commit_callbacks
):
    batch = batch_from(csv_bytes(table([row()])), organiser)
    _age(batch, 8)
    found = retention._candidates

    def committed_meanwhile(**kwargs):
        pks = found(**kwargs)  # the purge has seen the upload as abandoned...
        # ...and the organiser commits it before the purge reaches it.
        services.import_batch_commit(batch=ImportBatch.objects.get(pk=batch.pk), user=organiser)
        return pks

    monkeypatch.setattr(retention, "_candidates", committed_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        assert import_batches_purge() == 0

    assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.COMMITTED
    assert Product.objects.count() == 1
