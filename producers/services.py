"""Writes for producers and their listings: profiles, listings, photos, certifications and the
review workflow (draft -> submitted -> approved | rejected).

Every state change locks the listing (select_for_update) and decides on the state it reads
under that lock, so two organisers deciding at once cannot both win. When a revision is
involved, the original is always locked before its revision, so producers and organisers
never wait on each other in opposite orders.

An approved listing is never edited in place: changes go to a revision (a draft copy with
`revision_of` set) whose content replaces the public one only when an organiser approves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from producers.emails import listing_decision_email_send
from producers.models import (
    ALL_MONTHS_MASK,
    MAX_PHOTOS,
    HeldCertification,
    Producer,
    Product,
    ProductPhoto,
    content_language_for_producer,
)
from producers.signals import listing_approved, listing_rejected
from taxonomy.models import Category, Certification, Currency, Province, Unit

Status = Product.Status

# What a producer edits on a listing; copied into a revision and back on approval.
LISTING_FIELDS = (
    "category",
    "name",
    "description",
    "content_language",
    "name_en",
    "description_en",
    "unit_of_sale",
    "capacity",
    "capacity_unit",
    "min_order",
    "price_min",
    "price_max",
    "currency",
    "stars",
    "months_mask",
)
PRODUCER_FIELDS = ("name", "kind", "village", "province", "phone", "email", "description")


class ListingError(Exception):
    """An action that the listing's state or limits do not allow.

    `message` is written for the person who tried it; `field` names the form field it
    belongs to, when there is one, so a view can show it next to that field.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- Producers ------------------------------------------------------------------------------


def _logo_apply(producer: Producer, logo: UploadedFile | bool | None) -> bool:
    """Apply a ClearableFileInput value: False clears, a new upload replaces, else unchanged.
    Returns whether a new file was uploaded (and so needs validating)."""
    if logo is False:
        producer.logo = None
        return False
    if isinstance(logo, UploadedFile):
        producer.logo = logo
        return True
    return False


@transaction.atomic
def producer_create(
    *,
    user: User,
    name: str,
    kind: str,
    village: str,
    province: Province,
    phone: str = "",
    email: str = "",
    description: str = "",
    logo: UploadedFile | None = None,
) -> Producer:
    """Create a producer's business profile and make `user` its first member."""
    producer = Producer(
        name=name,
        kind=kind,
        village=village,
        province=province,
        phone=phone,
        email=email,
        description=description,
    )
    new_logo = _logo_apply(producer, logo)
    producer.full_clean(exclude=None if new_logo else ["logo"])
    producer.save()
    producer.members.add(user)
    return producer


@transaction.atomic
def producer_update(*, producer: Producer, data: dict[str, Any]) -> Producer:
    """Change a producer's profile. `data` holds any of PRODUCER_FIELDS and `logo`."""
    unknown = set(data) - set(PRODUCER_FIELDS) - {"logo"}
    if unknown:
        raise ValueError(f"Not producer profile fields: {sorted(unknown)}")
    producer = Producer.objects.select_for_update().get(pk=producer.pk)
    old_name = producer.name
    for field in PRODUCER_FIELDS:
        if field in data:
            setattr(producer, field, data[field])
    new_logo = _logo_apply(producer, data.get("logo"))
    producer.full_clean(exclude=None if new_logo else ["logo"])
    producer.save()
    if producer.name != old_name:
        # Catalogue search finds listings by their producer's name too.
        Product.objects.filter(producer=producer).search_text_refresh()
    return producer


# --- Locking and the editable row -----------------------------------------------------------


def _lock(product: Product) -> Product:
    """Re-read `product` under a row lock (its original first, when it is a revision)."""
    try:
        if product.revision_of_id:
            list(
                Product.objects.select_for_update()
                .filter(pk=product.revision_of_id)
                .values_list("pk", flat=True)
            )
        return Product.objects.select_for_update().get(pk=product.pk)
    except Product.DoesNotExist:
        raise ListingError(
            _("This listing no longer exists: it may have been decided or deleted meanwhile.")
        ) from None


