"""Producers and their product listings, with photos, held certifications and review state.

A listing is public only while approved. Editing an approved listing works on a revision
(a draft copy pointing at it with `revision_of`); the public row only changes when an
organiser approves that revision, so unreviewed content is never published.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from imagekit.models import ImageSpecField
from imagekit.processors import ResizeToFill, ResizeToFit

from producers.imagegenerators import ListThumbnail
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


# --- Content language -----------------------------------------------------------------------
# Producers write a listing in their own language and may add an English name and
# description. The languages a listing can be written in are wider than the languages the
# pages are translated into (settings.LANGUAGES): forums also serve Thailand and Japan.


class ContentLanguage(models.TextChoices):
    KHMER = "km", _("Khmer")
    VIETNAMESE = "vi", _("Vietnamese")
    ENGLISH = "en", _("English")
    THAI = "th", _("Thai")
    JAPANESE = "ja", _("Japanese")


# Each language in its own script, as a reader of it would look for it ("Original (Tiếng
# Việt)"); not translated, on purpose.
CONTENT_LANGUAGE_AUTONYMS = {
    "km": "ភាសាខ្មែរ",
    "vi": "Tiếng Việt",
    "en": "English",
    "th": "ภาษาไทย",
    "ja": "日本語",
}
# The language producers of a country (ISO code) most likely write in.
COUNTRY_CONTENT_LANGUAGES = {"KH": "km", "VN": "vi", "TH": "th", "JP": "ja"}


def content_language_default(*, country_code: str = "", preferred: str = "") -> str:
    """The language a new listing is most likely written in: that of the producer's country,
    else `preferred` (the member's preferred language, or the page's) when a listing can be
    written in it, else English. Also what the migration fills existing listings with."""
    by_country = COUNTRY_CONTENT_LANGUAGES.get((country_code or "").upper())
    if by_country:
        return by_country
    preferred = (preferred or "").lower()[:2]
    return preferred if preferred in ContentLanguage.values else ContentLanguage.ENGLISH


def content_language_for_producer(producer: "Producer | None", user=None) -> str:
    """content_language_default for a producer (by its province's country) and a member."""
    country_code = producer.province.country.code if producer is not None else ""
    return content_language_default(
        country_code=country_code, preferred=getattr(user, "language", "")
    )


def reader_language(language: str | None = None) -> str:
    """The language code a reader reads: the given one, or the active one, without region."""
    return (language or translation.get_language() or "en").lower().split("-")[0]


@dataclass(frozen=True)
class LocalisedText:
    """A listing's name and description as one reader sees them, each with the language it
    is written in (for a `lang` attribute) and whether it is the English version in place of
    the original."""

    name: str
    name_language: str
    description: str
    description_language: str
    name_is_translation: bool = False
    description_is_translation: bool = False


# --- Search text ----------------------------------------------------------------------------
# Catalogue search matches a query against `Product.search_text`, which both sides normalise
# the same way, in Python, so it behaves the same on PostgreSQL and SQLite: case-folded,
# Vietnamese accents dropped (đ -> d, so "nuoc mam" finds "nước mắm"), punctuation turned
# into spaces. Only Latin accents go: Khmer vowel signs are combining marks too, and dropping
# them would merge different words.

_LATIN_MARKS = re.compile("[\u0300-\u036f]")
# Zero-width characters, common in Khmer text, separate nothing a reader sees.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# Subscript ta and subscript da look the same in Khmer and are written either way (កណ្តាល).
_KHMER_COENG_TA, _KHMER_COENG_DA = "\u17d2\u178f", "\u17d2\u178a"
# Between the parts of search_text; never produced by search_normalise (it is punctuation).
SEARCH_SECTION = " | "
# The fields search_text is made from (with the producer's name).
SEARCH_SOURCE_FIELDS = frozenset(
    {"name", "name_en", "description", "description_en", "producer", "producer_id"}
)


@cache
def _separators() -> dict[int, str | None]:
    """A str.translate table: punctuation, symbols, spaces and controls become spaces."""
    table: dict[int, str | None] = {
        codepoint: " "
        for codepoint in range(0x10000)
        if unicodedata.category(chr(codepoint))[0] in "PSZC"
    }
    table.update(dict.fromkeys(map(ord, _INVISIBLE)))
    return table


def search_normalise(text: str) -> str:
    """Text as search compares it: "Nước mắm Phú-Quốc!" -> "nuoc mam phu quoc"."""
    text = unicodedata.normalize("NFKC", text or "").translate(_separators()).casefold()
    text = text.replace(_KHMER_COENG_TA, _KHMER_COENG_DA).replace("đ", "d")
    text = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", text))
    return " ".join(unicodedata.normalize("NFC", text).split())


def product_search_text(
    *, name: str, name_en: str, producer_name: str, description: str, description_en: str
) -> str:
    """The names first, then the producer, then the descriptions, so a search can tell a
    match in the names from one further on. Padded with spaces so a whole word can be
    matched as " word " anywhere."""
    names = search_normalise(f"{name} {name_en}")
    descriptions = search_normalise(f"{description} {description_en}")
    return (
        f" {names}{SEARCH_SECTION}{search_normalise(producer_name)}{SEARCH_SECTION}{descriptions} "
    )


class PostgresTrigramIndex(GinIndex):
    """A GIN trigram index (pg_trgm) on PostgreSQL, and nothing on other databases.

    SQLite has no GIN: there the same LIKE searches run unindexed. Creating nothing (rather
    than failing) keeps SQLite's table rebuilds in later migrations working.
    """

    def __init__(self, *, fields, name):
        super().__init__(fields=fields, name=name, opclasses=["gin_trgm_ops"])

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs.pop("opclasses", None)
        return path, args, kwargs

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return f"-- {self.name}: PostgreSQL only"
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return f"-- {self.name}: PostgreSQL only"
        return super().remove_sql(model, schema_editor, **kwargs)


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

    def search_text_refresh(self) -> int:
        """Recompute search_text for these rows (after their producer is renamed, say)."""
        products = list(
            self.select_related("producer").only(
                "name", "name_en", "description", "description_en", "producer__name"
            )
        )
        for product in products:
            product.search_text = product.search_text_compute()
        return self.model.objects.bulk_update(products, ["search_text"], batch_size=500)


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
    # The language of `name` and `description` (the English ones are English). Filled from
    # the producer's country on save when left empty (content_language_default).
    content_language = models.CharField(
        _("language of the listing"),
        max_length=8,
        choices=ContentLanguage.choices,
        help_text=_("The language you write the product name and description in."),
    )
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
    # Derived on save from the names, descriptions and the producer's name (see
    # product_search_text); what catalogue search matches, through a trigram index.
    search_text = models.TextField(default="", blank=True, editable=False)
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
            # Catalogue search: words through trigrams; the two orders of the public list.
            PostgresTrigramIndex(fields=["search_text"], name="product_search_text_trgm"),
            # Newest first; its other columns are those the filters read, so counting the
            # matches of filters, or walking to a page of them, never reads the table itself.
            models.Index(
                fields=[
                    "-created_at",
                    "-id",
                    "category",
                    "producer",
                    "stars",
                    "capacity_unit",
                    "capacity_base",
                    "currency",
                    "price_min",
                    "price_max",
                ],
                name="product_public_newest",
                condition=Q(status="approved", revision_of__isnull=True),
            ),
            models.Index(
                fields=["-capacity_base", "-created_at", "-id"],
                name="product_public_capacity",
                condition=Q(status="approved", revision_of__isnull=True),
            ),
            # The price filter: public listings in one currency, read from the index alone.
            models.Index(
                fields=["currency", "price_min", "price_max"],
                name="product_public_price",
                condition=Q(status="approved", revision_of__isnull=True),
            ),
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
        # Keep the base-unit copies and the search text in step with what the producer typed.
        update_fields = kwargs.get("update_fields")
        self.capacity_base = self.capacity * self.capacity_unit.to_base
        self.min_order_base = (
            self.min_order * self.unit_of_sale.to_base if self.min_order is not None else None
        )
        if not self.content_language:
            self.content_language = content_language_for_producer(self.producer)
            if update_fields is not None:
                update_fields = kwargs["update_fields"] = {*update_fields, "content_language"}
        if update_fields is None or not SEARCH_SOURCE_FIELDS.isdisjoint(update_fields):
            self.search_text = self.search_text_compute()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def search_text_compute(self) -> str:
        return product_search_text(
            name=self.name,
            name_en=self.name_en,
            producer_name=self.producer.name,
            description=self.description,
            description_en=self.description_en,
        )

    @property
    def months(self) -> list[int]:
        return mask_to_months(self.months_mask)

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.APPROVED and self.revision_of_id is None

    def localised(self, language: str | None = None) -> LocalisedText:
        """The name and description for a reader of `language` (default: the active one).

        - A reader of the listing's own language sees the original.
        - Anyone else sees the English version, where the producer gave one: a Khmer reader
          looking at a Vietnamese listing with an English name sees the English name. More
          buyers read English than read a foreign script, and a Khmer reader can make
          nothing of Vietnamese (nor a Vietnamese reader of Khmer script), so English is
          the better guess for every reader but the original's own.
        - Otherwise the original, which is all there is.

        Name and description are chosen separately: a listing may have an English name and
        no English description. A listing written in English has no "English version" but
        its original.
        """
        name, name_language, name_translated = self._localised_field("name", language)
        description, description_language, description_translated = self._localised_field(
            "description", language
        )
        return LocalisedText(
            name=name,
            name_language=name_language,
            description=description,
            description_language=description_language,
            name_is_translation=name_translated,
            description_is_translation=description_translated,
        )

    def _localised_field(self, field: str, language: str | None) -> tuple[str, str, bool]:
        """(text, its language, whether it is the English version) of `field` ("name" or
        "description") for a reader of `language`; reads only that field and its English
        twin (product cards defer the descriptions)."""
        original = self.content_language or ContentLanguage.ENGLISH
        english = getattr(self, f"{field}_en")
        if (
            english
            and original != ContentLanguage.ENGLISH
            and reader_language(language) != original
        ):
            return english, ContentLanguage.ENGLISH, True
        return getattr(self, field), original, False

    @property
    def display(self) -> LocalisedText:
        """localised() for the active language, for templates: `product.display.name`."""
        return self.localised()

    @property
    def content_language_autonym(self) -> str:
        """The original's language in its own script, e.g. "Tiếng Việt"."""
        return CONTENT_LANGUAGE_AUTONYMS.get(self.content_language, self.content_language)

    @property
    def display_name(self) -> str:
        """The name in the reader's language, or English, or the original (see localised)."""
        return self._localised_field("name", None)[0]

    @property
    def display_name_language(self) -> str:
        """The language display_name is written in, for a `lang` attribute."""
        return self._localised_field("name", None)[1]

    @property
    def card_photo(self) -> "ProductPhoto | None":
        """The first photo, for a product card: from the `card_image` annotation of
        selectors.products_for_cards when there is one (no query), else read."""
        if hasattr(self, "card_image"):
            return ProductPhoto(product=self, image=self.card_image) if self.card_image else None
        return self.photos.order_by("position", "pk").first()

    @property
    def display_description(self) -> str:
        return self._localised_field("description", None)[0]


class ProductPhoto(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(
        _("photo"), upload_to="products/%Y/%m/", validators=[validate_image_file]
    )
    position = models.PositiveSmallIntegerField(default=0)
    # List thumbnails are WebP and at most 40 KB, for a 3G connection (see imagegenerators).
    thumbnail = ImageSpecField(source="image", spec=ListThumbnail)
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


# The import's records (ImportBatch, ClaimCode) live beside its code; importing them here
# registers them with this app.
from producers.importing.models import ClaimCode, ImportBatch  # noqa: E402, F401
