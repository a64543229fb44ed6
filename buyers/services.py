"""Writes for buyers: the profile and the life of a sourcing need (create, update, close, reopen).

Every change to a need is announced with `buyers.signals.sourcing_need_changed` after commit,
so listeners (the matching app) never see a need that was rolled back.
"""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from buyers.models import Buyer, SourcingNeed, certifications_overlap_check
from buyers.signals import sourcing_need_changed
from taxonomy.models import Category, Certification, Country, Currency, Province, Unit

NEED_FIELDS = frozenset(
    {
        "category",
        "volume",
        "unit",
        "min_stars",
        "order_size",
        "target_price",
        "currency",
        "deadline",
        "notes",
    }
)
NEED_M2M_FIELDS = frozenset({"provinces", "required_certifications", "preferred_certifications"})


def sourcing_need_announce(*, need: SourcingNeed, action: str) -> None:
    """Send `sourcing_need_changed` once the current transaction commits."""
    transaction.on_commit(
        lambda: sourcing_need_changed.send(sender=SourcingNeed, need=need, action=action),
        robust=True,
    )


@transaction.atomic
def buyer_profile_save(
    *,
    user: User,
    buyer: Buyer | None = None,
    name: str,
    kind: str,
    country: Country,
    province: Province | None = None,
    description: str = "",
    website: str = "",
) -> Buyer:
    """Create the user's buyer organisation (making them a member), or update `buyer`."""
    if buyer is None:
        buyer = Buyer()
    buyer.name = name
    buyer.kind = kind
    buyer.country = country
    buyer.province = province
    buyer.description = description
    buyer.website = website
    buyer.full_clean()
    buyer.save()
    buyer.members.add(user)
    return buyer


def _need_check(
    *, need: SourcingNeed, required: list[Certification], preferred: list[Certification]
) -> None:
    errors: dict[str, list] = {}
    try:
        need.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    try:
        certifications_overlap_check(required, preferred)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def sourcing_need_create(
    *,
    buyer: Buyer,
    category: Category,
    volume: Decimal,
    unit: Unit,
    provinces: Iterable[Province] = (),
    required_certifications: Iterable[Certification] = (),
    preferred_certifications: Iterable[Certification] = (),
    min_stars: int = SourcingNeed.Stars.NONE,
    order_size: Decimal | None = None,
    target_price: Decimal | None = None,
    currency: str = Currency.USD,
    deadline: date | None = None,
    notes: str = "",
) -> SourcingNeed:
    required = list(required_certifications)
    preferred = list(preferred_certifications)
    need = SourcingNeed(
        buyer=buyer,
        category=category,
        volume=volume,
        unit=unit,
        min_stars=min_stars,
        order_size=order_size,
        target_price=target_price,
        currency=currency,
        deadline=deadline,
        notes=notes,
    )
    _need_check(need=need, required=required, preferred=preferred)
    need.save()
    need.provinces.set(list(provinces))
    need.required_certifications.set(required)
    need.preferred_certifications.set(preferred)
    sourcing_need_announce(need=need, action="created")
    return need


@transaction.atomic
def sourcing_need_update(*, need: SourcingNeed, data: Mapping[str, Any]) -> SourcingNeed:
    """Change the fields named in `data` (any of NEED_FIELDS and NEED_M2M_FIELDS)."""
    unknown = set(data) - NEED_FIELDS - NEED_M2M_FIELDS
    if unknown:
        raise TypeError(f"sourcing_need_update got unknown fields: {sorted(unknown)}")
    for field in NEED_FIELDS & set(data):
        setattr(need, field, data[field])
    required = list(data.get("required_certifications", need.required_certifications.all()))
    preferred = list(data.get("preferred_certifications", need.preferred_certifications.all()))
    _need_check(need=need, required=required, preferred=preferred)
    need.save()
    if "provinces" in data:
        need.provinces.set(list(data["provinces"]))
    if "required_certifications" in data:
        need.required_certifications.set(required)
    if "preferred_certifications" in data:
        need.preferred_certifications.set(preferred)
    sourcing_need_announce(need=need, action="updated")
    return need


@transaction.atomic
def sourcing_need_close(*, need: SourcingNeed) -> SourcingNeed:
    """Stop showing the need to producers. Closing a closed need changes nothing."""
    # Locked so that two clicks at once announce the change only once.
    need = SourcingNeed.objects.select_for_update().get(pk=need.pk)
    if need.status == SourcingNeed.Status.CLOSED:
        return need
    need.status = SourcingNeed.Status.CLOSED
    need.closed_at = timezone.now()
    need.save(update_fields=["status", "closed_at", "updated_at"])
    sourcing_need_announce(need=need, action="closed")
    return need


@transaction.atomic
def sourcing_need_reopen(*, need: SourcingNeed) -> SourcingNeed:
    """Show a closed need again. Reopening an open need changes nothing."""
    need = SourcingNeed.objects.select_for_update().get(pk=need.pk)
    if need.status == SourcingNeed.Status.OPEN:
        return need
    need.status = SourcingNeed.Status.OPEN
    need.closed_at = None
    need.save(update_fields=["status", "closed_at", "updated_at"])
    sourcing_need_announce(need=need, action="reopened")
    return need
