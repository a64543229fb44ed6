"""Producers and their product listings, with photos, held certifications and review state.

A listing is public only while approved. Editing an approved listing works on a revision
(a draft copy pointing at it with `revision_of`); the public row only changes when an
organiser approves that revision, so unreviewed content is never published.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from imagekit.models import ImageSpecField
from imagekit.processors import ResizeToFill, ResizeToFit

from producers.validators import private_storage, validate_evidence_file, validate_image_file
from taxonomy.models import Category, Certification, Currency, Province, Unit

MONTHS = [
    (1, _("January")),
    (2, _("February")),
    (3, _("March")),
    (4, _("April")),
    (5, _("May")),
    (6, _("June")),
    (7, _("July")),
    (8, _("August")),
    (9, _("September")),
    (10, _("October")),
    (11, _("November")),
    (12, _("December")),
]
ALL_MONTHS_MASK = (1 << 12) - 1
MAX_PHOTOS = 8


def months_to_mask(months) -> int:
    mask = 0
    for month in months:
        mask |= 1 << (int(month) - 1)
    return mask


def mask_to_months(mask: int) -> list[int]:
    return [m for m in range(1, 13) if mask & (1 << (m - 1))]


class Producer(models.Model):
    class Kind(models.TextChoices):
        HOUSEHOLD = "household", _("Household")
        COOPERATIVE = "cooperative", _("Cooperative")
        ENTERPRISE = "enterprise", _("Enterprise")

    name = models.CharField(_("business name"), max_length=200)
    kind = models.CharField(_("kind of business"), max_length=16, choices=Kind.choices)
    village = models.CharField(_("village or commune"), max_length=200)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="producers", verbose_name=_("province")
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    description = models.TextField(_("about the business"), blank=True)
    logo = models.ImageField(
        _("logo"), upload_to="logos/%Y/%m/", blank=True, validators=[validate_image_file]
    )
    logo_thumbnail = ImageSpecField(
        source="logo", processors=[ResizeToFill(96, 96)], format="WEBP", options={"quality": 70}
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="producers", blank=True, verbose_name=_("members")
    )
    # A stable key for re-imports from committee spreadsheets (see the import issue).
    import_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("producer")
        verbose_name_plural = _("producers")

    def __str__(self) -> str:
        return self.name


class ProductQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Product.Status.APPROVED, revision_of__isnull=True)

    def originals(self):
        return self.filter(revision_of__isnull=True)


class Product(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Stars(models.IntegerChoices):
        NONE = 0, _("Not rated")
        THREE = 3, _("3 stars")
        FOUR = 4, _("4 stars")
        FIVE = 5, _("5 stars")

    producer = models.ForeignKey(
        Producer, on_delete=models.CASCADE, related_name="products", verbose_name=_("producer")
    )
    revision_of = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="pending_revision",
        verbose_name=_("changes to"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("category"),
        limit_choices_to={"parent__isnull": False},
    )
    name = models.CharField(_("product name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    unit_of_sale = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit of sale")
    )
    capacity = models.DecimalField(
        _("monthly capacity"),
        max_digits=14,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("How much you can supply each month."),
    )
    capacity_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("capacity unit")
    )
    # Derived from capacity and its unit on every save; kept for filtering and sorting.
    capacity_base = models.DecimalField(max_digits=20, decimal_places=6, default=0, editable=False)
    min_order = models.DecimalField(
        _("minimum order"),
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("In units of sale."),
    )
    min_order_base = models.DecimalField(
        max_digits=20, decimal_places=6, null=True, blank=True, editable=False
    )
    price_min = models.DecimalField(
        _("lowest price"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    price_max = models.DecimalField(
        _("highest price"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.VND
    )
    stars = models.PositiveSmallIntegerField(
        _("OCOP/OVOP stars"), choices=Stars.choices, default=Stars.NONE
    )
    months_mask = models.PositiveSmallIntegerField(
        _("months available"),
        default=ALL_MONTHS_MASK,
        validators=[MaxValueValidator(ALL_MONTHS_MASK)],
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("product listing")
        verbose_name_plural = _("product listings")
        indexes = [
            models.Index(fields=["status", "category"], name="product_status_category"),
            models.Index(fields=["status", "submitted_at"], name="product_review_queue"),
            models.Index(fields=["status", "-created_at"], name="product_status_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_min__isnull=True)
                | Q(price_max__isnull=True)
                | Q(price_min__lte=models.F("price_max")),
                name="product_price_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status="rejected") | Q(rejection_reason=""),
                name="product_reason_only_when_rejected",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Keep the base-unit copies in step with what the producer typed.
        self.capacity_base = self.capacity * self.capacity_unit.to_base
        self.min_order_base = (
            self.min_order * self.unit_of_sale.to_base if self.min_order is not None else None
        )
        super().save(*args, **kwargs)

    @property
    def months(self) -> list[int]:
        return mask_to_months(self.months_mask)

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.APPROVED and self.revision_of_id is None

    @property
    def display_name(self) -> str:
        """The English name for readers of English when the producer gave one."""
        language = (translation.get_language() or "en")[:2]
        if language == "en" and self.name_en:
            return self.name_en
        return self.name

    @property
    def display_description(self) -> str:
        language = (translation.get_language() or "en")[:2]
        if language == "en" and self.description_en:
            return self.description_en
        return self.description


class ProductPhoto(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(
        _("photo"), upload_to="products/%Y/%m/", validators=[validate_image_file]
    )
    position = models.PositiveSmallIntegerField(default=0)
    # List thumbnails are WebP and small enough for a 3G connection.
    thumbnail = ImageSpecField(
        source="image", processors=[ResizeToFill(320, 240)], format="WEBP", options={"quality": 60}
    )
    large = ImageSpecField(
        source="image", processors=[ResizeToFit(1024, 1024)], format="WEBP", options={"quality": 75}
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return f"{self.product} #{self.position}"


class HeldCertificationQuerySet(models.QuerySet):
    def valid_on(self, day):
        return self.filter(verified_at__isnull=False, expires_on__gte=day)


class HeldCertification(models.Model):
    """A certification a listing claims, with evidence; counts only once verified and unexpired."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="certifications")
    certification = models.ForeignKey(
        Certification, on_delete=models.PROTECT, related_name="+", verbose_name=_("certification")
    )
    expires_on = models.DateField(_("expiry date"))
    evidence = models.FileField(
        _("evidence"),
        upload_to="evidence/%Y/%m/",
        storage=private_storage,
        validators=[validate_evidence_file],
        help_text=_("A scan or photo of the certificate: PDF, JPEG, PNG or WebP, up to 10 MB."),
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )

    objects = HeldCertificationQuerySet.as_manager()

    class Meta:
        ordering = ["certification__kind", "certification__code"]
        verbose_name = _("held certification")
        verbose_name_plural = _("held certifications")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "certification"], name="held_certification_once_per_product"
            )
        ]

    def __str__(self) -> str:
        return f"{self.certification} ({self.product})"