def _revision_of_locked(original: Product) -> Product:
    """The revision of a locked, approved original: the existing one or a new draft copy."""
    revision = Product.objects.select_for_update().filter(revision_of=original).first()
    if revision is not None:
        return revision
    revision = Product(
        producer_id=original.producer_id,
        revision_of=original,
        status=Status.DRAFT,
        **{_attname(field): getattr(original, _attname(field)) for field in LISTING_FIELDS},
    )
    revision.save()
    # The same stored files are shared: a revision only adds rows, never copies bytes.
    ProductPhoto.objects.bulk_create(
        ProductPhoto(product=revision, image=photo.image.name, position=photo.position)
        for photo in original.photos.all()
    )
    HeldCertification.objects.bulk_create(
        HeldCertification(
            product=revision,
            certification_id=held.certification_id,
            expires_on=held.expires_on,
            evidence=held.evidence.name,
            verified_at=held.verified_at,
            verified_by_id=held.verified_by_id,
        )
        for held in original.certifications.all()
    )
    return revision


def _attname(field: str) -> str:
    return Product._meta.get_field(field).attname


def _editable(product: Product) -> Product:
    """The locked row a producer's change goes to.

    A draft or rejected listing is changed in place. An approved listing is changed through
    its revision, created on the first change. A listing waiting for review is not changed.
    """
    locked = _lock(product)
    if locked.status in (Status.DRAFT, Status.REJECTED):
        return locked
    if locked.status == Status.SUBMITTED:
        if locked.revision_of_id:
            raise ListingError(
                _(
                    "Your changes are waiting for review; you can change them again after "
                    "the decision."
                )
            )
        raise ListingError(
            _("This listing is waiting for review; you can change it after the decision.")
        )
    revision = _revision_of_locked(locked)
    if revision.status == Status.SUBMITTED:
        raise ListingError(
            _("Your changes are waiting for review; you can change them again after the decision.")
        )
    return revision


def _in_place(product: Product) -> Product:
    """Lock a listing that must be changed directly (removing photos or certificates)."""
    locked = _lock(product)
    if locked.status in (Status.DRAFT, Status.REJECTED):
        return locked
    if locked.status == Status.SUBMITTED:
        raise ListingError(
            _("This listing is waiting for review; you can change it after the decision.")
        )
    raise ListingError(
        _(
            "This listing is public. Choose “Make changes” first: your changes are reviewed "
            "before they replace what buyers see."
        )
    )


# --- Listings -------------------------------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    producer: Producer,
    category: Category,
    name: str,
    unit_of_sale: Unit,
    capacity: Decimal,
    capacity_unit: Unit,
    description: str = "",
    content_language: str = "",
    name_en: str = "",
    description_en: str = "",
    min_order: Decimal | None = None,
    price_min: Decimal | None = None,
    price_max: Decimal | None = None,
    currency: str = Currency.VND,
    stars: int = Product.Stars.NONE,
    months_mask: int = ALL_MONTHS_MASK,
) -> Product:
    """A new listing, as a draft only its producer sees."""
    product = Product(
        producer=producer,
        category=category,
        name=name,
        description=description,
        content_language=content_language or content_language_for_producer(producer),
        name_en=name_en,
        description_en=description_en,
        unit_of_sale=unit_of_sale,
        capacity=capacity,
        capacity_unit=capacity_unit,
        min_order=min_order,
        price_min=price_min,
        price_max=price_max,
        currency=currency,
        stars=stars,
        months_mask=months_mask,
        status=Status.DRAFT,
    )
    _listing_check(product)
    product.save()
    return product


def _listing_check(product: Product) -> None:
    low, high = product.price_min, product.price_max
    if low is not None and high is not None and low > high:
        raise ListingError(
            _("The highest price must be the same as or more than the lowest price."),
            field="price_max",
        )
    if not product.months_mask:
        raise ListingError(
            _("Tick at least one month when the product is available."), field="months"
        )
    # The base-unit copies are derived in save(); they are not input to check.
    product.full_clean(
        exclude=["producer", "revision_of", "reviewed_by", "capacity_base", "min_order_base"]
    )


