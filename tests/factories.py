"""Factories for tests, one section per app, in the order imports flow
(accounts, taxonomy, producers, then buyers, forums and matching as they arrive).

Taxonomy rows are fetched or created by code, so they coexist with the reference rows that
data migrations load: a test asking for province "KH-12" gets the one row with that code.
"""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import User
from buyers.models import Buyer, SourcingNeed
from forums.models import Forum, MeetingRequest
from producers.models import (
    HeldCertification,
    Producer,
    Product,
    ProductPhoto,
    content_language_for_producer,
)
from taxonomy.models import Category, Certification, Country, Province, Unit

PASSWORD = "correct horse battery staple"

# --- accounts -------------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    role = User.Role.BUYER
    language = "en"
    password = factory.django.Password(PASSWORD)


class ProducerUserFactory(UserFactory):
    role = User.Role.PRODUCER


class BuyerUserFactory(UserFactory):
    role = User.Role.BUYER


class OrganiserUserFactory(UserFactory):
    role = User.Role.ORGANISER
    is_staff = True


# --- taxonomy -------------------------------------------------------------------------------


class CountryFactory(DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = "KH"
    name_en = "Cambodia"
    name_km = "កម្ពុជា"
    name_vi = "Campuchia"
    time_zone = "Asia/Phnom_Penh"
    currency = "KHR"


class VietnamFactory(CountryFactory):
    code = "VN"
    name_en = "Vietnam"
    name_km = "វៀតណាម"
    name_vi = "Việt Nam"
    time_zone = "Asia/Ho_Chi_Minh"
    currency = "VND"


class ProvinceFactory(DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ("code",)

    country = factory.SubFactory(CountryFactory)
    code = "KH-7"
    name_en = "Kampot"
    latitude = Decimal("10.61000")
    longitude = Decimal("104.18000")
    is_current = True


class CategoryGroupFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = "T-FOOD"
    name_en = "Food"
    parent = None
    position = 1


class CategoryFactory(DjangoModelFactory):
    """A subgroup (the level listings are filed under)."""

    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = "T-FOOD-SPICE"
    name_en = "Spices and condiments"
    parent = factory.SubFactory(CategoryGroupFactory)
    position = 1


class CertificationFactory(DjangoModelFactory):
    class Meta:
        model = Certification
        django_get_or_create = ("code",)

    code = "T-VIETGAP"
    name_en = "VietGAP"
    kind = Certification.Kind.GAP


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = "kg"
    name_en = "kilogram"
    symbol = "kg"
    dimension = Unit.Dimension.MASS
    to_base = Decimal("1")


class TonneFactory(UnitFactory):
    code = "t"
    name_en = "tonne"
    symbol = "t"
    to_base = Decimal("1000")


# --- producers ------------------------------------------------------------------------------


class ProducerFactory(DjangoModelFactory):
    class Meta:
        model = Producer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Village Cooperative {n}")
    kind = Producer.Kind.COOPERATIVE
    village = "Trapeang Ropou"
    province = factory.SubFactory(ProvinceFactory)
    phone = "+855 12 345 678"

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class ProductFactory(DjangoModelFactory):
    """A draft listing. Traits give the other states with their timestamps."""

    class Meta:
        model = Product

    producer = factory.SubFactory(ProducerFactory)
    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Kampot pepper {n}")
    description = "Black pepper, sun dried."
    # As the listing form and services default it: the producer's country's language.
    content_language = factory.LazyAttribute(lambda o: content_language_for_producer(o.producer))
    unit_of_sale = factory.SubFactory(UnitFactory)
    capacity = Decimal("2")
    capacity_unit = factory.SubFactory(TonneFactory)
    min_order = Decimal("10")
    price_min = Decimal("12.50")
    price_max = Decimal("15.00")
    currency = "USD"
    status = Product.Status.DRAFT

    class Params:
        submitted = factory.Trait(
            status=Product.Status.SUBMITTED,
            submitted_at=factory.LazyFunction(timezone.now),
        )
        approved = factory.Trait(
            status=Product.Status.APPROVED,
            submitted_at=factory.LazyFunction(timezone.now),
            reviewed_at=factory.LazyFunction(timezone.now),
        )
        rejected = factory.Trait(
            status=Product.Status.REJECTED,
            submitted_at=factory.LazyFunction(timezone.now),
            reviewed_at=factory.LazyFunction(timezone.now),
            rejection_reason="The photos are blurred.",
        )


class ProductPhotoFactory(DjangoModelFactory):
    class Meta:
        model = ProductPhoto

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(width=64, height=48, color="green", format="JPEG")
    position = factory.Sequence(lambda n: n)


class HeldCertificationFactory(DjangoModelFactory):
    class Meta:
        model = HeldCertification

    product = factory.SubFactory(ProductFactory)
    certification = factory.SubFactory(CertificationFactory)
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    evidence = factory.django.FileField(
        filename="certificate.pdf", data=b"%PDF-1.4\n% test evidence\n%%EOF\n"
    )

    class Params:
        verified = factory.Trait(verified_at=factory.LazyFunction(timezone.now))


# --- buyers ---------------------------------------------------------------------------------


class BuyerFactory(DjangoModelFactory):
    """A Vietnamese supermarket (producers default to Cambodia, so by default a buyer and a
    producer are in different countries)."""

    class Meta:
        model = Buyer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Green Mart {n}")
    kind = Buyer.Kind.SUPERMARKET
    country = factory.SubFactory(VietnamFactory)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class SourcingNeedFactory(DjangoModelFactory):
    """An open need, saved directly (no validation), so tests can also make needs that are
    already stale."""

    class Meta:
        model = SourcingNeed
        skip_postgeneration_save = True

    buyer = factory.SubFactory(BuyerFactory)
    category = factory.SubFactory(CategoryFactory)
    volume = Decimal("100")
    unit = factory.SubFactory(UnitFactory)

    @factory.post_generation
    def required_certifications(self, create, extracted, **kwargs):
        if create and extracted:
            self.required_certifications.set(extracted)


# --- forums ---------------------------------------------------------------------------------


class ForumFactory(DjangoModelFactory):
    """A forum open for meeting requests, with no request window set (always open)."""

    class Meta:
        model = Forum
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"OCOP Product Forum {n}")
    province = factory.SubFactory(ProvinceFactory)
    venue = "Provincial Exhibition Hall"
    tables = 20
    status = Forum.Status.OPEN

    class Params:
        draft = factory.Trait(status=Forum.Status.DRAFT)
        closed = factory.Trait(status=Forum.Status.CLOSED)

    @factory.post_generation
    def organisers(self, create, extracted, **kwargs):
        if create and extracted:
            self.organisers.add(*extracted)


class MeetingRequestFactory(DjangoModelFactory):
    """A pending request from a buyer about one of the producer's approved products, written
    directly (no service, no emails), expiring in 14 days."""

    class Meta:
        model = MeetingRequest

    forum = factory.SubFactory(ForumFactory)
    buyer = factory.SubFactory(BuyerFactory)
    producer = factory.SubFactory(ProducerFactory)
    product = factory.SubFactory(
        ProductFactory, producer=factory.SelfAttribute("..producer"), approved=True
    )
    initiated_by = MeetingRequest.Side.BUYER
    message = "We would like to talk about volumes and samples."
    status = MeetingRequest.Status.PENDING
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=14))

    class Params:
        lapsed = factory.Trait(
            expires_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=1))
        )


