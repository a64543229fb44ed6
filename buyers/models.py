"""Buyers (organisations that purchase) and their sourcing needs.

A SourcingNeed is the buyer's side of a match: the matching engine's loader reads open needs
by (status, category), so quantities are also kept in base units (kg, L or piece).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taxonomy.models import Category, Certification, Country, Currency, Province, Unit


class Buyer(models.Model):
    class Kind(models.TextChoices):
        SUPERMARKET = "supermarket", _("Supermarket")
        DISTRIBUTOR = "distributor", _("Distributor")
        EXPORTER = "exporter", _("Exporter")
        HOTEL_RESTAURANT = "hotel_restaurant", _("Hotel or restaurant")
        ONLINE_SHOP = "online_shop", _("Online shop")

    name = models.CharField(_("organisation name"), max_length=200)
    kind = models.CharField(_("kind of organisation"), max_length=20, choices=Kind.choices)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="buyers", verbose_name=_("country")
    )
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="buyers",
        verbose_name=_("province"),
        help_text=_("Leave empty if your organisation is outside Cambodia and Vietnam."),
    )
    description = models.TextField(_("about the organisation"), blank=True)
    website = models.URLField(_("website"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="buyers", blank=True, verbose_name=_("members")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("buyer")
        verbose_name_plural = _("buyers")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if self.province_id and self.country_id and self.province.country_id != self.country_id:
            raise ValidationError(
                {
                    "province": _(
                        "The province must be in the country you chose. "
                        "Pick a province of that country, or leave the province empty."
                    )
                },
                code="province_outside_country",
            )


class SourcingNeedQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=SourcingNeed.Status.OPEN)

    def not_expired(self, day=None):
        day = day or timezone.localdate()
        return self.filter(models.Q(deadline__isnull=True) | models.Q(deadline__gte=day))


def certifications_overlap_check(required, preferred) -> None:
    """A certification is either required or preferred, never both (the scores would double)."""
    both = {c.pk for c in required} & {c.pk for c in preferred}
    if both:
        names = ", ".join(str(c) for c in preferred if c.pk in both)
        raise ValidationError(
            {
                "preferred_certifications": ValidationError(
                    _(
                        "Preferred certifications cannot also be required: %(names)s. "
                        "Untick them under preferred certifications."
                    ),
                    code="certifications_overlap",
                    params={"names": names},
                )
            }
        )


class SourcingNeed(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Stars(models.IntegerChoices):
        NONE = 0, _("No minimum")
        THREE = 3, _("3 stars or more")
        FOUR = 4, _("4 stars or more")
        FIVE = 5, _("5 stars")

    buyer = models.ForeignKey(
        Buyer, on_delete=models.CASCADE, related_name="needs", verbose_name=_("buyer")
    )
    # A subgroup, or a whole group (category.is_group) to accept any of its subgroups.
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="needs", verbose_name=_("category")
    )
    provinces = models.ManyToManyField(
        Province,
        related_name="needs",
        blank=True,
        verbose_name=_("provinces to source from"),
        help_text=_("Leave empty to source from anywhere."),
    )
    required_certifications = models.ManyToManyField(
        Certification,
        related_name="needs_requiring",
        blank=True,
        verbose_name=_("required certifications"),
    )
    preferred_certifications = models.ManyToManyField(
        Certification,
        related_name="needs_preferring",
        blank=True,
        verbose_name=_("preferred certifications"),
        help_text=_("Nice to have; producers holding them rank higher."),
    )
    min_stars = models.PositiveSmallIntegerField(
        _("minimum OCOP/OVOP stars"), choices=Stars.choices, default=Stars.NONE
    )
    volume = models.DecimalField(
        _("monthly volume"),
        max_digits=14,
        decimal_places=3,
        validators=[
            MinValueValidator(
                Decimal("0.001"), message=_("The monthly volume must be more than zero.")
            )
        ],
        help_text=_("How much you want to buy each month."),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    # Derived from volume and unit on every save; the matching engine compares these.
    volume_base = models.DecimalField(max_digits=20, decimal_places=6, default=0, editable=False)
    order_size = models.DecimalField(
        _("typical order size"),
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(
                Decimal("0.001"), message=_("The typical order size must be more than zero.")
            )
        ],
        help_text=_("In the same unit as the monthly volume."),
    )
    order_size_base = models.DecimalField(
        max_digits=20, decimal_places=6, null=True, blank=True, editable=False
    )
    target_price = models.DecimalField(
        _("target price"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal("0"), message=_("The target price cannot be negative."))
        ],
        help_text=_("Per unit, in the currency below."),
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.USD
    )
    deadline = models.DateField(
        _("deadline"),
        null=True,
        blank=True,
        help_text=_("After this day producers no longer see the need. Leave empty for none."),
    )
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SourcingNeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sourcing need")
        verbose_name_plural = _("sourcing needs")
        indexes = [
            models.Index(fields=["status", "category"], name="need_status_category"),
            models.Index(fields=["buyer", "status"], name="need_buyer_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", closed_at__isnull=True)
                | models.Q(status="closed", closed_at__isnull=False),
                name="need_closed_at_only_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.buyer}"

    def save(self, *args, **kwargs):
        # Keep the base-unit copies in step with what the buyer typed.
        self.volume_base = self.volume * self.unit.to_base
        self.order_size_base = (
            self.order_size * self.unit.to_base if self.order_size is not None else None
        )
        super().save(*args, **kwargs)
        self._loaded_deadline = self.deadline

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remembered so that an unchanged deadline that has since passed does not block edits.
        instance._loaded_deadline = instance.__dict__.get("deadline")
        return instance

    def clean(self):
        super().clean()
        changed = self.deadline != getattr(self, "_loaded_deadline", None)
        if self.deadline is not None and changed and self.deadline < timezone.localdate():
            raise ValidationError(
                {
                    "deadline": _(
                        "The deadline cannot be in the past. "
                        "Choose today or a later day, or leave it empty."
                    )
                },
                code="deadline_in_past",
            )

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.deadline < timezone.localdate()