@transaction.atomic
def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    """Change a listing's content and return the row that was changed.

    For an approved listing that row is its revision (created or reused): the public
    content stays as it is until an organiser approves the revision.
    """
    unknown = set(data) - set(LISTING_FIELDS)
    if unknown:
        raise ValueError(f"Not listing fields: {sorted(unknown)}")
    target = _editable(product)
    for field, value in data.items():
        setattr(target, field, value)
    _listing_check(target)
    target.save()
    return target


@transaction.atomic
def product_revision_get_or_create(*, product: Product) -> Product:
    """Start (or continue) changes to an approved listing; returns the revision."""
    locked = _lock(product)
    if locked.status != Status.APPROVED or locked.revision_of_id:
        raise ListingError(_("Only an approved listing is changed through a revision."))
    return _revision_of_locked(locked)


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """Delete a draft or rejected listing (for a revision: discard the proposed changes)."""
    locked = _lock(product)
    if locked.status not in (Status.DRAFT, Status.REJECTED):
        raise ListingError(
            _("Only a draft or rejected listing can be deleted; this one is: %(status)s.")
            % {"status": locked.get_status_display().lower()}
        )
    # Stored files are left alone: a revision shares them with its public listing.
    locked.delete()


@transaction.atomic
def product_submit(*, product: Product) -> Product:
    """Send a draft or rejected listing to the organisers' review queue."""
    locked = _lock(product)
    if locked.status == Status.SUBMITTED:
        raise ListingError(_("This listing is already waiting for review."))
    if locked.status == Status.APPROVED:
        raise ListingError(
            _(
                "This listing is already approved and public. To change it, edit it: the "
                "changes are reviewed before they are published."
            )
        )
    if not locked.photos.exists():
        raise ListingError(
            _("Add at least one photo before you submit: buyers choose by what they see.")
        )
    locked.status = Status.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.rejection_reason = ""
    locked.save(update_fields=["status", "submitted_at", "rejection_reason", "updated_at"])
    return locked


def _decision_check(locked: Product, reviewer: User, *, approving: bool) -> None:
    if not getattr(reviewer, "is_organiser", False):
        raise ListingError(_("Only organisers review listings."))
    if locked.status == Status.SUBMITTED:
        return
    status = locked.get_status_display().lower()
    if approving:
        message = _("Only a listing waiting for review can be approved; this one is: %(status)s.")
    else:
        message = _("Only a listing waiting for review can be rejected; this one is: %(status)s.")
    raise ListingError(message % {"status": status})


def _decision_announce(product: Product, *, approved: bool, was_revision: bool) -> None:
    """After commit: email the producer's members and tell other apps (matching)."""
    transaction.on_commit(
        lambda: listing_decision_email_send(
            product=product, approved=approved, was_revision=was_revision
        ),
        robust=True,
    )
    signal = listing_approved if approved else listing_rejected
    transaction.on_commit(lambda: signal.send(sender=Product, product=product), robust=True)


@transaction.atomic
def product_approve(*, product: Product, reviewer: User) -> Product:
    """Make a submitted listing public; for a revision, its content replaces the original's.

    Returns the public listing (the original, when a revision was approved; the revision row
    itself is deleted).
    """
    locked = _lock(product)
    _decision_check(locked, reviewer, approving=True)
    now = timezone.now()
    if locked.revision_of_id is None:
        locked.status = Status.APPROVED
        locked.rejection_reason = ""
        locked.reviewed_at = now
        locked.reviewed_by = reviewer
        locked.save()
        _decision_announce(locked, approved=True, was_revision=False)
        return locked

    revision = locked
    original = Product.objects.get(pk=revision.revision_of_id)  # locked by _lock()
    for field in LISTING_FIELDS:
        setattr(original, _attname(field), getattr(revision, _attname(field)))
    original.reviewed_at = now
    original.reviewed_by = reviewer
    original.save()
    ProductPhoto.objects.filter(product=original).delete()
    ProductPhoto.objects.filter(product=revision).update(product=original)
    HeldCertification.objects.filter(product=original).delete()
    HeldCertification.objects.filter(product=revision).update(product=original)
    revision.delete()
    _decision_announce(original, approved=True, was_revision=True)
    return original


