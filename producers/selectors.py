"""Reads about producers and listings, shared by pages, the review queue and other apps."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from producers.display import (
    category_display,
    months_display,
    price_range_display,
    quantity_display,
)
from producers.models import HeldCertification, Producer, Product, ProductPhoto
from taxonomy.models import Category, Province


def producer_for_user(*, user: User) -> Producer | None:
    """The business a producer user acts for (their first membership), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return user.producers.select_related("province__country").order_by("pk").first()


def _photos_prefetch(lookup: str = "photos") -> Prefetch:
    return Prefetch(lookup, queryset=ProductPhoto.objects.order_by("position", "pk"))


def _certifications_prefetch(lookup: str = "certifications") -> Prefetch:
    return Prefetch(
        lookup,
        queryset=HeldCertification.objects.select_related("certification", "verified_by"),
    )


def products_for_producer(*, producer: Producer) -> QuerySet[Product]:
    """Every listing of a producer (originals; each carries its pending revision, if any)."""
    return (
        Product.objects.originals()
        .filter(producer=producer)
        .select_related("category__parent", "pending_revision")
        .prefetch_related(_photos_prefetch())
        .order_by("-created_at", "-pk")
    )


def products_approved(
    *, category: Category | None = None, province: Province | None = None
) -> QuerySet[Product]:
    """Public listings, newest first; `category` may be a group (all its subgroups)."""
    products = Product.objects.approved()
    if category is not None:
        products = products.filter(Q(category=category) | Q(category__parent=category))
    if province is not None:
        products = products.filter(producer__province=province)
    return (
        products.select_related("producer__province", "category__parent")
        .prefetch_related(_photos_prefetch())
        .order_by("-created_at", "-pk")
    )


def products_newest(*, limit: int = 8) -> list[Product]:
    return list(products_approved()[:limit])


def product_for_page(*, pk: int) -> Product | None:
    """One listing with everything its page shows, whatever its state (callers decide who
    may see it)."""
    return (
        Product.objects.select_related(
            "producer__province__country",
            "category__parent",
            "unit_of_sale",
            "capacity_unit",
            "revision_of",
        )
        .prefetch_related(_photos_prefetch(), _certifications_prefetch())
        .filter(pk=pk)
        .first()
    )


def product_revision(*, product: Product) -> Product | None:
    """The pending revision of an approved listing, if the producer has started one."""
    return Product.objects.filter(revision_of=product).first()


def products_waiting_for_review() -> QuerySet[Product]:
    """The review queue: submitted listings and revisions, oldest submission first."""
    return (
        Product.objects.filter(status=Product.Status.SUBMITTED)
        .select_related(
            "producer__province__country",
            "category__parent",
            "unit_of_sale",
            "capacity_unit",
            "revision_of__category__parent",
            "revision_of__unit_of_sale",
            "revision_of__capacity_unit",
        )
        .prefetch_related(
            _photos_prefetch(),
            _certifications_prefetch(),
            _photos_prefetch("revision_of__photos"),
            _certifications_prefetch("revision_of__certifications"),
        )
        .order_by("submitted_at", "pk")
    )


def review_counts() -> dict[str, int]:
    counts = Product.objects.filter(status=Product.Status.SUBMITTED).aggregate(
        total=Count("pk"),
        new=Count("pk", filter=Q(revision_of__isnull=True)),
        changes=Count("pk", filter=Q(revision_of__isnull=False)),
    )
    return {key: value or 0 for key, value in counts.items()}


def certifications_verified(*, product: Product) -> list[HeldCertification]:
    """Held certifications that count today: verified and unexpired (uses the prefetch)."""
    today = timezone.localdate()
    return [
        held
        for held in product.certifications.all()
        if held.verified_at is not None and held.expires_on >= today
    ]


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


def _photos_display(product: Product) -> tuple[str, tuple[str, ...]]:
    names = tuple(photo.image.name for photo in product.photos.all())
    return ngettext("%(count)s photo", "%(count)s photos", len(names)) % {
        "count": len(names)
    }, names


def _certifications_display(product: Product) -> str:
    items = sorted(
        f"{held.certification.name} ({held.expires_on.isoformat()})"
        for held in product.certifications.all()
    )
    return "; ".join(items) or _("none")


def product_revision_changes(*, revision: Product) -> list[FieldChange]:
    """What approving `revision` would change on its public listing, field by field."""
    original = revision.revision_of
    if original is None:
        return []

    def facts(product: Product) -> dict[str, str]:
        return {
            _("Category"): category_display(product.category),
            _("Product name"): product.name,
            _("Description"): product.description,
            _("Name in English"): product.name_en,
            _("Description in English"): product.description_en,
            _("Unit of sale"): str(product.unit_of_sale),
            _("Monthly capacity"): (
                f"{quantity_display(product.capacity)} {product.capacity_unit.symbol}"
            ),
            _("Minimum order"): (
                f"{quantity_display(product.min_order)} {product.unit_of_sale.symbol}"
                if product.min_order is not None
                else ""
            ),
            _("Price"): price_range_display(product),
            _("Stars"): str(product.get_stars_display()),
            _("Months available"): months_display(product.months_mask),
            _("Certifications"): _certifications_display(product),
        }

    old, new = facts(original), facts(revision)
    changes = [
        FieldChange(label, old[label], new[label]) for label in old if old[label] != new[label]
    ]
    (old_photos, old_names), (new_photos, new_names) = (
        _photos_display(original),
        _photos_display(revision),
    )
    if old_names != new_names:
        changes.append(
            FieldChange(_("Photos"), old_photos, _("%(photos)s (changed)") % {"photos": new_photos})
        )
    return changes
