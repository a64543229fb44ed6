"""Reads about producers and listings, shared by pages, the review queue and other apps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import StrIndex
from django.db.models.lookups import LessThan
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
from producers.models import (
    SEARCH_SECTION,
    HeldCertification,
    Producer,
    Product,
    ProductPhoto,
    search_normalise,
)
from taxonomy.models import Category, Certification, Province, Unit
from taxonomy.selectors import reference_rows_cached


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


# --- Catalogue ------------------------------------------------------------------------------


class CatalogueSort:
    RELEVANCE = "relevance"
    NEWEST = "newest"
    CAPACITY = "capacity"


# Words this short are matched whole (" ca " finds "cá", not "cacao"): as substrings they
# match nearly everything, and trigram indexes cannot narrow them down.
SHORT_WORD = 2
MAX_SEARCH_WORDS = 8


@dataclass(frozen=True)
class SearchTerm:
    word: str
    whole: bool

    @property
    def pattern(self) -> str:
        """What search_text must contain (it is padded, so a whole word has spaces round)."""
        return f" {self.word} " if self.whole else self.word


def search_terms(query: str) -> list[SearchTerm]:
    """The words of a query, normalised like search_text, each once, at most 8.

    Short Latin words and numbers are matched whole; a short Khmer run stays a substring,
    since Khmer writes no spaces between words.
    """
    words = list(dict.fromkeys(search_normalise(query).split()))[:MAX_SEARCH_WORDS]
    return [SearchTerm(word, whole=len(word) <= SHORT_WORD and word.isascii()) for word in words]


def products_for_cards(products: QuerySet[Product]) -> QuerySet[Product]:
    """Listings with what a product card shows, in one query however many cards there are:
    producer, province and capacity unit joined, and the first photo's file
    (`card_image`, which `Product.card_photo` turns into a photo with its thumbnail)."""
    first_photo = ProductPhoto.objects.filter(product=OuterRef("pk")).order_by("position", "pk")
    return (
        products.select_related("producer__province", "capacity_unit")
        .annotate(card_image=Subquery(first_photo.values("image")[:1]))
        .defer("search_text", "description", "description_en")  # long, and not on a card
    )


class _CountOf(Subquery):
    """The number of rows of a queryset, as a scalar subquery (run once: it is uncorrelated)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"

    def __init__(self, queryset: QuerySet):
        super().__init__(queryset.order_by().values("pk"), output_field=IntegerField())


class DeferredJoinPaginator(Paginator):
    """Pages a queryset in two steps within one query: the page's ids first, with only the
    joins its filters need, then those rows alone with their select_related joins and
    prefetches. A deep page or a sort over many rows then skips rows without joining them.

    The same query also counts the matching rows, so a page costs one query rather than a
    count and then the page. Only when the page comes out empty (nothing matches, or the
    number is past the end) is the count read on its own, to find the page to show instead.
    The page's object_list is then a list, already read.
    """

    TOTAL = "paginator_total"  # the annotation carrying the count on each row
    # A page further on than this cannot exist, and its OFFSET may overflow the database's
    # integers (SQLite's): such a number is checked against the count first, as Paginator does.
    MAX_OFFSET = 2**31

    def validate_number(self, number) -> int:
        if "count" in self.__dict__:
            return super().validate_number(number)
        # Not counted yet: check the form of the number; page() finds out whether it exists.
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def get_page(self, number) -> Page:
        # As Paginator.get_page, but page() may be the one to find the number past the end.
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if "count" not in self.__dict__:
            if not self.orphans and bottom < self.MAX_OFFSET:
                rows = list(self._rows(bottom, bottom + self.per_page, counted=True))
                if rows:
                    self.count = getattr(rows[0], self.TOTAL)
                    return self._get_page(rows, number, self)
            number = super().validate_number(number)  # counts; raises EmptyPage past the end
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def _rows(self, bottom: int, top: int, *, counted: bool = False) -> QuerySet:
        ids = self.object_list.values("pk")[bottom:top]
        rows = self.object_list.filter(pk__in=ids)
        if counted:
            rows = rows.annotate(**{self.TOTAL: _CountOf(self.object_list)})
        return rows


def _text_relevance(products: QuerySet[Product], terms: list[SearchTerm]) -> QuerySet[Product]:
    """Best first: listings with more of the words in their names (rather than only in the
    producer's name or a description), then, on PostgreSQL, the closest trigram match of
    the query to the names, then the newest."""
    names_end = StrIndex("search_text", Value(SEARCH_SECTION))
    in_names = [
        Case(
            When(LessThan(StrIndex("search_text", Value(term.pattern)), names_end), then=1),
            default=0,
            output_field=IntegerField(),
        )
        for term in terms
    ]
    hits = in_names[0]
    for more in in_names[1:]:
        hits = hits + more
    ordering = [hits.desc()]
    if connections[products.db].vendor == "postgresql":
        names = Func(
            F("search_text"),
            Value(SEARCH_SECTION),
            Value(1),
            function="SPLIT_PART",
            output_field=TextField(),
        )
        query = " ".join(term.word for term in terms)
        ordering.append(TrigramWordSimilarity(query, names).desc())
    return products.order_by(*ordering, "-created_at", "-pk")


