"""Catalogue search: words in Vietnamese (with or without accents), Khmer (inside unspaced
names) and English; filters alone and together; capacity compared across units; the orders;
only approved listings, ever; search text kept up to date; clear messages for bad values; a
bounded number of queries; the search kept in the page links."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from producers import services
from producers.filters import CatalogueFilterSet
from producers.models import Product, search_normalise
from producers.selectors import search_terms
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

URL = reverse("catalogue:list")


@pytest.fixture
def spices(db):
    return CategoryFactory()  # T-FOOD-SPICE in group T-FOOD


@pytest.fixture
def sauces(db):
    return CategoryFactory(code="T-FOOD-SAUCE", name_en="Sauces", position=2)


@pytest.fixture
def crafts(db):
    group = CategoryGroupFactory(code="T-CRAFT", name_en="Crafts", position=2)
    return CategoryFactory(code="T-CRAFT-SILK", name_en="Silk", parent=group)


@pytest.fixture
def kien_giang(db):
    return ProvinceFactory(
        code="T-VN-KG", name_en="Kien Giang", country=VietnamFactory(), latitude=10, longitude=105
    )


@pytest.fixture
def litre(db):
    return UnitFactory(
        code="L", name_en="litre", symbol="L", dimension="volume", to_base=Decimal("1")
    )


def listing(name="Kampot pepper", *, approved=True, photos=1, producer=None, **fields):
    fields.setdefault("description", "")  # the factory's mentions pepper
    product = ProductFactory(
        name=name,
        approved=approved,
        producer=producer or ProducerFactory(),
        **fields,
    )
    ProductPhotoFactory.create_batch(photos, product=product)
    return product


def found(client, **params) -> list[str]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return [product.name for product in response.context["products"]]


# --- Words ----------------------------------------------------------------------------------


def test_search_text_is_folded_without_vietnamese_accents_but_with_khmer_signs():
    assert search_normalise("Nước Mắm Phú-Quốc 40°N!") == "nuoc mam phu quoc 40 n"
    assert search_normalise("ĐƯỜNG thốt nốt") == "duong thot not"
    assert search_normalise("ម្រេចកំពតខ្មៅ") == "ម្រេចកំពតខ្មៅ"
    # Zero-width spaces vanish; subscript ta and da (which look alike) are one letter.
    assert search_normalise("ម្រេច\u200bកំពត") == "ម្រេចកំពត"
    assert search_normalise("កណ\u17d2\u178fាល") == search_normalise("កណ\u17d2\u178aាល")


def test_vietnamese_without_accents_finds_the_accented_name(client, db):
    listing("Nước mắm Phú Quốc")
    listing("Mắm tôm Hậu Giang")
    listing("Đường thốt nốt An Giang")
    assert found(client, q="nuoc mam") == ["Nước mắm Phú Quốc"]
    assert found(client, q="NƯỚC MẮM") == ["Nước mắm Phú Quốc"]
    assert found(client, q="phu quoc nuoc") == ["Nước mắm Phú Quốc"]
    assert found(client, q="duong thot not") == ["Đường thốt nốt An Giang"]
    assert found(client, q="đường") == ["Đường thốt nốt An Giang"]


def test_a_khmer_word_inside_an_unspaced_name_is_found(client, db):
    listing("ម្រេចកំពតខ្មៅ", name_en="Kampot black pepper")
    listing("ស្ករត្នោតកំពង់ស្ពឺ", name_en="Palm sugar")
    assert found(client, q="ម្រេច") == ["ម្រេចកំពតខ្មៅ"]
    assert found(client, q="កំពត") == ["ម្រេចកំពតខ្មៅ"]
    assert found(client, q="ត្នោត") == ["ស្ករត្នោតកំពង់ស្ពឺ"]


def test_english_names_descriptions_and_the_producers_name_are_searched(client, db):
    listing("ម្រេចកំពតខ្មៅ", name_en="Kampot black pepper")
    listing("Muối biển", description_en="Sea salt dried on the beaches of Sa Huynh.")
    listing("Mật ong rừng", producer=ProducerFactory(name="U Minh Honey Cooperative"))
    assert found(client, q="black pepper") == ["ម្រេចកំពតខ្មៅ"]
    assert found(client, q="beaches") == ["Muối biển"]
    assert found(client, q="u minh cooperative") == ["Mật ong rừng"]


def test_every_word_must_match_and_short_words_match_only_whole_words(client, db):
    listing("Cà phê Robusta Đắk Lắk")
    listing("Cacao beans")
    listing("Cá kho tộ")
    assert found(client, q="ca phe") == ["Cà phê Robusta Đắk Lắk"]
    assert set(found(client, q="ca")) == {"Cà phê Robusta Đắk Lắk", "Cá kho tộ"}
    assert found(client, q="robusta arabica") == []
    assert [t.pattern for t in search_terms("Cà phê CA")] == [" ca ", "phe"]


def test_names_rank_before_descriptions_and_producer_names(client, db):
    older = timezone.now() - dt.timedelta(days=3)
    listing("Tương ớt", description="Dùng chấm với nước mắm.", name_en="Chilli sauce")
    listing("Mắm tôm", producer=ProducerFactory(name="Nước Mắm Việt"))
    best = listing("Nước mắm cá cơm")
    Product.objects.filter(pk=best.pk).update(created_at=older)  # relevance beats newness
    names = found(client, q="nuoc mam")
    assert names[0] == "Nước mắm cá cơm"
    assert set(names) == {"Nước mắm cá cơm", "Tương ớt", "Mắm tôm"}


# --- Filters --------------------------------------------------------------------------------


def test_category_subgroup_and_group(client, spices, sauces, crafts):
    listing("Pepper", category=spices)
    listing("Fish sauce", category=sauces)
    listing("Silk scarf", category=crafts)
    assert found(client, category="T-FOOD-SAUCE") == ["Fish sauce"]
    assert set(found(client, category="T-FOOD")) == {"Pepper", "Fish sauce"}


def test_province(client, kien_giang):
    listing("Phu Quoc fish sauce", producer=ProducerFactory(province=kien_giang))
    listing("Kampot pepper")
    assert found(client, province="T-VN-KG") == ["Phu Quoc fish sauce"]


def test_certification_counts_only_when_verified_and_unexpired(client, db):
    vietgap = CertificationFactory()
    verified = listing("Verified")
    HeldCertificationFactory(product=verified, certification=vietgap, verified=True)
    unverified = listing("Unverified")
    HeldCertificationFactory(product=unverified, certification=vietgap)
    expired = listing("Expired")
    HeldCertificationFactory(
        product=expired,
        certification=vietgap,
        verified=True,
        expires_on=timezone.localdate() - dt.timedelta(days=1),
    )
    listing("None at all")
    assert found(client, certification="T-VIETGAP") == ["Verified"]


def test_minimum_stars(client, db):
    listing("Unrated", stars=0)
    listing("Three", stars=3)
    listing("Five", stars=5)
    assert set(found(client, min_stars=3)) == {"Three", "Five"}
    assert found(client, min_stars=5) == ["Five"]


def test_capacity_is_compared_across_units_within_one_dimension(client, litre):
    tonne, kg = TonneFactory(), UnitFactory()
    listing("Two tonnes", capacity=Decimal("2"), capacity_unit=tonne)
    listing("One tonne", capacity=Decimal("1"), capacity_unit=tonne)
    listing("800 kg", capacity=Decimal("800"), capacity_unit=kg)
    listing("2,000 litres", capacity=Decimal("2000"), capacity_unit=litre, unit_of_sale=litre)
    assert found(client, min_capacity="1500", capacity_unit="kg") == ["Two tonnes"]
    assert set(found(client, min_capacity="0.8", capacity_unit="t")) == {
        "Two tonnes",
        "One tonne",
        "800 kg",
    }
    assert found(client, min_capacity="1500", capacity_unit="L") == ["2,000 litres"]


def test_price_ranges_that_overlap_in_the_chosen_currency(client, db):
    listing("10-15 USD", price_min=Decimal("10"), price_max=Decimal("15"), currency="USD")
    listing("from 20 USD", price_min=Decimal("20"), price_max=None, currency="USD")
    listing("up to 8 USD", price_min=None, price_max=Decimal("8"), currency="USD")
    listing("no price", price_min=None, price_max=None, currency="USD")
    listing("12 VND", price_min=Decimal("12"), price_max=Decimal("12"), currency="VND")

    def priced(**params):
        return set(found(client, currency="USD", **params))

    assert priced() == {"10-15 USD", "from 20 USD", "up to 8 USD", "no price"}
    assert priced(max_price="12") == {"10-15 USD", "up to 8 USD"}
    assert priced(min_price="16") == {"from 20 USD"}
    assert priced(min_price="9", max_price="11") == {"10-15 USD"}
    assert priced(min_price="0", max_price="1000") == {"10-15 USD", "from 20 USD", "up to 8 USD"}
    assert set(found(client, currency="VND", max_price="12")) == {"12 VND"}


def test_text_and_several_filters_together(client, spices, sauces, kien_giang):
    here = ProducerFactory(province=kien_giang)
    listing("Nước mắm Phú Quốc 40 độ đạm", category=sauces, producer=here, stars=4)
    listing("Nước mắm Phú Quốc 25 độ đạm", category=sauces, producer=here, stars=0)
    listing("Nước mắm Nam Ô", category=sauces, stars=4)
    listing("Tiêu Phú Quốc", category=spices, producer=here, stars=4)
    params = {"q": "nuoc mam", "category": "T-FOOD", "province": "T-VN-KG", "min_stars": "3"}
    assert found(client, **params) == ["Nước mắm Phú Quốc 40 độ đạm"]


# --- Orders ---------------------------------------------------------------------------------


def test_newest_first_by_default_and_largest_capacity_on_request(client, db):
    tonne, kg = TonneFactory(), UnitFactory()
    now = timezone.now()
    for days, name, capacity, unit in [
        (3, "old and big", "5", tonne),
        (1, "new and small", "20", kg),
        (2, "middle", "900", kg),
    ]:
        product = listing(name, capacity=Decimal(capacity), capacity_unit=unit)
        Product.objects.filter(pk=product.pk).update(created_at=now - dt.timedelta(days=days))
    assert found(client) == ["new and small", "middle", "old and big"]
    assert found(client, sort="relevance") == ["new and small", "middle", "old and big"]
    assert found(client, sort="capacity") == ["old and big", "middle", "new and small"]
    page = client.get(URL, {"sort": "capacity"}).content.decode()
    assert '<option value="capacity" selected>' in page


def test_the_sort_select_shows_the_order_that_applies(client, db):
    listing("Pepper")
    assert '<option value="newest" selected>' in client.get(URL).content.decode()
    searched = client.get(URL, {"q": "pepper"}).content.decode()
    assert '<option value="relevance" selected>' in searched


# --- Only approved listings -----------------------------------------------------------------


def test_unapproved_listings_are_never_found(client, organiser):
    listing("Pepper draft", approved=False)
    listing("Pepper submitted", approved=False, status=Product.Status.SUBMITTED)
    listing("Pepper rejected", rejected=True)
    public = listing("Pepper public")
    services.product_update(product=public, data={"name": "Pepper revised"})
    assert found(client, q="pepper") == ["Pepper public"]
    assert found(client, q="revised") == []
    assert found(client, q="draft") == []
    # The FilterSet keeps to approved listings whatever queryset it is given.
    everything = CatalogueFilterSet(QueryDict("q=pepper"), queryset=Product.objects.all())
    assert [p.name for p in everything.qs] == ["Pepper public"]
    assert [p.name for p in CatalogueFilterSet(queryset=Product.objects.all()).qs] == [
        "Pepper public"
    ]


def test_an_approved_revision_is_found_by_its_new_name_only(client, organiser):
    public = listing("Kampot pepper")
    revision = services.product_update(
        product=public, data={"name": "Kampot red pepper", "description_en": "Ripe berries."}
    )
    assert found(client, q="ripe") == []
    services.product_submit(product=revision)
    assert found(client, q="ripe") == []
    services.product_approve(product=revision, reviewer=organiser)
    assert found(client, q="red pepper ripe") == ["Kampot red pepper"]
    assert found(client, q="kampot") == ["Kampot red pepper"]


def test_a_renamed_producer_is_found_by_its_new_name(client, alice_producer):
    listing("Black pepper", producer=alice_producer)
    assert found(client, q="alice") == ["Black pepper"]
    services.producer_update(producer=alice_producer, data={"name": "Sok Family Spices"})
    assert found(client, q="alice") == []
    assert found(client, q="sok family") == ["Black pepper"]


def test_saving_only_the_status_keeps_the_search_text(db):
    product = listing("Nước mắm")
    Product.objects.filter(pk=product.pk).update(search_text=" stale ")
    product.status = Product.Status.APPROVED
    product.save(update_fields=["status"])
    product.refresh_from_db()
    assert product.search_text == " stale "  # not recomputed: no source field changed
    product.name = "Nước mắm Phú Quốc"
    product.save(update_fields=["name"])
    product.refresh_from_db()
    assert "nuoc mam phu quoc" in product.search_text


# --- Bad values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"category": "nonsense"}, "Category: There is no category “nonsense”"),
        ({"province": "XX-99"}, "Province: There is no province “XX-99”"),
        ({"certification": "FAKE"}, "Certification: There is no certification “FAKE”"),
        ({"min_stars": "abc"}, "OCOP/OVOP stars: “abc” is not a star rating"),
        ({"min_stars": "4.5"}, "OCOP/OVOP stars: “4.5” is not a star rating"),
        ({"min_capacity": "1e400", "capacity_unit": "kg"}, "Monthly capacity of at least: "),
        ({"min_capacity": "NaN", "capacity_unit": "kg"}, "Monthly capacity of at least: "),
        ({"min_capacity": "-5", "capacity_unit": "kg"}, "Monthly capacity of at least: "),
        ({"min_capacity": "1500"}, "Capacity unit: Choose the unit of the"),
        (
            {"min_capacity": "1", "capacity_unit": "bushel"},
            "Capacity unit: There is no unit “bushel”",
        ),
        ({"currency": "XXX"}, "Currency: There is no currency “XXX”"),
        ({"currency": "USD", "min_price": "-1"}, "Price from: Ensure this value is greater"),
        ({"currency": "USD", "max_price": "abc"}, "Price up to: Enter a number."),
        ({"max_price": "10"}, "Currency: Choose the currency of the price"),
        ({"currency": "USD", "min_price": "9", "max_price": "3"}, "Price up to: The highest"),
        ({"sort": "cheapest"}, "Sort by: There is no order “cheapest”"),
        ({"q": "x" * 101}, "Search: Ensure this value has at most 100 characters"),
        ({"q": "pepper\x00"}, "Search: Null characters are not allowed."),
        ({"category": "\x00"}, "Category: There is no category"),
    ],
)
def test_bad_values_give_a_message_naming_the_field_not_an_error(client, db, params, message):
    listing("Salted crab", stars=5)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert found(client, **params) == ["Salted crab"]  # the bad filter is dropped


@pytest.mark.parametrize("page", ["999999", "99999999999999999999999", "abc", "-1", "0"])
def test_a_page_past_the_end_shows_a_real_page_with_a_message(client, db, page):
    for n in range(25):
        listing(f"Pepper {n}", photos=0)
    response = client.get(URL, {"q": "pepper", "page": page})
    assert response.status_code == 200
    assert response.context["page"].number in (1, 2)
    assert len(response.context["products"]) >= 1
    assert f"There is no page “{page[:20]}”" in response.content.decode()


def test_the_filterset_reports_bad_values_by_parameter_for_the_api(db):
    filterset = CatalogueFilterSet(QueryDict("min_stars=abc&min_capacity=1e400&capacity_unit=kg"))
    assert not filterset.is_valid()
    assert set(filterset.errors) == {"min_stars", "min_capacity"}


# --- Queries and links ----------------------------------------------------------------------


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
    "sort": "capacity",
}


def catalogue_with(count: int):
    vietgap = CertificationFactory()
    for n in range(count):
        product = listing(f"Pepper {n}", stars=4, photos=2)
        HeldCertificationFactory(product=product, certification=vietgap, verified=True)


@pytest.mark.parametrize("params", [{}, {"q": "pepper"}, ALL_FILTERS])
def test_queries_per_page_do_not_grow_with_the_listings_shown(
    client, spices, params, django_assert_max_num_queries
):
    catalogue_with(1)
    with CaptureQueriesContext(connection) as one:
        assert len(found(client, **params)) == 1
    catalogue_with(29)
    with django_assert_max_num_queries(8):
        assert len(found(client, **params)) == 24
    with CaptureQueriesContext(connection) as full:
        found(client, **params, page=2)
    assert len(full) == len(one)


def test_a_logged_in_buyer_gets_a_full_page_in_eight_queries_too(
    login, buyer, spices, django_assert_max_num_queries
):
    catalogue_with(30)
    client = login(buyer)  # the session and the user cost a query each
    with django_assert_max_num_queries(8):
        assert len(found(client, **ALL_FILTERS)) == 24


def test_page_links_keep_the_search_and_filters(client, spices):
    catalogue_with(30)
    params = {"q": "pepper", "category": "T-FOOD", "min_stars": "3"}
    first = client.get(URL, params).content.decode()
    assert 'href="?q=pepper&amp;category=T-FOOD&amp;min_stars=3&amp;page=2" rel="next"' in first
    second = client.get(URL, {**params, "page": "2"})
    assert len(second.context["products"]) == 6
    both = found(client, **params) + found(client, **params, page="2")
    assert len(set(both)) == 30  # the two pages split one order, without gaps or repeats
    assert 'href="?q=pepper&amp;category=T-FOOD&amp;min_stars=3&amp;page=1"' in (
        second.content.decode()
    )
    assert 'value="pepper"' in second.content.decode()  # the search box keeps the words


def test_the_filter_form_works_without_javascript(client, db):
    page = client.get(URL, {"min_stars": "4"}).content.decode()
    assert '<form class="filters" method="get"' in page
    assert "<details open>" in page  # the filter in use is not hidden
    assert "<details open>" not in client.get(URL).content.decode()


@pytest.mark.postgres
def test_word_search_can_use_the_trigram_index_on_postgresql(db):
    listing("Nước mắm Phú Quốc")
    products = CatalogueFilterSet(QueryDict("q=nuoc+mam")).qs
    # A plain LIKE on the column: PostgreSQL's icontains would wrap it in UPPER(), which the
    # index on the column cannot serve.
    assert "UPPER(" not in str(products.query)
    assert "LIKE" in str(products.query)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Product.objects.filter(search_text__contains="nuoc").explain()
    assert "product_search_text_trgm" in plan


def test_renaming_a_producer_in_the_admin_makes_its_listings_findable_by_the_new_name(
    admin_client,
):
    from producers.models import Product as ProductModel
    from tests.factories import ProductFactory

    product = ProductFactory(approved=True)
    producer = product.producer
    data = {
        "name": "Hợp tác xã Sao Mai",
        "kind": producer.kind,
        "village": producer.village,
        "province": producer.province_id,
        "phone": producer.phone,
        "email": producer.email,
        "description": producer.description,
    }
    response = admin_client.post(f"/admin/producers/producer/{producer.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    product = ProductModel.objects.get(pk=product.pk)
    assert "hop tac xa sao mai" in product.search_text
