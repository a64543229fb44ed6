"""Benchmark the spreadsheet import at provincial scale: `manage.py bench_import`.

Builds a 20,000-row producer list (producers.importing.synthetic) as CSV and as XLSX, then
times, on the configured database, what an organiser waits for:

- upload and preview: reading the file, mapping the columns, checking every row;
- commit: writing every producer and listing in one transaction.

Everything runs inside a transaction that is rolled back at the end, and the uploaded files
and previews are deleted, so the database and the media folder are left as they were.

    DATABASE_URL=postgres://... manage.py bench_import [--rows 20000] [--repeat 1]

Goal (issue #6): a 20,000-row file previews within 30 s.
"""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from producers.importing import services
from producers.importing.export import csv_bytes, xlsx_bytes
from producers.importing.synthetic import synthetic_rows, synthetic_table

CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the preview and commit of a large producer spreadsheet (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=20_000)
        parser.add_argument("--repeat", type=int, default=1)

    def handle(self, *args, rows: int, repeat: int, **options):
        self.stdout.write(
            f"bench_import on {connection.vendor}: {rows:,} rows, {repeat} repeat(s) per figure"
        )
        with_error = synthetic_rows(rows)
        valid = synthetic_rows(rows, with_error=False)
        files = {
            "csv": csv_bytes(synthetic_table(with_error)),
            "xlsx": xlsx_bytes(synthetic_table(with_error)),
        }
        for file_format, data in files.items():
            times = []
            for _ in range(repeat):
                elapsed, preview = self._preview(data, file_format)
                times.append(elapsed)
            counts = preview["counts"]
            self.stdout.write(
                f"preview {file_format:4} {len(data) / 1e6:5.1f} MB: "
                f"median {statistics.median(times):5.2f} s, max {max(times):5.2f} s "
                f"({counts['rows']:,} rows, {counts['rows_with_errors']:,} with errors)"
            )
        times = [self._commit(csv_bytes(synthetic_table(valid))) for _ in range(repeat)]
        self.stdout.write(
            f"commit csv: median {statistics.median(times):5.2f} s, max {max(times):5.2f} s"
        )

    def _organiser(self):
        return get_user_model().objects.create_user(
            email="bench-import@forum-market.invalid", password=None, role="organiser"
        )

    def _upload(self, data: bytes, file_format: str):
        return SimpleUploadedFile(f"province.{file_format}", data, CONTENT_TYPES[file_format])

    @contextmanager
    def _rolled_back(self):
        """A transaction that is always rolled back, yielding a list to put the batch in;
        the batch's file and previews are deleted afterwards (storage is not transactional)."""
        batches = []
        try:
            with transaction.atomic():
                yield batches
                raise Rollback
        except Rollback:
            pass
        finally:
            for batch in batches:
                services._preview_discard(batch)
                if batch.file:
                    batch.file.delete(save=False)

    def _preview(self, data: bytes, file_format: str) -> tuple[float, dict]:
        with self._rolled_back() as batches:
            organiser = self._organiser()
            started = time.perf_counter()
            batch = services.import_batch_create(
                upload=self._upload(data, file_format), user=organiser
            )
            batches.append(batch)
            preview = services.import_preview(batch)
            elapsed = time.perf_counter() - started
        return elapsed, preview

    def _commit(self, data: bytes) -> float:
        with self._rolled_back() as batches:
            organiser = self._organiser()
            batch = services.import_batch_create(upload=self._upload(data, "csv"), user=organiser)
            batches.append(batch)
            services.import_preview(batch)
            started = time.perf_counter()
            services.import_batch_commit(batch=batch, user=organiser)
            elapsed = time.perf_counter() - started
        return elapsed