# --- matching -------------------------------------------------------------------------------


class MatchingWeightsFactory(DjangoModelFactory):
    """Matching weights: the global row (no forum) with the engine's defaults unless given."""

    class Meta:
        model = "matching.MatchingWeights"

    forum = None


# --- forum pages (participants and meetings) -------------------------------------------------


def _calendar_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class ForumProducerFactory(DjangoModelFactory):
    """A producer registered for a forum, with its private calendar token."""

    class Meta:
        model = "forums.ForumProducer"

    forum = factory.SubFactory(ForumFactory)
    producer = factory.SubFactory(ProducerFactory)
    booth = factory.Sequence(lambda n: f"B{n}")
    calendar_token = factory.LazyFunction(_calendar_token)


class ForumBuyerFactory(DjangoModelFactory):
    class Meta:
        model = "forums.ForumBuyer"

    forum = factory.SubFactory(ForumFactory)
    buyer = factory.SubFactory(BuyerFactory)
    calendar_token = factory.LazyFunction(_calendar_token)


class MeetingFactory(DjangoModelFactory):
    """An accepted meeting, not scheduled yet (as `meeting_request_accept` leaves it)."""

    class Meta:
        model = "forums.Meeting"

    forum = factory.SubFactory(ForumFactory)
    buyer = factory.SubFactory(BuyerFactory)
    producer = factory.SubFactory(ProducerFactory)
    request = factory.SubFactory(
        MeetingRequestFactory,
        forum=factory.SelfAttribute("..forum"),
        buyer=factory.SelfAttribute("..buyer"),
        producer=factory.SelfAttribute("..producer"),
        status=MeetingRequest.Status.ACCEPTED,
    )
    product = factory.LazyAttribute(lambda o: o.request.product if o.request else None)
