"""Factories for the buyers tests. Taxonomy rows are got-or-created by code, so these tests
work with or without the reference rows that the taxonomy data migration loads."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from buyers.models import Buyer, SourcingNeed
from producers.models import Producer, Product
from taxonomy.models import Category, Certification, Country, Province, Unit


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = User.Role.BUYER

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, password="forum-market-2025", **kwargs)


class CountryFactory(DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = "VN"
    name_en = "Vietnam"
    time_zone = "Asia/Ho_Chi_Minh"
    currency = "VND"


class ProvinceFactory(DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ("code",)

    country = factory.SubFactory(CountryFactory)
    code = factory.Sequence(lambda n: f"TEST-{n}")
    name_en = factory.Sequence(lambda n: f"Province {n}")
    latitude = Decimal("10.00000")
    longitude = Decimal("105.00000")


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat-{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    parent = None


class CertificationFactory(DjangoModelFactory):
    class Meta:
        model = Certification
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cert-{n}")
    name_en = factory.LazyAttribute(lambda o: o.code.upper())
    kind = Certification.Kind.FOOD_SAFETY


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = "kg"
    name_en = "kilogram"
    symbol = "kg"
    dimension = Unit.Dimension.MASS
    to_base = Decimal("1")


class BuyerFactory(DjangoModelFactory):
    class Meta:
        model = Buyer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Green Mart {n}")
    kind = Buyer.Kind.SUPERMARKET
    country = factory.SubFactory(CountryFactory)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class SourcingNeedFactory(DjangoModelFactory):
    """Saved directly (no validation), so tests can also make needs that are already stale."""

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


class ProducerFactory(DjangoModelFactory):
    class Meta:
        model = Producer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Cooperative {n}")
    kind = Producer.Kind.COOPERATIVE
    village = "Phu Quoc"
    province = factory.SubFactory(ProvinceFactory)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    producer = factory.SubFactory(ProducerFactory)
    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    unit_of_sale = factory.SubFactory(UnitFactory)
    capacity = Decimal("500")
    capacity_unit = factory.SelfAttribute("unit_of_sale")
    status = Product.Status.APPROVED
