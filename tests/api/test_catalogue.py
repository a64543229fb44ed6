"""GET /api/v1/catalogue/ and /api/v1/catalogue/{id}/: approved listings only, the same
search and filters as the catalogue page (CatalogueFilterSet), everything a buyer needs to
judge a listing, in a number of queries that does not grow with the page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from producers import services
from tests.api.conftest import error_shape
from tests.factories import (
    CategoryFactory,
    CategoryGroupFactory,
    CertificationFactory,
    HeldCertificationFactory,
    ProducerFactory,
    ProductFactory,
    ProductPhotoFactory,
    ProvinceFactory,
    TonneFactory,
    UnitFactory,
    VietnamFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(db):
    """A varied catalogue: two groups, two provinces, stars, units, prices, certifications,
    and listings that must never show (draft, submitted, rejected, a pending revision)."""
    spices = CategoryFactory()
    sauces = CategoryFactory(code="T-FOOD-SAUCE", name_en="Sauces", position=2)
    silk = CategoryFactory(
        code="T-CRAFT-SILK",
        name_en="Silk",
        parent=CategoryGroupFactory(code="T-CRAFT", name_en="Crafts", position=2),
    )
    kampot = ProvinceFactory()
    hanoi = ProvinceFactory(code="T-VN-HN", name_en="Hanoi", country=VietnamFactory())
    kg, tonne = UnitFactory(), TonneFactory()
    litre = UnitFactory(code="L", name_en="litre", symbol="L", dimension="volume")
    vietgap = CertificationFactory()
    haccp = CertificationFactory(code="T-HACCP", name_en="HACCP", kind="food_safety")
    pepper_farm = ProducerFactory(name="Kampot Pepper Farm", province=kampot)
    fish_coop = ProducerFactory(name="Phu Quoc Fish Coop", province=hanoi)
    weavers = ProducerFactory(name="Takeo Weavers", province=kampot)

    def listing(producer, category, name, **extra):
        product = ProductFactory(
            producer=producer, category=category, name=name, approved=True, **extra
        )
        ProductPhotoFactory(product=product)
        return product

    today = timezone.localdate()
    black = listing(pepper_farm, spices, "Black pepper", stars=4, capacity=Decimal("2"))
    red = listing(
        pepper_farm, spices, "Red pepper", stars=5, capacity=Decimal("500"), capacity_unit=kg
    )
    listing(
        pepper_farm,
        spices,
        "Tiêu trắng",
        name_en="White pepper",
        stars=3,
        currency="KHR",
        price_min=Decimal("40000"),
        price_max=Decimal("60000"),
    )
    sauce = listing(
        fish_coop,
        sauces,
        "Nước mắm Phú Quốc",
        stars=4,
        unit_of_sale=litre,
        capacity=Decimal("3000"),
        capacity_unit=litre,
        currency="VND",
        price_min=Decimal("90000"),
        price_max=None,
    )
    listing(
        fish_coop,
        sauces,
        "Shrimp paste",
        capacity=Decimal("1"),
        capacity_unit=tonne,
        price_min=None,
        price_max=None,
    )
    listing(
        weavers,
        silk,
        "Silk scarf",
        stars=3,
        unit_of_sale=UnitFactory(code="piece", name_en="piece", symbol="pc", dimension="count"),
        capacity=Decimal("200"),
        capacity_unit=UnitFactory(code="piece", name_en="piece", symbol="pc", dimension="count"),
    )
    HeldCertificationFactory(product=black, certification=vietgap, verified=True)
    HeldCertificationFactory(product=red, certification=vietgap)  # not verified
    HeldCertificationFactory(
        product=sauce,
        certification=haccp,
        verified=True,
        expires_on=today + dt.timedelta(days=30),
    )
    expired = HeldCertificationFactory(product=red, certification=haccp, verified=True)
    expired.__class__.objects.filter(pk=expired.pk).update(expires_on=today - dt.timedelta(days=1))
    ProductFactory(producer=pepper_farm, category=spices, name="Draft pepper")
    ProductFactory(producer=pepper_farm, category=spices, name="Submitted pepper", submitted=True)
    ProductFactory(producer=pepper_farm, category=spices, name="Rejected pepper", rejected=True)
    services.product_update(product=black, data={"name": "Black pepper, new and unreviewed"})
    return {"black": black, "red": red, "sauce": sauce}


QUERIES = [
    "",
    "category=T-FOOD",
    "category=T-FOOD-SPICE",
    "category=T-CRAFT",
    "province=KH-7",
    "province=T-VN-HN",
    "category=T-FOOD&province=KH-7",
    "certification=T-VIETGAP",
    "certification=T-HACCP",
    "min_stars=4",
    "min_stars=5",
    "min_capacity=1&capacity_unit=t",
    "min_capacity=600&capacity_unit=kg",
    "min_capacity=100&capacity_unit=L",
    "currency=VND",
    "currency=KHR&min_price=50000",
    "currency=USD&max_price=14",
    "q=pepper",
    "q=nuoc mam",
    "q=white",
    "q=kampot",
    "q=pepper&sort=newest",
    "sort=capacity",
    "q=pepper&category=T-FOOD-SPICE&min_stars=4&sort=relevance",
]


def _api_ids(api, query):
    response = api.get(f"/api/v1/catalogue/?page_size=100&{query}")
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def _web_ids(client, query):
    response = client.get(f"{reverse('catalogue:list')}?{query}")
    assert response.status_code == 200
    return [product.pk for product in response.context["products"]]


def test_filters_give_the_same_listings_in_the_same_order_as_the_catalogue_page(api, client, shelf):
    # One shelf for every query (building it is the slow part); every mismatch is reported.
    mismatches = {
        query: (api_ids, web_ids)
        for query in QUERIES
        if (api_ids := _api_ids(api, query)) != (web_ids := _web_ids(client, query))
    }
    assert mismatches == {}


def test_the_shelf_is_not_trivial(api, shelf):
    """The comparisons above are worth something: the filters do narrow the list."""
    everything = _api_ids(api, "")
    assert len(everything) == 6
    assert len({tuple(_api_ids(api, query)) for query in QUERIES}) > 10


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("min_stars=abc", "min_stars"),
        ("min_stars=99999999999999999999", "min_stars"),
        ("category=NOPE", "category"),
        ("province=NOPE", "province"),
        ("certification=NOPE", "certification"),
        ("capacity_unit=NOPE", "capacity_unit"),
        ("currency=XXX", "currency"),
        ("min_capacity=abc&capacity_unit=kg", "min_capacity"),
        ("min_capacity=1e400&capacity_unit=kg", "min_capacity"),
        ("min_capacity=-5&capacity_unit=kg", "min_capacity"),
        ("min_price=99999999999999999999999&currency=USD", "min_price"),
        ("sort=cheapest", "sort"),
        ("q=" + "x" * 101, "q"),
    ],
)
def test_invalid_filters_are_a_400_naming_the_parameter(api, query, parameter):
    response = api.get(f"/api/v1/catalogue/?{query}")

    assert response.status_code == 400, response.content
    assert parameter in error_shape(response)["errors"]


def test_a_listing_reads_with_everything_a_buyer_judges_by(api, shelf):
    black = shelf["black"]

    item = api.get(f"/api/v1/catalogue/{black.pk}/").json()

    assert item["name"] == "Black pepper"  # the pending revision is not published
    assert item["category"]["code"] == "T-FOOD-SPICE"
    assert item["category"]["group"] == {
        "id": black.category.parent_id,
        "code": "T-FOOD",
        "name": "Food",
    }
    assert item["producer"] == {
        "id": black.producer_id,
        "name": "Kampot Pepper Farm",
        "province": {"code": "KH-7", "name": "Kampot"},
    }
    assert item["unit_of_sale"] == {"code": "kg", "symbol": "kg", "name": "kilogram"}
    assert (item["capacity"], item["capacity_unit"]["code"]) == ("2.000", "t")
    assert (item["capacity_base"], item["base_unit"]) == ("2000.000000", "kg")
    assert item["min_order"] == "10.000"
    assert (item["price_min"], item["price_max"], item["currency"]) == ("12.50", "15.00", "USD")
    assert item["stars"] == 4
    assert item["months"] == list(range(1, 13))
    assert [held["code"] for held in item["certifications"]] == ["T-VIETGAP"]
    assert item["certifications"][0]["verified"] is True
    [photo] = item["photos"]
    assert photo["thumbnail"].startswith("http://testserver/media/")
    assert photo["thumbnail"].endswith(".webp")
    assert photo["large"].startswith("http://testserver/media/")
    assert "status" not in item and "rejection_reason" not in item


def test_only_verified_unexpired_certifications_are_shown(api, shelf):
    red = api.get(f"/api/v1/catalogue/{shelf['red'].pk}/").json()
    sauce = api.get(f"/api/v1/catalogue/{shelf['sauce'].pk}/").json()

    assert red["certifications"] == []  # one unverified, one expired
    assert [held["code"] for held in sauce["certifications"]] == ["T-HACCP"]


def test_unpublished_listings_and_revisions_are_not_found(api, shelf):
    black = shelf["black"]
    revision = black.pending_revision
    hidden = list(black.__class__.objects.exclude(status="approved").values_list("pk", flat=True))

    assert revision.pk in hidden
    for pk in hidden:
        response = api.get(f"/api/v1/catalogue/{pk}/")
        assert response.status_code == 404
        assert error_shape(response)["code"] == "not_found"
    assert api.get("/api/v1/catalogue/99999999999999999999/").status_code == 404


def _count_queries(api, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_the_list_takes_the_same_few_queries_however_many_listings(
    api, shelf, django_assert_max_num_queries
):
    few = _count_queries(api, "/api/v1/catalogue/?page_size=3")
    for index in range(15):
        product = ProductFactory(approved=True, name=f"More pepper {index}")
        ProductPhotoFactory.create_batch(2, product=product)
        HeldCertificationFactory(product=product, verified=True)

    many = _count_queries(api, "/api/v1/catalogue/?page_size=100")

    assert many == few
    # count, listings, photos, certifications, and one lookup per taxonomy filter used
    with django_assert_max_num_queries(6):
        api.get("/api/v1/catalogue/?page_size=100&category=T-FOOD&certification=T-VIETGAP")
