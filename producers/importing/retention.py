"""Uploaded spreadsheets hold people's names and phone numbers. A committed import deletes
its file at once; one that is uploaded and then abandoned is deleted here, with its cached
previews, once it is older than IMPORT_UPLOAD_RETENTION_DAYS. The beat schedule runs this
daily (see producers.tasks)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from producers.importing.models import ImportBatch
from producers.importing.services import _preview_discard


def import_batches_purge(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete abandoned (never committed) import batches older than `days`, their files
    and previews; returns how many were deleted. Committed batches stay as the record of
    what was imported (their files are already gone)."""
    now = now or timezone.now()
    days = settings.IMPORT_UPLOAD_RETENTION_DAYS if days is None else days
    stale = ImportBatch.objects.filter(
        status=ImportBatch.Status.UPLOADED, created_at__lt=now - dt.timedelta(days=days)
    )
    deleted = 0
    for batch in stale.iterator():
        _preview_discard(batch)
        if batch.file:
            batch.file.delete(save=False)
        batch.delete()
        deleted += 1
    return deleted