def _reference_ids(
    taxonomy: str, rows: QuerySet, keep: Callable[[Any], bool]
) -> list[int] | QuerySet:
    """The ids of `rows` (categories or units; `keep` says the same in Python), written out
    as a list when the reference rows' cache holds them (the filter form has just read them
    there), else as a subquery.

    A list lets the planner estimate how many listings match and read them from an index,
    where a join with an OR (a group and its subgroups) or a join to the units (those of one
    dimension) leaves it guessing, and it then picks bad plans. Both forms give the same
    listings; the list is not worth a query of its own (nor is anything cached inside a
    transaction, where the rows are read afresh)."""
    cached = reference_rows_cached(taxonomy)
    if cached is None:
        return rows.values("pk")
    return [row.pk for row in cached if keep(row)]


def products_search(
    *,
    products: QuerySet[Product] | None = None,
    q: str = "",
    category: Category | None = None,
    province: Province | None = None,
    certification: Certification | None = None,
    min_stars: int | None = None,
    min_capacity: Decimal | None = None,
    capacity_unit: Unit | None = None,
    currency: str = "",
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    sort: str = "",
) -> QuerySet[Product]:
    """Approved listings matching the catalogue's search and filters, in the chosen order.

    - `q`: every word must appear in the names, descriptions or producer's name, with or
      without Vietnamese accents (see search_terms);
    - `category`: a subgroup, or a group (all its subgroups);
    - `certification`: held, verified and unexpired today;
    - `min_capacity` with `capacity_unit`: monthly capacity of at least that much, compared
      in base units and only within the unit's dimension (kg with t, never with L);
    - `currency`, `min_price`, `max_price`: listings priced in that currency whose price range
      overlaps [min_price, max_price] (an open end of the listing's range overlaps anything
      beyond it; listings without a price are left out once a price is asked for; prices
      count only with a currency, since no exchange rates are applied);
    - `sort`: relevance (the default with `q`), newest (the default without) or capacity.

    Unapproved listings and pending revisions never come out, whatever `products` holds.
    """
    products = products if products is not None else Product.objects.all()
    products = products.filter(status=Product.Status.APPROVED, revision_of__isnull=True)
    terms = search_terms(q)
    for term in terms:
        # `contains`, not `icontains`: both sides are already folded, and PostgreSQL's
        # icontains wraps the column in UPPER(), which the trigram index cannot serve.
        products = products.filter(search_text__contains=term.pattern)
    if category is not None:
        if category.parent_id is None:
            group = _reference_ids(
                "category",
                Category.objects.filter(Q(pk=category.pk) | Q(parent=category.pk)),
                lambda row: category.pk in (row.pk, row.parent_id),
            )
            products = products.filter(category__in=group)
        else:
            products = products.filter(category=category)
    if province is not None:
        products = products.filter(producer__province=province)
    if certification is not None:
        held = HeldCertification.objects.valid_on(timezone.localdate()).filter(
            product=OuterRef("pk"), certification=certification
        )
        products = products.filter(Exists(held))
    if min_stars:
        products = products.filter(stars__gte=min_stars)
    if min_capacity is not None and capacity_unit is not None:
        dimension = capacity_unit.dimension
        same_dimension = _reference_ids(
            "unit", Unit.objects.filter(dimension=dimension), lambda row: row.dimension == dimension
        )
        products = products.filter(
            capacity_unit__in=same_dimension,
            capacity_base__gte=capacity_unit.to_base_quantity(min_capacity),
        )
    if currency:
        products = products.filter(currency=currency)
        if min_price is not None or max_price is not None:
            products = products.exclude(price_min__isnull=True, price_max__isnull=True)
        if max_price is not None:
            products = products.filter(Q(price_min__isnull=True) | Q(price_min__lte=max_price))
        if min_price is not None:
            products = products.filter(Q(price_max__isnull=True) | Q(price_max__gte=min_price))

    if not sort:
        sort = CatalogueSort.RELEVANCE if terms else CatalogueSort.NEWEST
    if sort == CatalogueSort.RELEVANCE and terms:
        return _text_relevance(products, terms)
    if sort == CatalogueSort.CAPACITY:
        return products.order_by("-capacity_base", "-created_at", "-pk")
    return products.order_by("-created_at", "-pk")


def products_approved(
    *, category: Category | None = None, province: Province | None = None
) -> QuerySet[Product]:
    """Public listings, newest first, ready for cards; `category` may be a group (all its
    subgroups)."""
    return products_for_cards(products_search(category=category, province=province))


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
            _("Language you write in"): product.content_language_autonym,
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
