"""The organisers' review through the API: the queue (oldest submission first, revisions with
what they change), approve, and reject with a reason."""

import datetime as dt

import pytest
from django.utils import timezone

from producers import services
from producers.models import Product
from tests.api.conftest import error_shape
from tests.factories import HeldCertificationFactory, ProductFactory, ProductPhotoFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/review/"


@pytest.fixture
def org(api_as, organiser):
    return api_as(organiser)


def test_the_queue_is_submitted_listings_and_revisions_oldest_first(
    org, business_a, spices, approved_a, submitted_a, draft_a
):
    revision = services.product_update(product=approved_a, data={"name": "Crab in brine"})
    services.product_submit(product=revision)
    older = ProductFactory(producer=business_a, category=spices, submitted=True)
    Product.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - dt.timedelta(days=3))

    items = org.get(URL).json()["results"]

    assert [item["id"] for item in items] == [older.pk, submitted_a.pk, revision.pk]
    changes = items[-1]["changes"]
    assert items[-1]["revision_of"] == approved_a.pk
    assert changes == [{"label": "Product name", "old": "Crab", "new": "Crab in brine"}]
    assert items[0]["changes"] == []


def test_approving_publishes_the_listing(org, anon, submitted_a):
    response = org.post(f"{URL}{submitted_a.pk}/approve/")

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert anon.get(f"/api/v1/catalogue/{submitted_a.pk}/").status_code == 200
    assert org.get(URL).json()["count"] == 0


def test_rejecting_needs_a_reason_and_sends_it_back(org, submitted_a):
    missing = org.post(f"{URL}{submitted_a.pk}/reject/", {}, format="json")
    blank = org.post(f"{URL}{submitted_a.pk}/reject/", {"reason": "   "}, format="json")
    rejected = org.post(
        f"{URL}{submitted_a.pk}/reject/", {"reason": "Add a photo of the label."}, format="json"
    )

    for refused in (missing, blank):
        assert refused.status_code == 400
        assert list(error_shape(refused)["errors"]) == ["reason"]
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["rejection_reason"]) == (
        "rejected",
        "Add a photo of the label.",
    )


def test_a_listing_not_waiting_for_review_cannot_be_decided(org, draft_a, approved_a):
    approve = org.post(f"{URL}{draft_a.pk}/approve/")
    reject = org.post(f"{URL}{approved_a.pk}/reject/", {"reason": "No."}, format="json")

    assert approve.status_code == reject.status_code == 409
    assert "waiting for review" in error_shape(approve)["detail"]


def test_deciding_twice_is_a_conflict(org, submitted_a):
    assert org.post(f"{URL}{submitted_a.pk}/approve/").status_code == 200

    again = org.post(f"{URL}{submitted_a.pk}/approve/")

    assert again.status_code == 409


def test_an_unknown_listing_is_not_found(org, db):
    assert org.post(f"{URL}123456/approve/").status_code == 404


def test_the_queue_takes_the_same_few_queries_however_long(
    org, business_a, spices, django_assert_max_num_queries
):
    for _index in range(6):
        product = ProductFactory(producer=business_a, category=spices, approved=True)
        ProductPhotoFactory(product=product)
        HeldCertificationFactory(product=product)
        revision = services.product_update(product=product, data={"name": "Changed"})
        services.product_submit(product=revision)
        fresh = ProductFactory(producer=business_a, category=spices, submitted=True)
        ProductPhotoFactory(product=fresh)

    # session, user, count, listings, and the photos and certifications of the listings and
    # of the originals of revisions
    with django_assert_max_num_queries(8):
        response = org.get(f"{URL}?page_size=100")
    assert response.json()["count"] == 12
