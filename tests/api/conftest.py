"""The cast of the API tests, as in the pages' tests: two producers (A and B) and two buyers
(A and B), each with a business of their own, an organiser, and things that belong to A, so
that every test can check that B cannot touch A's things."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    BuyerFactory,
    BuyerUserFactory,
    CategoryFactory,
    ForumFactory,
    MeetingRequestFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProducerUserFactory,
    ProductFactory,
    ProductPhotoFactory,
    SourcingNeedFactory,
    TonneFactory,
    UnitFactory,
)

USERS = ["anonymous", "producer_a", "producer_b", "buyer_a", "buyer_b", "organiser"]


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def anon():
    """A second client that stays anonymous, beside a logged-in one."""
    return APIClient()


@pytest.fixture
def api_as(api):
    """api_as(user) is an API client logged in (by session) as user, or anonymous for None."""

    def _as(user):
        api.logout()
        if user is not None:
            api.force_login(user)
        return api

    return _as


@pytest.fixture
def spices(db):
    return CategoryFactory()  # T-FOOD-SPICE, in the group T-FOOD


@pytest.fixture
def kg(db):
    return UnitFactory()


@pytest.fixture
def tonne(db):
    return TonneFactory()


@pytest.fixture
def producer_a(db):
    return ProducerUserFactory(email="producer.a@example.org")


@pytest.fixture
def producer_b(db):
    return ProducerUserFactory(email="producer.b@example.org")


@pytest.fixture
def business_a(producer_a):
    return ProducerFactory(name="A Pepper Farm", members=[producer_a])


@pytest.fixture
def business_b(producer_b):
    return ProducerFactory(name="B Fish Sauce", members=[producer_b])


@pytest.fixture
def buyer_a(db):
    return BuyerUserFactory(email="buyer.a@example.org")


@pytest.fixture
def buyer_b(db):
    return BuyerUserFactory(email="buyer.b@example.org")


@pytest.fixture
def organisation_a(buyer_a):
    return BuyerFactory(name="A Mart", members=[buyer_a])


@pytest.fixture
def organisation_b(buyer_b):
    return BuyerFactory(name="B Trade", members=[buyer_b])


@pytest.fixture
def organiser(db):
    return OrganiserUserFactory(email="organiser@example.org")


@pytest.fixture
def draft_a(business_a, spices):
    """A's draft, with a photo so that it can be submitted."""
    product = ProductFactory(producer=business_a, category=spices, name="Kampot black pepper")
    ProductPhotoFactory(product=product)
    return product


@pytest.fixture
def submitted_a(business_a, spices):
    product = ProductFactory(producer=business_a, category=spices, submitted=True, name="Sugar")
    ProductPhotoFactory(product=product)
    return product


@pytest.fixture
def approved_a(business_a, spices):
    product = ProductFactory(producer=business_a, category=spices, approved=True, name="Crab")
    ProductPhotoFactory(product=product)
    return product


@pytest.fixture
def need_a(organisation_a, spices, kg):
    return SourcingNeedFactory(buyer=organisation_a, category=spices, volume=Decimal(200), unit=kg)


@pytest.fixture
def forum(organiser):
    return ForumFactory(organisers=[organiser])


@pytest.fixture
def request_a(forum, organisation_a, business_a, approved_a, buyer_a):
    """Buyer A asked producer A to meet about A's approved listing; waiting for an answer."""
    return MeetingRequestFactory(
        forum=forum,
        buyer=organisation_a,
        producer=business_a,
        product=approved_a,
        created_by=buyer_a,
    )


@pytest.fixture
def cast(request, db, producer_a, producer_b, buyer_a, buyer_b, organiser):
    """Every kind of caller by name; their businesses exist."""
    request.getfixturevalue("business_a")
    request.getfixturevalue("business_b")
    request.getfixturevalue("organisation_a")
    request.getfixturevalue("organisation_b")
    return {
        "anonymous": None,
        "producer_a": producer_a,
        "producer_b": producer_b,
        "buyer_a": buyer_a,
        "buyer_b": buyer_b,
        "organiser": organiser,
    }


def error_shape(response) -> dict:
    """The one error shape, checked; returns the body."""
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["errors"], dict)
    for field, messages in body["errors"].items():
        assert isinstance(field, str)
        assert messages and all(isinstance(message, str) for message in messages)
    return body
