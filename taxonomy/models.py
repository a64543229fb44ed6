"""Shared vocabulary: countries, provinces, categories, certifications and units.

Loaded by data migrations, so every environment has the same reference rows with the same
codes. Names come in English, Khmer and Vietnamese; `name` picks the active language.
"""

from decimal import Decimal

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class LocalizedNameMixin(models.Model):
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_km = models.CharField(_("name (Khmer)"), max_length=120, blank=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=120, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = (translation.get_language() or "en")[:2]
        return getattr(self, f"name_{language}", "") or self.name_en


class Country(LocalizedNameMixin):
    code = models.CharField(_("ISO code"), max_length=2, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=40)
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")


class ProvinceQuerySet(models.QuerySet):
    def current(self):
        return self.filter(merged_into__isnull=True, is_current=True)


class Province(LocalizedNameMixin):
    """A first-level unit. Vietnam's 63 pre-2025 units stay as rows pointing at their successor."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="provinces")
    code = models.CharField(_("code"), max_length=12, unique=True)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5)
    is_current = models.BooleanField(_("in force"), default=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="former_units",
        verbose_name=_("now part of"),
    )

    objects = ProvinceQuerySet.as_manager()

    class Meta:
        ordering = ["country__code", "name_en"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")


class Category(LocalizedNameMixin):
    """OCOP product tree: six groups, each with subgroups (Decision 148/QĐ-TTg, 2023)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("group"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    @property
    def is_group(self) -> bool:
        return self.parent_id is None

    @property
    def group_id(self) -> int:
        return self.parent_id or self.pk


class Certification(LocalizedNameMixin):
    class Kind(models.TextChoices):
        STARS = "stars", _("OCOP star rating")
        REGISTRATION = "registration", _("OVOP/OTOP registration")
        GAP = "gap", _("Good agricultural practice")
        FOOD_SAFETY = "food_safety", _("Food safety")
        ORGANIC = "organic", _("Organic")
        HALAL = "halal", _("Halal")
        GEOGRAPHICAL = "gi", _("Geographical indication")
        EXPORT = "export", _("Export registration")

    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    issuer = models.CharField(_("issuer"), max_length=120, blank=True)
    stars = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")


class Unit(LocalizedNameMixin):
    """A unit of measure. Quantities are stored in the base unit of their dimension."""

    class Dimension(models.TextChoices):
        MASS = "mass", _("mass")
        VOLUME = "volume", _("volume")
        COUNT = "count", _("count")

    BASE_UNITS = {"mass": "kg", "volume": "L", "count": "piece"}

    code = models.CharField(_("code"), max_length=16, unique=True)
    symbol = models.CharField(_("symbol"), max_length=16)
    dimension = models.CharField(_("dimension"), max_length=8, choices=Dimension.choices)
    to_base = models.DecimalField(
        _("size in base unit"),
        max_digits=14,
        decimal_places=6,
        help_text=_("How many kg, L or pieces one of this unit is."),
    )
    aliases = models.TextField(
        _("other spellings"),
        blank=True,
        help_text=_("One per line, in any language; used when reading spreadsheets."),
    )

    class Meta:
        ordering = ["dimension", "to_base"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def to_base_quantity(self, quantity: Decimal) -> Decimal:
        return Decimal(quantity) * self.to_base

    def from_base_quantity(self, quantity: Decimal) -> Decimal:
        return Decimal(quantity) / self.to_base


class Currency(models.TextChoices):
    KHR = "KHR", _("Cambodian riel")
    VND = "VND", _("Vietnamese đồng")
    USD = "USD", _("US dollar")
    THB = "THB", _("Thai baht")
    JPY = "JPY", _("Japanese yen")
