"""Fixtures for the buyers tests: alice and bob buy for two different organisations, so every
test can check that bob cannot touch alice's needs; pepper is a producer with an approved
listing, and newcomer a producer whose only listing still waits for review."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import (
    BuyerFactory,
    BuyerUserFactory,
    CategoryFactory,
    CertificationFactory,
    CountryFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProducerUserFactory,
    ProductFactory,
    ProvinceFactory,
    SourcingNeedFactory,
    UnitFactory,
    VietnamFactory,
)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def vietnam(db):
    return VietnamFactory()


@pytest.fixture
def cambodia(db):
    return CountryFactory()  # KH


@pytest.fixture
def japan(db):
    return CountryFactory(
        code="JP",
        name_en="Japan",
        name_km="ជប៉ុន",
        name_vi="Nhật Bản",
        time_zone="Asia/Tokyo",
        currency="JPY",
    )


@pytest.fixture
def lam_dong(vietnam):
    return ProvinceFactory(code="T-VN-LD", name_en="Test Lam Dong", country=vietnam)


@pytest.fixture
def an_giang(vietnam):
    return ProvinceFactory(code="T-VN-AG", name_en="Test An Giang", country=vietnam)


@pytest.fixture
def kampot(cambodia):
    return ProvinceFactory(code="T-KH-KP", name_en="Test Kampot", country=cambodia)


@pytest.fixture
def food(db):
    return CategoryFactory(code="test-1", name_en="Test food", parent=None, position=1)


@pytest.fixture
def coffee(food):
    return CategoryFactory(code="test-1.1", name_en="Test coffee", parent=food, position=1)


@pytest.fixture
def rice(food):
    return CategoryFactory(code="test-1.2", name_en="Test rice", parent=food, position=2)


@pytest.fixture
def drinks(db):
    return CategoryFactory(code="test-2", name_en="Test drinks", parent=None, position=2)


@pytest.fixture
def wine(drinks):
    return CategoryFactory(code="test-2.1", name_en="Test fruit wine", parent=drinks, position=1)


@pytest.fixture
def vietgap(db):
    return CertificationFactory(code="test-vietgap", name_en="Test VietGAP", kind="gap")


@pytest.fixture
def haccp(db):
    return CertificationFactory(code="test-haccp", name_en="Test HACCP", kind="food_safety")


@pytest.fixture
def organic(db):
    return CertificationFactory(code="test-organic-eu", name_en="Test EU organic", kind="organic")


@pytest.fixture
def kg(db):
    return UnitFactory(code="kg", name_en="kilogram", symbol="kg", to_base=Decimal("1"))


@pytest.fixture
def tonne(db):
    return UnitFactory(code="t", name_en="tonne", name_vi="tấn", symbol="t", to_base=Decimal(1000))


@pytest.fixture
def alice(db):
    return BuyerUserFactory(email="alice@greenmart.example")


@pytest.fixture
def bob(db):
    return BuyerUserFactory(email="bob@rivertrade.example")


@pytest.fixture
def alice_buyer(alice, vietnam, lam_dong):
    return BuyerFactory(
        name="Green Mart", kind="supermarket", country=vietnam, province=lam_dong, members=[alice]
    )


@pytest.fixture
def bob_buyer(bob, japan):
    return BuyerFactory(name="River Trade", kind="exporter", country=japan, members=[bob])


@pytest.fixture
def alice_need(alice_buyer, coffee, kg):
    return SourcingNeedFactory(buyer=alice_buyer, category=coffee, volume=Decimal(200), unit=kg)


@pytest.fixture
def organiser(db):
    return OrganiserUserFactory(email="organiser@forum.example")


@pytest.fixture
def pepper(db):
    """A producer whose coffee listing is approved."""
    return ProducerUserFactory(email="pepper@coop.example")


@pytest.fixture
def pepper_listing(pepper, coffee, kg, lam_dong):
    producer = ProducerFactory(name="Cau Dat Coffee Coop", province=lam_dong, members=[pepper])
    return ProductFactory(producer=producer, category=coffee, unit_of_sale=kg, approved=True)


@pytest.fixture
def newcomer(coffee, kg, lam_dong):
    """A producer whose only coffee listing still waits for review."""
    user = ProducerUserFactory(email="newcomer@coop.example")
    producer = ProducerFactory(name="New Coop", province=lam_dong, members=[user])
    ProductFactory(producer=producer, category=coffee, unit_of_sale=kg, submitted=True)
    return user


@pytest.fixture
def client_for(client):
    """A logged-in test client: `client_for(user)`."""

    def log_in(user):
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def next_month(today):
    return today + timedelta(days=30)
