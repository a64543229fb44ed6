"""Uploaded spreadsheets hold people's names and phone numbers. A committed import deletes
its file at once; one that is uploaded and then abandoned is deleted here, with its cached
previews, once it is older than IMPORT_UPLOAD_RETENTION_DAYS. The beat schedule runs this
daily (see producers.tasks)."""

from __future__ import annotations

import copy
import datetime as dt
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from producers.importing.models import ImportBatch
from producers.importing.services import _preview_discard


def import_batches_purge(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete abandoned (never committed) import batches older than `days`, their files
    and previews; returns how many were deleted. Committed batches stay as the record of
    what was imported (their files are already gone)."""
    now = now or timezone.now()
    days = settings.IMPORT_UPLOAD_RETENTION_DAYS if days is None else days
    deleted = 0
    for pk in _candidates(before=now - dt.timedelta(days=days)):
        with transaction.atomic():
            # Locked and checked again: an organiser may be committing this very upload, and
            # a committed import is kept (skip_locked: one being committed is left alone).
            batch = (
                ImportBatch.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=ImportBatch.Status.UPLOADED)
                .first()
            )
            if batch is None:
                continue
            doomed = copy.copy(batch)  # delete() clears the pk the file names are made of
            batch.delete()
            # Files are not transactional: they go once the row is surely gone.
            transaction.on_commit(partial(_files_discard, doomed), robust=True)
        deleted += 1
    return deleted


def _candidates(*, before: dt.datetime) -> list:
    """Batches uploaded before `before` and not committed, when the purge looked."""
    stale = ImportBatch.objects.filter(status=ImportBatch.Status.UPLOADED, created_at__lt=before)
    return list(stale.values_list("pk", flat=True))


def _files_discard(batch: ImportBatch) -> None:
    _preview_discard(batch)
    if batch.file:
        batch.file.delete(save=False)