@transaction.atomic
def product_reject(*, product: Product, reviewer: User, reason: str) -> Product:
    """Send a submitted listing back to its producer with the reason. A rejected revision
    leaves its public listing unchanged."""
    reason = (reason or "").strip()
    if not reason:
        raise ListingError(
            _("Write the reason, so the producer knows what to change."), field="reason"
        )
    locked = _lock(product)
    _decision_check(locked, reviewer, approving=False)
    locked.status = Status.REJECTED
    locked.rejection_reason = reason
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = reviewer
    locked.save()
    _decision_announce(locked, approved=False, was_revision=locked.revision_of_id is not None)
    return locked


# --- Photos ---------------------------------------------------------------------------------


@transaction.atomic
def product_photos_add(
    *, product: Product, images: Sequence[UploadedFile]
) -> tuple[Product, list[ProductPhoto]]:
    """Add photos (at most MAX_PHOTOS per listing). Returns the row they went to, which is
    the revision when `product` is approved."""
    target = _editable(product)
    count = target.photos.count()
    if count + len(images) > MAX_PHOTOS:
        left = MAX_PHOTOS - count
        raise ListingError(
            ngettext(
                "A listing can have up to %(max)s photos. It has %(count)s already, so you can "
                "add %(left)s more.",
                "A listing can have up to %(max)s photos. It has %(count)s already, so you can "
                "add %(left)s more.",
                left,
            )
            % {"max": MAX_PHOTOS, "count": count, "left": left},
            field="images",
        )
    position = (target.photos.aggregate(top=Max("position"))["top"] or 0) + 1
    photos = []
    for offset, image in enumerate(images):
        photo = ProductPhoto(product=target, image=image, position=position + offset)
        photo.full_clean(exclude=["product"])
        photo.save()  # imagekit makes the WebP thumbnails now, not on a buyer's first visit
        photos.append(photo)
    return target, photos


@transaction.atomic
def product_photo_delete(*, photo: ProductPhoto) -> Product:
    """Remove a photo from a draft or rejected listing. The stored file is kept: the public
    listing or its revision may share it."""
    product = _in_place(photo.product)
    ProductPhoto.objects.filter(pk=photo.pk, product=product).delete()
    return product


# --- Held certifications --------------------------------------------------------------------


@transaction.atomic
def held_certification_add(
    *,
    product: Product,
    certification: Certification,
    expires_on: dt.date,
    evidence: UploadedFile,
) -> HeldCertification:
    """Claim a certification with its evidence; it counts once an organiser verifies it."""
    today = timezone.localdate()
    if expires_on < today:
        raise ListingError(
            _("This certificate expired on %(date)s; add a current one.")
            % {"date": date_format(expires_on)},
            field="expires_on",
        )
    target = _editable(product)
    if target.certifications.filter(certification=certification).exists():
        raise ListingError(
            _("This listing already has “%(name)s”. Remove it first to add a new certificate.")
            % {"name": certification.name},
            field="certification",
        )
    held = HeldCertification(
        product=target, certification=certification, expires_on=expires_on, evidence=evidence
    )
    held.full_clean(exclude=["product", "verified_by"])
    held.save()
    return held


@transaction.atomic
def held_certification_delete(*, held_certification: HeldCertification) -> Product:
    product = _in_place(held_certification.product)
    HeldCertification.objects.filter(pk=held_certification.pk, product=product).delete()
    return product


@transaction.atomic
def held_certification_verify(
    *, held_certification: HeldCertification, verifier: User
) -> HeldCertification:
    """An organiser confirms the evidence. Only then does the certification count."""
    if not getattr(verifier, "is_organiser", False):
        raise ListingError(_("Only organisers verify certifications."))
    try:
        held = HeldCertification.objects.select_for_update().get(pk=held_certification.pk)
    except HeldCertification.DoesNotExist:
        raise ListingError(_("This certification no longer exists.")) from None
    if held.verified_at is not None:
        raise ListingError(_("This certification is already verified."))
    if held.expires_on < timezone.localdate():
        raise ListingError(
            _("This certificate expired on %(date)s, so it cannot be verified.")
            % {"date": date_format(held.expires_on)}
        )
    held.verified_at = timezone.now()
    held.verified_by = verifier
    held.save(update_fields=["verified_at", "verified_by"])
    return held
