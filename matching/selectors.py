"""Reads for matching: suggestions for a buyer's need and for a producer, the runs list and
the weights in force. Who may see what is decided here, in the `*_or_404` helpers."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import User
from buyers.models import Buyer, SourcingNeed
from forums.models import Forum
from matching.models import Dismissal, MatchingWeights, MatchRun, Suggestion
from producers.models import Producer


def weights_for(*, forum: Forum | None = None) -> MatchingWeights:
    """The weights a run uses: the forum's own row, else the global row, else the defaults
    (an unsaved instance)."""
    if forum is not None:
        own = MatchingWeights.objects.filter(forum=forum).first()
        if own is not None:
            return own
    return MatchingWeights.objects.filter(forum__isnull=True).first() or MatchingWeights()


def weights_row(*, forum: Forum | None = None) -> MatchingWeights:
    """The row the weights page edits: the forum's (or global) row, or an unsaved one
    prefilled from the weights that apply now."""
    row = MatchingWeights.objects.filter(forum=forum).first()
    if row is not None:
        return row
    current = weights_for(forum=None) if forum is not None else MatchingWeights()
    return MatchingWeights(
        forum=forum,
        **{
            name: getattr(current, name)
            for name in (
                "category",
                "province",
                "certification",
                "volume",
                "min_order",
                "group_match_factor",
                "distance_scale_km",
                "k",
            )
        },
    )


def suggestions_with_relations(queryset: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
    """What reasons and pages show, in one query. Rows left without a rank for a moment
    in the middle of a full run are not shown."""
    return queryset.filter(Q(need_rank__gt=0) | Q(producer_rank__gt=0)).select_related(
        "need__category__parent",
        "need__unit",
        "buyer__country",
        "product__category__parent",
        "product__unit_of_sale",
        "producer__province",
    )


def _buyer_dismissed() -> Exists:
    return Exists(
        Dismissal.objects.filter(
            side=Dismissal.Side.BUYER,
            need_id=OuterRef("need_id"),
            product_id=OuterRef("product_id"),
        )
    )


def _producer_dismissed() -> Exists:
    return Exists(
        Dismissal.objects.filter(
            side=Dismissal.Side.PRODUCER,
            need_id=OuterRef("need_id"),
            producer_id=OuterRef("producer_id"),
        )
    )


def suggestions_for_need(*, need: SourcingNeed) -> QuerySet[Suggestion]:
    """Products suggested for a need, best first, without those the buyer turned down."""
    return suggestions_with_relations(
        Suggestion.objects.filter(need=need).exclude(_buyer_dismissed())
    ).order_by("-score", "product_id")


def suggestions_for_producer(*, producer: Producer) -> QuerySet[Suggestion]:
    """Needs suggested to a producer (with the matching product), best first, without those
    the producer turned down or that closed meanwhile."""
    return suggestions_with_relations(
        Suggestion.objects.filter(producer=producer, need__status=SourcingNeed.Status.OPEN).exclude(
            _producer_dismissed()
        )
    ).order_by("-score", "need_id", "product_id")


def need_for_member_or_404(*, user: User, pk: int) -> SourcingNeed:
    """A need of a buyer the user is a member of, or 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_object_or_404(
        SourcingNeed.objects.filter(buyer__in=Buyer.objects.filter(members=user)).select_related(
            "buyer", "category__parent", "unit"
        ),
        pk=pk,
    )


def suggestion_for_buyer_or_404(*, user: User, pk: int) -> Suggestion:
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_object_or_404(
        Suggestion.objects.filter(buyer__in=Buyer.objects.filter(members=user)).select_related(
            "buyer", "producer", "product", "need"
        ),
        pk=pk,
    )


def suggestion_for_producer_or_404(*, user: User, pk: int) -> Suggestion:
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_object_or_404(
        Suggestion.objects.filter(
            producer__in=Producer.objects.filter(members=user)
        ).select_related("buyer", "producer", "product", "need"),
        pk=pk,
    )


def runs_recent() -> QuerySet[MatchRun]:
    return MatchRun.objects.select_related("forum", "triggered_by").order_by("-created_at", "-pk")


def runs_active_exist() -> bool:
    return MatchRun.objects.filter(
        status__in=[MatchRun.Status.QUEUED, MatchRun.Status.RUNNING]
    ).exists()
