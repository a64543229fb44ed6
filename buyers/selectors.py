"""Reads about buyers and sourcing needs, shared by the pages, the API and the matching loader.

Who may see a need is decided here, once: the buyer's members and organisers always; a
producer only while the need is open, unexpired and in a category of one of their approved
listings (the listing's subgroup, or that subgroup's group).
"""

from datetime import date

from django.db.models import F, Q, QuerySet

from accounts.models import User
from buyers.models import Buyer, SourcingNeed
from producers.models import Product


def buyer_for_user(*, user: User) -> Buyer | None:
    """The organisation the user buys for (the first, should they belong to several)."""
    if not user.is_authenticated:
        return None
    return (
        Buyer.objects.filter(members=user)
        .select_related("country", "province")
        .order_by("pk")
        .first()
    )


def needs_for_buyer(*, buyer: Buyer) -> QuerySet[SourcingNeed]:
    return (
        SourcingNeed.objects.filter(buyer=buyer)
        .select_related("category", "unit")
        # "open" sorts after "closed" alphabetically; open needs come first.
        .order_by("-status", "-created_at")
    )


def needs_editable_by(*, user: User) -> QuerySet[SourcingNeed]:
    """Needs the user may edit, close and reopen: those of buyers they are a member of."""
    if not user.is_authenticated:
        return SourcingNeed.objects.none()
    return SourcingNeed.objects.filter(buyer__in=Buyer.objects.filter(members=user))


def products_approved_for_user(*, user: User) -> QuerySet[Product]:
    return Product.objects.approved().filter(producer__members=user)


def producer_has_approved_listing(*, user: User) -> bool:
    if not (user.is_authenticated and user.is_producer):
        return False
    return products_approved_for_user(user=user).exists()


def category_ids_for_producer(*, user: User) -> set[int]:
    """Subgroups of the user's approved listings, and the groups above them."""
    ids: set[int] = set()
    rows = (
        products_approved_for_user(user=user)
        .values_list("category_id", "category__parent_id")
        .distinct()
    )
    for category_id, parent_id in rows:
        ids.add(category_id)
        if parent_id is not None:
            ids.add(parent_id)
    return ids


def _needs_open_for_producer(*, user: User, day: date | None) -> QuerySet[SourcingNeed]:
    if not (user.is_authenticated and user.is_producer):
        return SourcingNeed.objects.none()
    category_ids = category_ids_for_producer(user=user)
    if not category_ids:
        return SourcingNeed.objects.none()
    return SourcingNeed.objects.open().not_expired(day).filter(category_id__in=category_ids)


def needs_open_for_producer(*, user: User, day: date | None = None) -> QuerySet[SourcingNeed]:
    """Open, unexpired needs a producer may browse, soonest deadline first; empty without an
    approved listing."""
    return (
        _needs_open_for_producer(user=user, day=day)
        .select_related("buyer__country", "category", "unit")
        .prefetch_related("required_certifications")
        .order_by(F("deadline").asc(nulls_last=True), "-created_at", "-pk")
    )


def needs_visible_to(*, user: User) -> QuerySet[SourcingNeed]:
    """Needs whose detail page the user may open."""
    if not user.is_authenticated:
        return SourcingNeed.objects.none()
    if user.is_organiser:
        return SourcingNeed.objects.all()
    visible = Q(buyer__in=Buyer.objects.filter(members=user))
    if user.is_producer:
        visible |= Q(pk__in=_needs_open_for_producer(user=user, day=None).values("pk"))
    return SourcingNeed.objects.filter(visible)
