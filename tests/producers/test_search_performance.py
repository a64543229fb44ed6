"""Catalogue search at scale: the reference rows kept per process (and forgotten as soon as
they change), a page and its count read in one query whatever the page size, the same pages
as Django's paginator gives, group and unit filters alike from the cache or a subquery, and
the indexes PostgreSQL counts from."""

import time
from decimal import Decimal
from unittest import mock

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from producers import selectors, views
from producers.filters import CachedTaxonomyCodeField, CatalogueFilterSet
from taxonomy import selectors as reference
from taxonomy.models import Category, Unit
from tests.factories import (
    CategoryFactory,
    CategoryGroupFactory,
    CertificationFactory,
    HeldCertificationFactory,
    ProducerFactory,
    ProductFactory,
    ProductPhotoFactory,
    TonneFactory,
    UnitFactory,
)

URL = reverse("catalogue:list")
API_URL = "/api/v1/catalogue/"
# Every filter, the group (T-FOOD) and the capacity unit included.
ALL_FILTERS = {
    "q": "pepper",
    "category": "T-FOOD",
    "province": "KH-7",
    "certification": "T-VIETGAP",
    "min_stars": "3",
    "min_capacity": "1",
    "capacity_unit": "kg",
    "currency": "USD",
    "max_price": "100",
}


def catalogue_with(count: int, name: str = "Pepper", description: str = "", **fields):
    vietgap = CertificationFactory()
    products = []
    for n in range(count):
        product = ProductFactory(
            approved=True,
            name=f"{name} {n}",
            description=description,
            stars=4,
            capacity=Decimal(n + 1),
            producer=ProducerFactory(),
            **fields,
        )
        ProductPhotoFactory(product=product)
        HeldCertificationFactory(product=product, certification=vietgap, verified=True)
        products.append(product)
    return products


