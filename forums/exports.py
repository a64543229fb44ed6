"""Exports for organisers: participants, meetings and outcomes of a forum, as CSV or XLSX.

Text from users (names, comments) ends up in spreadsheets, so every cell that a spreadsheet
would read as a formula (starting with = + - @, a tab or a carriage return) is prefixed with
an apostrophe, in both formats.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.utils.translation import gettext as _
from openpyxl import Workbook

from forums.models import Forum, ForumBuyer, ForumProducer, Meeting, MeetingFeedback

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("participants", "meetings", "outcomes")


def safe_cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _meeting_counts(forum: Forum, field: str) -> dict[int, int]:
    return dict(
        Meeting.objects.filter(forum=forum, slot__isnull=False)
        .exclude(status=Meeting.Status.CANCELLED)
        .values(field)
        .annotate(n=Count("pk"))
        .values_list(field, "n")
    )


def participants_table(forum: Forum) -> tuple[list[str], list[list]]:
    headers = [_("Side"), _("Name"), _("Province"), _("Country"), _("Booth"), _("Meetings")]
    by_producer = _meeting_counts(forum, "producer_id")
    by_buyer = _meeting_counts(forum, "buyer_id")
    rows: list[list] = []
    for entry in (
        ForumProducer.objects.filter(forum=forum)
        .select_related("producer__province__country")
        .order_by("producer__name")
    ):
        p = entry.producer
        rows.append(
            [
                _("Producer"),
                p.name,
                p.province.name,
                p.province.country.name,
                entry.booth,
                by_producer.get(p.pk, 0),
            ]
        )
    for entry in (
        ForumBuyer.objects.filter(forum=forum)
        .select_related("buyer__province", "buyer__country")
        .order_by("buyer__name")
    ):
        b = entry.buyer
        rows.append(
            [
                _("Buyer"),
                b.name,
                b.province.name if b.province else "",
                b.country.name,
                "",
                by_buyer.get(b.pk, 0),
            ]
        )
    return headers, rows


def meetings_table(forum: Forum) -> tuple[list[str], list[list]]:
    zone = ZoneInfo(forum.time_zone)
    headers = [
        _("Meeting"),
        _("Date"),
        _("Starts"),
        _("Ends"),
        _("Table"),
        _("Booth"),
        _("Producer"),
        _("Province"),
        _("Buyer"),
        _("Product"),
        _("Status"),
        _("Why it is not scheduled"),
    ]
    booths = dict(ForumProducer.objects.filter(forum=forum).values_list("producer_id", "booth"))
    rows = []
    for m in (
        Meeting.objects.filter(forum=forum)
        .select_related("slot", "producer__province", "buyer", "product")
        .order_by("slot__index", "table", "pk")
    ):
        start = m.slot.starts_at.astimezone(zone) if m.slot else None
        end = m.slot.ends_at.astimezone(zone) if m.slot else None
        rows.append(
            [
                m.pk,
                start.date().isoformat() if start else "",
                start.strftime("%H:%M") if start else "",
                end.strftime("%H:%M") if end else "",
                m.table,
                booths.get(m.producer_id, ""),
                m.producer.name,
                m.producer.province.name,
                m.buyer.name,
                m.product.display_name if m.product else "",
                m.get_status_display(),
                m.unscheduled_reason,
            ]
        )
    return headers, rows


def outcomes_table(forum: Forum) -> tuple[list[str], list[list]]:
    headers = [
        _("Meeting"),
        _("Producer"),
        _("Buyer"),
        _("Product"),
        _("Meeting status"),
        _("Feedback from"),
        _("Rating"),
        _("Outcome"),
        _("Comment"),
    ]
    rows = []
    for f in (
        MeetingFeedback.objects.filter(meeting__forum=forum)
        .select_related("meeting__producer", "meeting__buyer", "meeting__product")
        .order_by("meeting_id", "side")
    ):
        m = f.meeting
        rows.append(
            [
                m.pk,
                m.producer.name,
                m.buyer.name,
                m.product.display_name if m.product else "",
                m.get_status_display(),
                f.get_side_display(),
                f.rating,
                f.get_outcome_display(),
                f.comment,
            ]
        )
    return headers, rows


TABLES = {
    "participants": participants_table,
    "meetings": meetings_table,
    "outcomes": outcomes_table,
}


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel then reads UTF-8


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence], *, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([safe_cell(h) for h in headers])
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def forum_export(*, forum: Forum, kind: str, fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) for one export."""
    headers, rows = TABLES[kind](forum)
    name = f"forum-{forum.pk}-{kind}"
    if fmt == "csv":
        return to_csv(headers, rows), "text/csv; charset=utf-8", f"{name}.csv"
    return (
        to_xlsx(headers, rows, title=kind),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{name}.xlsx",
    )
