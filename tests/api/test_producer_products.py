"""A producer's own listings through the API: create, read, change, delete and submit, with
the pages' rules: only the caller's business's listings, and an approved listing is changed
through a revision that leaves the public catalogue as it is until an organiser approves."""

from decimal import Decimal

import pytest

from producers.models import Product
from tests.api.conftest import error_shape
from tests.factories import (
    HeldCertificationFactory,
    ProducerUserFactory,
    ProductFactory,
    ProductPhotoFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/producer/products/"
NEW = {
    "category": "T-FOOD-SPICE",
    "name": "Kampot red pepper",
    "name_en": "Red pepper",
    "description": "Hand picked.",
    "unit_of_sale": "kg",
    "capacity": "1.5",
    "capacity_unit": "t",
    "min_order": "20",
    "price_min": "10",
    "price_max": "12.5",
    "currency": "USD",
    "stars": 4,
    "months": [11, 12, 1],
}


@pytest.fixture
def pa(api_as, producer_a, business_a, spices, kg, tonne):
    return api_as(producer_a)


def test_a_new_listing_is_a_draft_of_the_callers_business(pa, business_a):
    response = pa.post(URL, NEW, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    product = Product.objects.get(pk=body["id"])
    assert product.producer == business_a
    assert body["status"] == "draft"
    assert body["months"] == [1, 11, 12]
    assert (body["capacity"], body["capacity_base"], body["base_unit"]) == (
        "1.500",
        "1500.000000",
        "kg",
    )
    assert (body["price_min"], body["price_max"]) == ("10.00", "12.50")
    assert body["revision_of"] is None and body["pending_revision"] is None
    assert product.capacity_base == Decimal("1500")


def test_a_new_listing_is_available_all_year_unless_months_are_given(pa):
    body = pa.post(URL, _without(NEW, "months"), format="json").json()

    assert body["months"] == list(range(1, 13))


def _without(data, *keys):
    return {key: value for key, value in data.items() if key not in keys}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "T-FOOD"}, "category"),  # a group, not a subgroup
        ({"category": "NOPE"}, "category"),
        ({"unit_of_sale": "bushel"}, "unit_of_sale"),
        ({"capacity": "-1"}, "capacity"),
        ({"capacity": "1e400"}, "capacity"),
        ({"price_min": "20", "price_max": "10"}, "price_max"),
        ({"months": []}, "months"),
        ({"months": [13]}, "months"),
        ({"stars": 2}, "stars"),
        ({"currency": "EUR"}, "currency"),
        ({"name": ""}, "name"),
    ],
)
def test_a_listing_with_bad_values_is_refused_on_the_field(pa, change, field):
    response = pa.post(URL, {**NEW, **change}, format="json")

    assert response.status_code == 400
    # An item of a list is named by its position, e.g. "months.0".
    assert {name.split(".")[0] for name in error_shape(response)["errors"]} == {field}
    assert not Product.objects.exists()


def test_the_list_holds_only_the_callers_listings(api_as, pa, producer_b, business_b, draft_a):
    ProductFactory(producer=business_b, name="B's listing")

    mine = pa.get(URL).json()
    theirs = api_as(producer_b).get(URL).json()

    assert [item["id"] for item in mine["results"]] == [draft_a.pk]
    assert [item["name"] for item in theirs["results"]] == ["B's listing"]


def test_a_producer_without_a_business_profile_is_asked_to_create_one(api_as, db):
    newcomer = ProducerUserFactory(email="new@example.org")

    response = api_as(newcomer).get(URL)

    assert response.status_code == 403
    assert "business profile" in error_shape(response)["detail"]


def test_a_draft_is_changed_in_place(pa, draft_a):
    response = pa.patch(f"{URL}{draft_a.pk}/", {"name": "Long pepper", "months": [6]})

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["months"]) == (draft_a.pk, "Long pepper", [6])
    draft_a.refresh_from_db()
    assert (draft_a.name, draft_a.months) == ("Long pepper", [6])


