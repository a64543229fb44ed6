"""The organiser's dashboard of one forum: counts, and the same counts by province and by
product category group, in a fixed number of aggregate queries (however big the forum).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import Coalesce

from forums.models import Forum, ForumBuyer, ForumProducer, Meeting, MeetingFeedback, MeetingRequest
from producers.models import Product
from taxonomy.models import Category, Province

CANCELLED = Meeting.Status.CANCELLED


@dataclass
class Bar:
    label: str
    value: int
    percent: int = 0


@dataclass
class Breakdown:
    """Rows (a province or a category group) with the same columns of counts each."""

    columns: list[tuple[str, str]]  # (key, label)
    rows: list[dict] = field(default_factory=list)


def bars(pairs: list[tuple[str, int]]) -> list[Bar]:
    top = max((value for _label, value in pairs), default=0)
    return [Bar(label, value, round(100 * value / top) if top else 0) for label, value in pairs]


def _by_status(queryset, choices) -> list[Bar]:
    counts = {row["status"]: row["n"] for row in queryset.values("status").annotate(n=Count("pk"))}
    return bars([(str(label), counts.get(value, 0)) for value, label in choices])


MEETING_COUNTS = {
    "total": Count("pk", filter=~Q(status=CANCELLED)),
    "scheduled": Count("pk", filter=Q(slot__isnull=False) & ~Q(status=CANCELLED)),
    "held": Count("pk", filter=Q(status=Meeting.Status.HELD)),
    "no_show": Count("pk", filter=Q(status=Meeting.Status.NO_SHOW)),
    "cancelled": Count("pk", filter=Q(status=CANCELLED)),
}


def forum_dashboard(*, forum: Forum) -> dict:
    producer_ids = ForumProducer.objects.filter(forum=forum).values("producer_id")
    participants = {
        "producers": ForumProducer.objects.filter(forum=forum).count(),
        "buyers": ForumBuyer.objects.filter(forum=forum).count(),
    }
    listings = _by_status(
        Product.objects.filter(producer_id__in=producer_ids, revision_of__isnull=True),
        Product.Status.choices,
    )
    requests = _by_status(MeetingRequest.objects.filter(forum=forum), MeetingRequest.Status.choices)
    meetings_qs = Meeting.objects.filter(forum=forum)
    meetings = _by_status(meetings_qs, Meeting.Status.choices)
    totals = meetings_qs.aggregate(**MEETING_COUNTS)
    feedback = MeetingFeedback.objects.filter(meeting__forum=forum)
    outcome_counts = {
        row["outcome"]: row["n"] for row in feedback.values("outcome").annotate(n=Count("pk"))
    }
    outcomes = bars(
        [
            (str(label), outcome_counts.get(value, 0))
            for value, label in MeetingFeedback.Outcome.choices
        ]
    )

    # By province (the producer's) and by category group (the meeting's product).
    columns = [
        ("producers", ""),
        ("buyers", ""),
        ("total", ""),
        ("scheduled", ""),
        ("held", ""),
        ("no_show", ""),
    ] + [(f"outcome_{value}", str(label)) for value, label in MeetingFeedback.Outcome.choices]
    province_rows: dict[int | None, dict] = defaultdict(dict)
    for row in (
        ForumProducer.objects.filter(forum=forum)
        .values("producer__province_id")
        .annotate(n=Count("pk"))
    ):
        province_rows[row["producer__province_id"]]["producers"] = row["n"]
    for row in (
        ForumBuyer.objects.filter(forum=forum).values("buyer__province_id").annotate(n=Count("pk"))
    ):
        province_rows[row["buyer__province_id"]]["buyers"] = row["n"]
    for row in meetings_qs.values("producer__province_id").annotate(**MEETING_COUNTS):
        key = row.pop("producer__province_id")
        province_rows[key].update(row)
    for row in feedback.values("meeting__producer__province_id", "outcome").annotate(n=Count("pk")):
        key = row["meeting__producer__province_id"]
        province_rows[key][f"outcome_{row['outcome']}"] = row["n"]

    group = Coalesce("product__category__parent_id", "product__category_id")
    category_rows: dict[int | None, dict] = defaultdict(dict)
    for row in (
        Product.objects.filter(producer_id__in=producer_ids, revision_of__isnull=True)
        .annotate(group=Coalesce("category__parent_id", "category_id"))
        .values("group")
        .annotate(n=Count("producer_id", distinct=True))
    ):
        category_rows[row["group"]]["producers"] = row["n"]
    for row in meetings_qs.annotate(group=group).values("group").annotate(**MEETING_COUNTS):
        key = row.pop("group")
        category_rows[key].update(row)
        category_rows[key]["buyers"] = None
    for row in (
        feedback.annotate(
            group=Coalesce("meeting__product__category__parent_id", "meeting__product__category_id")
        )
        .values("group", "outcome")
        .annotate(n=Count("pk"))
    ):
        category_rows[row["group"]][f"outcome_{row['outcome']}"] = row["n"]

    provinces = Province.objects.in_bulk([k for k in province_rows if k is not None])
    categories = Category.objects.in_bulk([k for k in category_rows if k is not None])
    return {
        "participants": participants,
        "listings": listings,
        "requests": requests,
        "meetings": meetings,
        "totals": totals,
        "outcomes": outcomes,
        "outcome_columns": [
            (f"outcome_{v}", str(label)) for v, label in MeetingFeedback.Outcome.choices
        ],
        "by_province": _rows(province_rows, provinces, columns),
        "by_category": _rows(category_rows, categories, columns),
    }


def _rows(data: dict, names: dict, columns) -> list[dict]:
    out = []
    for key, counts in data.items():
        label = str(names[key]) if key in names else None
        row = {"key": key, "label": label}
        for column, _label in columns:
            row[column] = counts.get(column) or 0
        row["outcome_values"] = [row[c] for c, _l in columns if c.startswith("outcome_")]
        out.append(row)
    out.sort(key=lambda r: (r["label"] is None, r["label"] or ""))
    return out