def queries(client, url, params) -> tuple[int, int]:
    """(queries, listings shown) of one request."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    shown = response.context["products"] if response.context else response.json()["results"]
    return len(captured), len(shown)


# --- The reference rows' cache --------------------------------------------------------------


def test_inside_a_transaction_the_reference_rows_are_read_each_time(db, django_assert_num_queries):
    with django_assert_num_queries(2):
        first = reference.reference_rows("category")
        second = reference.reference_rows("category")
    assert first == second and first is not second
    assert reference.reference_rows_cached("category") is None


@pytest.mark.django_db(transaction=True)
def test_a_page_takes_one_query_once_the_reference_rows_are_read(client):
    catalogue_with(30)
    client.get(URL, ALL_FILTERS)  # reads the reference rows, as a running site has
    counts = {}
    for size in (5, 24):
        with mock.patch.object(views, "CATALOGUE_PAGE_SIZE", size):
            for params in ({}, ALL_FILTERS, {**ALL_FILTERS, "sort": "capacity", "page": "2"}):
                count, shown = queries(client, URL, params)
                assert shown == min(size, 30 - (int(params.get("page", 1)) - 1) * size)
                counts[size, tuple(params)] = count
    # The page and its count, in one query, however many listings a page holds.
    assert set(counts.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_a_change_to_the_reference_rows_shows_on_the_next_page(client):
    catalogue_with(2)
    client.get(URL)
    assert queries(client, URL, {})[0] == 1

    spices = Category.objects.get(code="T-FOOD-SPICE")
    spices.name_en = "Spices, dried"
    spices.save()  # as the admin saves it
    with CaptureQueriesContext(connection) as captured:
        page = client.get(URL).content.decode()
    assert ">Spices, dried</option>" in page
    assert len(captured) > 1  # read again...
    assert queries(client, URL, {})[0] == 1  # ...and kept again

    # A change this process does not hear of (another process's admin) shows once the copy
    # expires.
    Category.objects.filter(code="T-FOOD-SPICE").update(name_en="Spices, elsewhere")
    assert "Spices, elsewhere" not in client.get(URL).content.decode()
    later = time.monotonic() + reference.REFERENCE_ROWS_TTL + 1
    with mock.patch.object(reference, "time", mock.Mock(monotonic=lambda: later)):
        assert ">Spices, elsewhere</option>" in client.get(URL).content.decode()


def test_the_choices_are_made_once_per_language_from_the_same_rows(db):
    CategoryFactory()
    rows = tuple(Category.objects.order_by("position", "code"))

    def choices(language: str) -> list:
        with translation.override(language):
            field = CatalogueFilterSet(QueryDict()).form.fields["category"]
            assert isinstance(field, CachedTaxonomyCodeField)
            return field._choice_list()

    with mock.patch("producers.filters.reference_rows", return_value=rows):
        english, english_again, vietnamese = choices("en"), choices("en"), choices("vi")
    assert english_again is english
    assert vietnamese is not english
    assert any(("T-FOOD", "All of Food") in options for _group, options in english[1:])
    with mock.patch("producers.filters.reference_rows", return_value=(*rows,)):
        assert choices("en") is not english  # rows read again: choices made again


# --- One query per page ---------------------------------------------------------------------


def pks(page) -> list[int]:
    return [product.pk for product in page]


@pytest.mark.parametrize(
    "search",
    [{}, {"q": "pepper"}, {"sort": "capacity"}, {"q": "pepper", "sort": "newest"}],
)
def test_the_one_query_paginator_gives_the_pages_django_gives(db, search):
    catalogue_with(20)
    catalogue_with(3, name="Salted crab", description="With Kampot pepper")  # ranks after
    products = selectors.products_for_cards(selectors.products_search(**search))
    for asked in ("1", "2", "4", "99", "abc", "0", "-1"):
        ours = selectors.DeferredJoinPaginator(products, 7)
        django = Paginator(products, 7)
        expected = django.get_page(asked)
        got = ours.get_page(asked)
        assert (got.number, pks(got)) == (expected.number, pks(expected))
        assert (ours.count, ours.num_pages) == (django.count, django.num_pages) == (23, 4)


def test_a_page_and_its_count_come_in_one_query(db, django_assert_num_queries):
    catalogue_with(10)
    products = selectors.products_search(q="pepper")
    paginator = selectors.DeferredJoinPaginator(products, 4)
    with django_assert_num_queries(1):
        page = paginator.get_page(2)
        assert (len(page), paginator.count, paginator.num_pages) == (4, 10, 3)
        assert page.has_next() and page.previous_page_number() == 1
    # Past the end: the empty page, the count, then the last page.
    with django_assert_num_queries(3):
        page = selectors.DeferredJoinPaginator(products, 4).get_page(9)
        assert (page.number, len(page)) == (3, 2)
    # Nothing matches: the empty page and the count.
    with django_assert_num_queries(2):
        paginator = selectors.DeferredJoinPaginator(selectors.products_search(q="durian"), 4)
        page = paginator.get_page(1)
        assert (page.number, len(page), paginator.count) == (1, 0, 0)


def test_the_api_reads_a_page_and_its_count_in_one_query(client, db):
    catalogue_with(12)
    client.get(API_URL)
    counts = {size: queries(client, API_URL, {"page_size": size}) for size in (5, 100)}
    # The page with its count, all the photos, all the certifications.
    assert counts == {5: (3, 5), 100: (3, 12)}
    assert client.get(API_URL, {"page_size": 5, "page": 3}).json()["count"] == 12
    assert client.get(API_URL, {"page_size": 5, "page": 4}).status_code == 400


# --- Group and dimension filters from the cache or a subquery -------------------------------


def test_group_and_unit_filters_match_alike_from_the_cache_or_a_subquery(db):
    spices = CategoryFactory()
    silk = CategoryFactory(
        code="T-CRAFT-SILK", name_en="Silk", parent=CategoryGroupFactory(code="T-CRAFT")
    )
    litre = UnitFactory(code="L", name_en="litre", symbol="L", dimension="volume")
    in_tonnes = catalogue_with(3, category=spices)  # the factory's capacity unit
    catalogue_with(2, category=silk)
    catalogue_with(2, category=spices, capacity_unit=litre)
    group, tonne = Category.objects.get(code="T-FOOD"), TonneFactory()

    def found(cached: bool) -> tuple[list, str]:
        rows = {"category": tuple(Category.objects.all()), "unit": tuple(Unit.objects.all())}
        with mock.patch.object(
            selectors, "reference_rows_cached", lambda taxonomy: rows[taxonomy] if cached else None
        ):
            products = selectors.products_search(
                category=group, min_capacity=Decimal("0.5"), capacity_unit=tonne
            )
            return list(products.values_list("pk", flat=True)), str(products.query)

    (from_cache, listed), (from_subquery, subquery) = found(True), found(False)
    assert from_cache == from_subquery == [product.pk for product in in_tonnes[::-1]]
    assert "taxonomy_category" not in listed and "taxonomy_unit" not in listed
    assert "taxonomy_category" in subquery and "taxonomy_unit" in subquery


# --- PostgreSQL's indexes -------------------------------------------------------------------


@pytest.mark.postgres
def test_the_filters_have_partial_indexes_of_the_public_listings_on_postgresql(db):
    catalogue_with(3)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('product_public_newest', 'product_public_price')"
        )
        definitions = dict(cursor.fetchall())
        # On a table this small the planner may pick either; on a catalogue, see bench_search.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        priced = selectors.products_search(currency="USD", min_price=5, max_price=20)
        plan = priced.order_by().values("pk").explain()
    public = "WHERE ((revision_of_id IS NULL) AND ((status)::text = 'approved'::text))"
    newest, price = definitions["product_public_newest"], definitions["product_public_price"]
    assert "(created_at DESC, id DESC, category_id, producer_id, stars, " in newest
    assert "capacity_unit_id, capacity_base, currency, price_min, price_max)" in newest
    assert "(currency, price_min, price_max)" in price
    assert public in newest and public in price
    assert any(f"using {name}" in plan for name in definitions)
