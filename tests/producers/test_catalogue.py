"""The public catalogue and product pages: approved listings only, filters in the URL, a
clear message for bad filter values, and a bounded number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from producers import services
from tests.factories import (
    CategoryFactory,
    CategoryGroupFactory,
    HeldCertificationFactory,
    ProducerFactory,
    ProductFactory,
    ProductPhotoFactory,
    ProvinceFactory,
    VietnamFactory,
)


@pytest.fixture
def spices(db):
    return CategoryFactory()  # T-FOOD-SPICE in group T-FOOD


@pytest.fixture
def sauces(db):
    return CategoryFactory(code="T-FOOD-SAUCE", name_en="Sauces", position=2)


@pytest.fixture
def textiles(db):
    group = CategoryGroupFactory(code="T-CRAFT", name_en="Crafts", position=2)
    return CategoryFactory(code="T-CRAFT-SILK", name_en="Silk", parent=group)


@pytest.fixture
def hanoi(db):
    return ProvinceFactory(
        code="T-VN-HN", name_en="Hanoi", country=VietnamFactory(), latitude=21, longitude=105
    )


def listing(*, name, category, province=None, approved=True, photos=1):
    producer = ProducerFactory(**({"province": province} if province else {}))
    product = ProductFactory(producer=producer, category=category, name=name, approved=approved)
    ProductPhotoFactory.create_batch(photos, product=product)
    return product


def names(response):
    return {product.name for product in response.context["products"]}


def test_catalogue_shows_only_approved_listings_to_everyone(
    login, alice, buyer, organiser, draft, submitted, approved
):
    for user in (None, buyer, alice, organiser):
        response = login(user).get(reverse("catalogue:list"))
        assert response.status_code == 200
        assert names(response) == {"Salted crab"}


def test_approved_listing_with_changes_in_review_shows_public_content(login, buyer, approved):
    services.product_update(product=approved, data={"name": "Salted crab v2"})
    response = login(buyer).get(reverse("catalogue:list"))
    assert names(response) == {"Salted crab"}
    page = login(buyer).get(reverse("catalogue:detail", args=[approved.pk]))
    assert page.status_code == 200
    assert "Salted crab v2" not in page.content.decode()


def test_filter_by_subgroup_group_and_province_keeps_state_in_url(
    client, spices, sauces, textiles, hanoi
):
    listing(name="Pepper", category=spices)
    listing(name="Fish sauce", category=sauces, province=hanoi)
    listing(name="Silk scarf", category=textiles, province=hanoi)
    listing(name="Hidden", category=spices, approved=False)
    url = reverse("catalogue:list")

    assert names(client.get(url, {"category": "T-FOOD-SPICE"})) == {"Pepper"}
    assert names(client.get(url, {"category": "T-FOOD"})) == {"Pepper", "Fish sauce"}
    assert names(client.get(url, {"province": "T-VN-HN"})) == {"Fish sauce", "Silk scarf"}
    response = client.get(url, {"category": "T-FOOD", "province": "T-VN-HN"})
    assert names(response) == {"Fish sauce"}
    page = response.content.decode()
    assert '<option value="T-FOOD" selected>' in page
    assert '<option value="T-VN-HN" selected>' in page
    assert '<optgroup label="Food">' in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"category": "nonsense"}, "There is no category “nonsense”, so all categories are shown."),
        ({"province": "XX-99"}, "There is no province “XX-99”, so all provinces are shown."),
        ({"category": "\x00"}, "There is no category"),
        ({"province": "1' OR 1=1 --"}, "There is no province"),
    ],
)
def test_bad_filter_values_give_a_clear_message_not_an_error(client, approved, params, message):
    response = client.get(reverse("catalogue:list"), params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert names(response) == {"Salted crab"}


def test_a_valid_filter_still_applies_when_the_other_is_bad(client, spices, textiles):
    listing(name="Pepper", category=spices)
    listing(name="Silk scarf", category=textiles)
    response = client.get(reverse("catalogue:list"), {"category": "T-CRAFT", "province": "nope"})
    assert names(response) == {"Silk scarf"}


@pytest.mark.parametrize("page", ["99", "abc", "-1", "0"])
def test_page_past_the_end_or_invalid_shows_a_real_page_with_a_message(client, spices, page):
    for n in range(26):
        listing(name=f"Pepper {n}", category=spices, photos=0)
    response = client.get(reverse("catalogue:list"), {"page": page})
    assert response.status_code == 200
    shown = response.context["page"].number
    assert shown == (2 if page == "99" else 1 if page == "abc" else 2)
    assert f"There is no page “{page}”" in response.content.decode()


def test_catalogue_pages_24_listings_at_a_time(client, spices):
    for n in range(25):
        listing(name=f"Pepper {n}", category=spices, photos=0)
    first = client.get(reverse("catalogue:list"))
    assert len(first.context["products"]) == 24
    assert "page=2" in first.content.decode()
    second = client.get(reverse("catalogue:list"), {"page": 2})
    assert len(second.context["products"]) == 1


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_catalogue_query_count_does_not_grow_with_the_listings_shown(
    client, spices, hanoi, django_assert_max_num_queries
):
    url = reverse("catalogue:list") + "?category=T-FOOD"
    listing(name="Pepper 0", category=spices, photos=2)
    few = count_queries(client, url)
    for n in range(1, 30):
        listing(name=f"Pepper {n}", category=spices, province=hanoi if n % 2 else None, photos=2)
    many = count_queries(client, url)
    assert many == few
    with django_assert_max_num_queries(8):
        client.get(url)


def test_home_page_shows_the_newest_eight_approved_listings_in_a_few_queries(
    client, spices, django_assert_max_num_queries
):
    for n in range(10):
        listing(name=f"Pepper {n}", category=spices, photos=2)
    listing(name="Hidden", category=spices, approved=False)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("home"))
    assert len(response.context["products"]) == 8
    page = response.content.decode()
    assert "Pepper 9" in page
    assert "Hidden" not in page
    assert "Sign up as a producer" in page
    assert "Sign up as a buyer" in page


def test_card_shows_thumbnail_name_producer_province_and_stars(client, spices):
    product = listing(name="Pepper", category=spices)
    product.stars = 4
    product.save()
    page = client.get(reverse("catalogue:list")).content.decode()
    assert product.photos.get().thumbnail.url in page
    assert product.producer.name in page
    assert "Kampot" in page
    assert "4 stars" in page


def test_product_page_shows_facts_large_photos_and_only_verified_certifications(client, approved):
    approved.capacity = Decimal("2.5")
    approved.min_order = Decimal("1500")
    approved.price_min, approved.price_max, approved.currency = Decimal("9000"), None, "KHR"
    approved.months_mask = 0b110000000011  # Jan, Feb, Nov, Dec
    approved.save()
    HeldCertificationFactory(product=approved, verified=True)
    HeldCertificationFactory(
        product=approved,
        certification__code="T-HACCP",
        certification__name_en="HACCP",
    )
    page = client.get(reverse("catalogue:detail", args=[approved.pk])).content.decode()
    assert approved.photos.get().large.url in page
    assert "2.5 t" in page
    assert "1,500 kg" in page
    assert "from ៛9,000" in page
    assert "January, February, November, December" in page
    assert "VietGAP" in page
    assert "HACCP" not in page
    assert "Preview" not in page


def test_display_name_is_english_for_english_readers_when_given(client, approved):
    approved.name_en = "Salted crab from Kep"
    approved.save()
    english = client.get(reverse("catalogue:detail", args=[approved.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert '<h1 lang="en">Salted crab from Kep</h1>' in english.content.decode()
    # The producer is in Kampot, so the listing is written in Khmer: its readers get it as is.
    khmer = client.get(reverse("catalogue:detail", args=[approved.pk]), HTTP_ACCEPT_LANGUAGE="km")
    assert '<h1 lang="km">Salted crab</h1>' in khmer.content.decode()


def test_unknown_listing_is_a_404(client, db):
    assert client.get(reverse("catalogue:detail", args=[999999])).status_code == 404
    assert client.get("/catalogue/99999999999999999999999/").status_code == 404
