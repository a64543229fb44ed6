"""A buyer's sourcing needs through the API: create, list, read, change, close and reopen,
for the members of the buyer only, with the services' checks as field errors."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from buyers.models import SourcingNeed
from buyers.selectors import needs_for_buyer
from tests.api.conftest import error_shape
from tests.factories import (
    BuyerUserFactory,
    CertificationFactory,
    ProvinceFactory,
    SourcingNeedFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/buyer/needs/"


@pytest.fixture
def ba(api_as, buyer_a, organisation_a, spices, kg, tonne):
    return api_as(buyer_a)


@pytest.fixture
def vietgap(db):
    return CertificationFactory()


@pytest.fixture
def haccp(db):
    return CertificationFactory(code="T-HACCP", name_en="HACCP", kind="food_safety")


def test_a_need_is_created_for_the_callers_organisation(ba, organisation_a, vietgap, haccp):
    kampot = ProvinceFactory()
    deadline = timezone.localdate() + dt.timedelta(days=30)

    response = ba.post(
        URL,
        {
            "category": "T-FOOD",  # a whole group is allowed for needs
            "volume": "2",
            "unit": "t",
            "order_size": "0.5",
            "provinces": [kampot.code],
            "required_certifications": [vietgap.code],
            "preferred_certifications": [haccp.code],
            "min_stars": 4,
            "target_price": "11.50",
            "currency": "USD",
            "deadline": deadline.isoformat(),
            "notes": "Export grade.",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    need = SourcingNeed.objects.get(pk=body["id"])
    assert need.buyer == organisation_a
    assert body["category"]["code"] == "T-FOOD" and body["category"]["group"] is None
    assert [province["code"] for province in body["provinces"]] == ["KH-7"]
    assert [c["code"] for c in body["required_certifications"]] == ["T-VIETGAP"]
    assert [c["code"] for c in body["preferred_certifications"]] == ["T-HACCP"]
    assert (body["volume"], body["volume_base"], body["base_unit"]) == (
        "2.000",
        "2000.000000",
        "kg",
    )
    assert (body["status"], body["deadline"], body["deadline_passed"]) == (
        "open",
        deadline.isoformat(),
        False,
    )
    assert need.volume_base == Decimal("2000")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"volume": "0"}, "volume"),
        ({"volume": "abc"}, "volume"),
        ({"unit": "bushel"}, "unit"),
        ({"category": "NOPE"}, "category"),
        ({"provinces": ["NOPE"]}, "provinces"),
        ({"min_stars": 2}, "min_stars"),
        ({"target_price": "-1"}, "target_price"),
        ({"deadline": "2001-01-01"}, "deadline"),
        ({"deadline": "tomorrow"}, "deadline"),
    ],
)
def test_a_need_with_bad_values_is_refused_on_the_field(ba, change, field):
    body = {"category": "T-FOOD-SPICE", "volume": "500", "unit": "kg", **change}

    response = ba.post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert field in error_shape(response)["errors"]
    assert not SourcingNeed.objects.exists()


def test_a_certification_cannot_be_both_required_and_preferred(ba, vietgap):
    response = ba.post(
        URL,
        {
            "category": "T-FOOD-SPICE",
            "volume": "500",
            "unit": "kg",
            "required_certifications": [vietgap.code],
            "preferred_certifications": [vietgap.code],
        },
        format="json",
    )

    assert response.status_code == 400
    assert (
        "Preferred certifications cannot also be required"
        in (error_shape(response)["errors"]["preferred_certifications"][0])
    )


def test_the_list_holds_only_the_callers_needs_in_the_dashboard_order(
    api_as, ba, need_a, organisation_a, organisation_b, buyer_b, spices, kg
):
    closed = SourcingNeedFactory(
        buyer=organisation_a,
        category=spices,
        unit=kg,
        status="closed",
        closed_at=timezone.now(),
    )
    SourcingNeedFactory(buyer=organisation_b, category=spices, unit=kg)

    mine = ba.get(URL).json()

    dashboard = needs_for_buyer(buyer=organisation_a)
    assert [item["id"] for item in mine["results"]] == [need.pk for need in dashboard]
    assert {item["id"] for item in mine["results"]} == {need_a.pk, closed.pk}
    assert api_as(buyer_b).get(URL).json()["count"] == 1


def test_a_buyer_without_an_organisation_is_asked_to_describe_it(api_as, db):
    newcomer = BuyerUserFactory(email="new.buyer@example.org")

    response = api_as(newcomer).post(URL, {}, format="json")

    assert response.status_code == 403
    assert "organisation" in error_shape(response)["detail"]


def test_patch_changes_only_the_fields_sent(ba, need_a, vietgap):
    response = ba.patch(
        f"{URL}{need_a.pk}/",
        {"volume": "300", "required_certifications": [vietgap.code]},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["volume"], body["category"]["code"]) == ("300.000", "T-FOOD-SPICE")
    assert [c["code"] for c in body["required_certifications"]] == ["T-VIETGAP"]
    need_a.refresh_from_db()
    assert need_a.volume == Decimal("300")


def test_a_need_is_closed_and_reopened(ba, need_a):
    closed = ba.post(f"{URL}{need_a.pk}/close/").json()
    closed_again = ba.post(f"{URL}{need_a.pk}/close/").json()
    reopened = ba.post(f"{URL}{need_a.pk}/reopen/").json()

    assert closed["status"] == "closed" and closed["closed_at"] is not None
    assert closed_again["closed_at"] == closed["closed_at"]
    assert reopened["status"] == "open" and reopened["closed_at"] is None


def test_reopening_a_need_past_its_deadline_says_so(ba, need_a):
    SourcingNeed.objects.filter(pk=need_a.pk).update(
        deadline=timezone.localdate() - dt.timedelta(days=1),
        status="closed",
        closed_at=timezone.now(),
    )

    reopened = ba.post(f"{URL}{need_a.pk}/reopen/").json()

    assert (reopened["status"], reopened["deadline_passed"]) == ("open", True)


def test_the_list_takes_the_same_few_queries_however_many_needs(
    ba, organisation_a, spices, kg, vietgap, django_assert_max_num_queries
):
    kampot = ProvinceFactory()
    for _index in range(12):
        need = SourcingNeedFactory(buyer=organisation_a, category=spices, unit=kg)
        need.provinces.set([kampot])
        need.required_certifications.set([vietgap])

    # session, user, buyer, count, needs, provinces, required and preferred certifications
    with django_assert_max_num_queries(8):
        response = ba.get(f"{URL}?page_size=100")
    assert response.json()["count"] == 12
