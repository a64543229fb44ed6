"""Celery tasks for producers. Thin: each calls one service."""

from celery import shared_task
from django.db import OperationalError

from producers.importing.retention import import_batches_purge as purge


@shared_task(
    name="producers.tasks.import_batches_purge",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def import_batches_purge() -> int:
    """Delete spreadsheets uploaded for import but never committed; returns how many."""
    return purge()