def test_changing_an_approved_listing_returns_its_revision_and_the_catalogue_is_unchanged(
    anon, pa, approved_a, organiser
):
    response = pa.patch(f"{URL}{approved_a.pk}/", {"name": "Salted crab, bigger jars"})

    assert response.status_code == 200
    revision = response.json()
    assert revision["id"] != approved_a.pk
    assert (revision["status"], revision["revision_of"]) == ("draft", approved_a.pk)
    assert revision["name"] == "Salted crab, bigger jars"
    assert revision["changes"] == [
        {"label": "Product name", "old": "Crab", "new": "Salted crab, bigger jars"}
    ]
    public = anon.get(f"/api/v1/catalogue/{approved_a.pk}/").json()
    assert public["name"] == "Crab"
    original = pa.get(f"{URL}{approved_a.pk}/").json()
    assert original["status"] == "approved"
    assert original["pending_revision"] == {"id": revision["id"], "status": "draft"}
    listed = {item["id"]: item for item in pa.get(URL).json()["results"]}
    assert revision["id"] not in listed
    assert listed[approved_a.pk]["pending_revision"]["id"] == revision["id"]

    again = pa.patch(f"{URL}{approved_a.pk}/", {"stars": 5}).json()
    assert again["id"] == revision["id"]  # the same revision collects the changes

    submitted = pa.post(f"{URL}{revision['id']}/submit/")
    assert submitted.json()["status"] == "submitted"
    assert anon.get(f"/api/v1/catalogue/{approved_a.pk}/").json()["name"] == "Crab"

    anon.force_login(organiser)
    approved = anon.post(f"/api/v1/review/{revision['id']}/approve/")
    anon.logout()
    assert approved.json()["id"] == approved_a.pk
    public = anon.get(f"/api/v1/catalogue/{approved_a.pk}/").json()
    assert (public["name"], public["stars"]) == ("Salted crab, bigger jars", 5)


def test_a_listing_waiting_for_review_cannot_be_changed(pa, submitted_a):
    response = pa.patch(f"{URL}{submitted_a.pk}/", {"name": "Palm sugar"})

    assert response.status_code == 409
    assert "waiting for review" in error_shape(response)["detail"]


def test_a_draft_is_submitted_for_review(pa, draft_a):
    response = pa.post(f"{URL}{draft_a.pk}/submit/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "submitted"
    assert body["submitted_at"] is not None


def test_a_listing_without_photos_cannot_be_submitted(pa, business_a, spices):
    bare = ProductFactory(producer=business_a, category=spices)

    response = pa.post(f"{URL}{bare.pk}/submit/")

    assert response.status_code == 409
    assert "photo" in error_shape(response)["detail"]


def test_a_draft_is_deleted_but_an_approved_listing_is_not(pa, draft_a, approved_a):
    deleted = pa.delete(f"{URL}{draft_a.pk}/")
    refused = pa.delete(f"{URL}{approved_a.pk}/")

    assert deleted.status_code == 204
    assert not Product.objects.filter(pk=draft_a.pk).exists()
    assert refused.status_code == 409
    assert Product.objects.filter(pk=approved_a.pk).exists()


def test_a_rejected_listing_shows_the_reason_and_can_be_resubmitted(pa, business_a, spices):
    rejected = ProductFactory(producer=business_a, category=spices, rejected=True)
    ProductPhotoFactory(product=rejected)

    before = pa.get(f"{URL}{rejected.pk}/").json()
    after = pa.post(f"{URL}{rejected.pk}/submit/").json()

    assert (before["status"], before["rejection_reason"]) == (
        "rejected",
        "The photos are blurred.",
    )
    assert (after["status"], after["rejection_reason"]) == ("submitted", "")


def test_the_producer_sees_every_certification_claimed_with_its_state(pa, draft_a):
    HeldCertificationFactory(product=draft_a)

    body = pa.get(f"{URL}{draft_a.pk}/").json()

    assert [(held["code"], held["verified"]) for held in body["certifications"]] == [
        ("T-VIETGAP", False)
    ]


def test_the_list_takes_the_same_few_queries_however_many_listings(
    pa, business_a, spices, django_assert_max_num_queries
):
    for index in range(12):
        product = ProductFactory(producer=business_a, category=spices, approved=index % 2)
        ProductPhotoFactory(product=product)
        HeldCertificationFactory(product=product)
        if index % 2:
            Product.objects.filter(pk=product.pk).update(status="approved")

    # session, user, producer, count, listings, photos, certifications
    with django_assert_max_num_queries(8):
        response = pa.get(f"{URL}?page_size=100")
    assert response.json()["count"] == 12
