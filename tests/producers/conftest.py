"""Fixtures for producer and listing tests: alice and bob are producers with a business
each, so every test can check that bob cannot touch alice's listings; there is also a buyer
and an organiser."""

import pytest

from tests.factories import (
    BuyerUserFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProducerUserFactory,
    ProductFactory,
    ProductPhotoFactory,
)


@pytest.fixture
def alice(db):
    return ProducerUserFactory(email="alice@example.org", full_name="Alice Sok", language="en")


@pytest.fixture
def alice_producer(alice):
    return ProducerFactory(name="Alice Pepper Farm", members=[alice])


@pytest.fixture
def bob(db):
    return ProducerUserFactory(email="bob@example.org", full_name="Bob Tran", language="vi")


@pytest.fixture
def bob_producer(bob):
    return ProducerFactory(name="Bob Fish Sauce", members=[bob])


@pytest.fixture
def buyer(db):
    return BuyerUserFactory(email="buyer@example.org", full_name="Bea Buyer")


@pytest.fixture
def organiser(db):
    return OrganiserUserFactory(email="organiser@example.org", full_name="Olga Organiser")


@pytest.fixture
def draft(alice_producer):
    """Alice's draft listing, with one photo so it can be submitted."""
    product = ProductFactory(producer=alice_producer, name="Kampot black pepper")
    ProductPhotoFactory(product=product)
    return product


@pytest.fixture
def submitted(alice_producer):
    product = ProductFactory(producer=alice_producer, submitted=True, name="Palm sugar")
    ProductPhotoFactory(product=product)
    return product


@pytest.fixture
def approved(alice_producer):
    product = ProductFactory(producer=alice_producer, approved=True, name="Salted crab")
    ProductPhotoFactory(product=product)
    return product


@pytest.fixture
def login(client):
    """login(user) logs the test client in as user (or stays anonymous for None)."""

    def _login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return _login
