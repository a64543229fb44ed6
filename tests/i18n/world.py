"""A small but complete marketplace for the language tests: a producer with approved listings
(with photos and a verified certification), a buyer with an open sourcing need, pending and
accepted meeting requests, and a forum whose schedule is published, plus a second scheduler
run waiting for review. Reference rows (Kampot, a real category, kg, HACCP) carry their Khmer
and Vietnamese names, so pages can be read entirely in one language.

`world_build()` works inside a test transaction (the scheduler runs in-process here rather
than through on_commit) and under a live server."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from accounts.services import user_create_verified
from buyers.models import Buyer, SourcingNeed
from forums import scheduling, setup
from forums.models import Forum, MeetingRequest, ScheduleRun
from producers.models import Producer, Product
from taxonomy.models import Category, Certification, Province, Unit
from tests.factories import (
    PASSWORD,
    ForumBuyerFactory,
    ForumProducerFactory,
    HeldCertificationFactory,
    MeetingFactory,
    MeetingRequestFactory,
    ProducerFactory,
    ProductFactory,
    ProductPhotoFactory,
)

__all__ = ["PASSWORD", "World", "world_build"]


@dataclass
class World:
    organiser: User
    producer_user: User
    buyer_user: User
    producer: Producer
    product: Product
    draft: Product
    submitted: Product
    buyer: Buyer
    need: SourcingNeed
    forum: Forum
    published_run: ScheduleRun
    draft_run: ScheduleRun
    request: MeetingRequest
    # Everything the test typed in (names, descriptions, emails...): not UI text.
    content: list[str] = field(default_factory=list)


def _user(email, role, full_name) -> User:
    """A user who can log in (verified address) and reads English unless told otherwise."""
    return user_create_verified(email=email, password=PASSWORD, role=role, full_name=full_name)


def _product(producer, category, kg, tonne, name, description="", **kwargs):
    return ProductFactory(
        producer=producer,
        category=category,
        name=name,
        description=description or f"{name}: sun dried, hand sorted, packed in the village.",
        unit_of_sale=kg,
        capacity_unit=tonne,
        **kwargs,
    )


def world_build(*, photos: bool = True) -> World:
    kampot = Province.objects.get(code="KH-7")
    phnom_penh = Province.objects.get(code="KH-12")
    # A subgroup with its Khmer and Vietnamese names (the first, fresh produce, will do).
    spices = Category.objects.filter(parent__isnull=False).order_by("code").first()
    kg = Unit.objects.get(code="kg")
    tonne = Unit.objects.get(code="t")
    haccp = Certification.objects.get(code="HACCP")

    organiser = _user("sokha@ovop.example", User.Role.ORGANISER, "Sokha Chan")
    producer_user = _user("dara@pepper.example", User.Role.PRODUCER, "Dara Kim")
    buyer_user = _user("lan@greenmart.example", User.Role.BUYER, "Nguyen Lan")

    producer = ProducerFactory(
        name="Kampot Pepper Cooperative",
        village="Trapeang Ropou",
        province=kampot,
        members=[producer_user],
    )
    neighbours = [
        ProducerFactory(name=f"Kep Salt Farmers {i}", village="Angkaol", province=kampot)
        for i in range(1, 3)
    ]
    # Its description ends with a long link, which must wrap on a phone.
    product = _product(
        producer,
        spices,
        kg,
        tonne,
        "Kampot red pepper",
        description="Sun dried, hand sorted. https://www.facebook.com/KampotPepperTrapeangRopou",
        approved=True,
        stars=4,
    )
    others = [
        _product(producer, spices, kg, tonne, "Kampot black pepper", approved=True, stars=3),
        _product(neighbours[0], spices, kg, tonne, "Kep sea salt flowers", approved=True),
        _product(neighbours[1], spices, kg, tonne, "Kep long pepper", approved=True),
    ]
    draft = _product(producer, spices, kg, tonne, "Kampot pepper gift box")
    submitted = _product(neighbours[1], spices, kg, tonne, "Kep pepper paste", submitted=True)
    if photos:
        for listing in [product, *others]:
            ProductPhotoFactory(product=listing)
        ProductPhotoFactory(product=product)
    HeldCertificationFactory(product=product, certification=haccp, verified=True)

    buyer = Buyer.objects.create(
        name="Green Mart Phnom Penh",
        kind=Buyer.Kind.SUPERMARKET,
        country=phnom_penh.country,
        province=phnom_penh,
        description="Twelve supermarkets in Phnom Penh and Siem Reap.",
    )
    buyer.members.add(buyer_user)
    # A name written as a web address: one long word that cannot wrap at a space, to make
    # sure tables scroll and text wraps on a phone.
    other_buyer = Buyer.objects.create(
        name="MekongFineFoods.com.kh",
        kind=Buyer.Kind.ONLINE_SHOP,
        country=phnom_penh.country,
    )
    need = SourcingNeed.objects.create(
        buyer=buyer,
        category=spices,
        volume=Decimal("500"),
        unit=kg,
        order_size=Decimal("50"),
        target_price=Decimal("14.00"),
        currency="USD",
        deadline=timezone.localdate() + dt.timedelta(days=60),
        notes="Whole peppercorns for our shelves, 250 g jars.",
    )
    need.provinces.add(kampot)
    need.required_certifications.add(haccp)
    need.save()

    day = timezone.localdate() + dt.timedelta(days=45)
    forum = setup.forum_create(
        user=organiser,
        name="Kampot OVOP Forum",
        province=kampot,
        venue="Kampot Provincial Hall",
        days=[setup.DayPlan(day, dt.time(8), dt.time(10), dt.time(13, 30), dt.time(15))],
        tables=3,
        status=Forum.Status.OPEN,
    )
    for i, p in enumerate([producer, *neighbours]):
        ForumProducerFactory(forum=forum, producer=p, booth=f"K{i + 1}")
    for b in (buyer, other_buyer):
        ForumBuyerFactory(forum=forum, buyer=b)
    listing_of = {producer.pk: product, neighbours[0].pk: others[1], neighbours[1].pk: others[2]}
    for p in (producer, *neighbours):
        for b in (buyer, other_buyer):
            request = MeetingRequestFactory(
                forum=forum,
                buyer=b,
                producer=p,
                product=listing_of[p.pk],
                status=MeetingRequest.Status.ACCEPTED,
            )
            MeetingFactory(
                forum=forum, producer=p, buyer=b, request=request, product=request.product
            )
    pending = MeetingRequestFactory(forum=forum, buyer=buyer, producer=producer, product=others[0])

    published = _run(forum, organiser, ScheduleRun.Kind.FULL)
    scheduling.schedule_publish(run=published, user=organiser)
    draft_run = _run(forum, organiser, ScheduleRun.Kind.CHANGES)

    content = [
        organiser.full_name, organiser.email, producer_user.full_name, producer_user.email,
        buyer_user.full_name, buyer_user.email, producer.name, producer.village, producer.phone,
        buyer.name, buyer.description, other_buyer.name, need.notes, forum.name, forum.venue,
        forum.time_zone, pending.message,
        *(p.name for p in neighbours), *(p.village for p in neighbours),
        *(x.name for x in (product, draft, submitted, *others)),
        *(x.description for x in (product, draft, submitted, *others)),
    ]  # fmt: skip
    return World(
        organiser=organiser,
        producer_user=producer_user,
        buyer_user=buyer_user,
        producer=producer,
        product=product,
        draft=draft,
        submitted=submitted,
        buyer=buyer,
        need=need,
        forum=forum,
        published_run=published,
        draft_run=draft_run,
        request=pending,
        content=sorted(set(content), key=len, reverse=True),
    )


def _run(forum, organiser, kind) -> ScheduleRun:
    """A finished scheduler run. Under a live server the on_commit task has already run it;
    inside a test transaction it runs here."""
    run = scheduling.schedule_run_start(forum=forum, user=organiser, kind=kind, time_limit=5)
    run = scheduling.schedule_run_execute(run_id=run.pk)
    assert run.status == ScheduleRun.Status.DONE, run.error
    return run
