"""Producers with an approved listing browse open needs in their categories at /needs/."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils.formats import date_format

from buyers.models import SourcingNeed
from buyers.selectors import needs_open_for_producer
from buyers.services import sourcing_need_close
from buyers.views import PAGE_SIZE
from tests.factories import ProductFactory, SourcingNeedFactory


def needs_listed(client):
    response = client.get(reverse("buyers:needs_for_producer"))
    assert response.status_code == 200
    return response, set(response.context["page"].object_list)


def test_producer_sees_needs_for_their_subgroup_and_its_group_only(
    client_for, pepper, pepper_listing, alice_buyer, coffee, food, rice, wine, drinks
):
    for_coffee = SourcingNeedFactory(buyer=alice_buyer, category=coffee)
    for_all_food = SourcingNeedFactory(buyer=alice_buyer, category=food)
    SourcingNeedFactory(buyer=alice_buyer, category=rice)
    SourcingNeedFactory(buyer=alice_buyer, category=wine)
    SourcingNeedFactory(buyer=alice_buyer, category=drinks)

    _response, listed = needs_listed(client_for(pepper))

    assert listed == {for_coffee, for_all_food}


def test_closed_and_expired_needs_are_not_listed(
    client_for, pepper, pepper_listing, alice_buyer, coffee, today
):
    still_open = SourcingNeedFactory(buyer=alice_buyer, category=coffee, deadline=today)
    closed = SourcingNeedFactory(buyer=alice_buyer, category=coffee)
    sourcing_need_close(need=closed)
    SourcingNeedFactory(buyer=alice_buyer, category=coffee, deadline=today - timedelta(days=1))

    _response, listed = needs_listed(client_for(pepper))

    assert listed == {still_open}


def test_producer_without_an_approved_listing_sees_an_explanation_and_no_needs(
    client_for, newcomer, alice_need
):
    response = client_for(newcomer).get(reverse("buyers:needs_for_producer"))
    assert response.status_code == 200
    assert response.context["page"] is None
    assert b"once one of your product listings is approved" in response.content
    assert alice_need.buyer.name.encode() not in response.content
    assert not needs_open_for_producer(user=newcomer).exists()
    detail = reverse("buyers:need_detail", args=[alice_need.pk])
    assert client_for(newcomer).get(detail).status_code == 404


def test_listing_shows_what_a_producer_needs_to_decide(
    client_for, pepper, pepper_listing, alice_buyer, coffee, tonne, vietgap, next_month
):
    SourcingNeedFactory(
        buyer=alice_buyer,
        category=coffee,
        volume=Decimal("1.5"),
        unit=tonne,
        deadline=next_month,
        required_certifications=[vietgap],
    )

    response, _listed = needs_listed(client_for(pepper))

    html = response.content.decode()
    assert "Green Mart" in html
    assert "Supermarket" in html
    assert "Vietnam" in html
    assert "1.5 t a month" in html
    assert "Test VietGAP" in html
    assert date_format(next_month, "SHORT_DATE_FORMAT") in html


def test_needs_are_paginated(client_for, pepper, pepper_listing, alice_buyer, coffee):
    for _ in range(PAGE_SIZE + 3):
        SourcingNeedFactory(buyer=alice_buyer, category=coffee)
    client = client_for(pepper)

    first = client.get(reverse("buyers:needs_for_producer"))
    second = client.get(reverse("buyers:needs_for_producer"), {"page": 2})

    assert len(first.context["page"].object_list) == PAGE_SIZE
    assert len(second.context["page"].object_list) == 3
    assert b'rel="next"' in first.content


def test_matching_producer_opens_need_detail_but_not_needs_outside_their_categories(
    client_for, pepper, pepper_listing, alice_buyer, coffee, wine
):
    coffee_need = SourcingNeedFactory(buyer=alice_buyer, category=coffee, notes="Washed arabica")
    wine_need = SourcingNeedFactory(buyer=alice_buyer, category=wine)
    client = client_for(pepper)

    response = client.get(reverse("buyers:need_detail", args=[coffee_need.pk]))
    assert response.status_code == 200
    assert b"Washed arabica" in response.content
    assert client.get(reverse("buyers:need_detail", args=[wine_need.pk])).status_code == 404


def test_need_detail_is_404_for_a_producer_once_the_need_is_closed_or_expired(
    client_for, pepper, pepper_listing, alice_buyer, coffee, today
):
    closed = SourcingNeedFactory(buyer=alice_buyer, category=coffee)
    sourcing_need_close(need=closed)
    expired = SourcingNeedFactory(
        buyer=alice_buyer, category=coffee, deadline=today - timedelta(days=1)
    )
    client = client_for(pepper)
    for need in (closed, expired):
        assert client.get(reverse("buyers:need_detail", args=[need.pk])).status_code == 404
    assert SourcingNeed.objects.count() == 2


def test_a_listing_waiting_for_review_does_not_widen_what_the_producer_sees(
    client_for, pepper, pepper_listing, alice_buyer, wine, kg
):
    ProductFactory(producer=pepper_listing.producer, category=wine, unit_of_sale=kg, submitted=True)
    SourcingNeedFactory(buyer=alice_buyer, category=wine)
    _response, listed = needs_listed(client_for(pepper))
    assert listed == set()
