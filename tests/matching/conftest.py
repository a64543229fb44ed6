"""A small seeded world of producers, listings, buyers and needs for the matching tests, and
the yardstick they are held to: the stored suggestions must be exactly what one
`engine.match()` over everything gives (same pairs, ranks, scores and breakdowns)."""

from __future__ import annotations

import datetime as dt
import json
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from accounts.models import User
from buyers.models import Buyer, SourcingNeed
from forum_market.celery import app as celery_app
from matching import engine, services
from matching.loaders import exclusions_load, needs_load, products_load, vocabulary
from matching.models import MatchRun, Suggestion
from matching.selectors import weights_for
from matching.writing import breakdowns
from producers.models import HeldCertification, Producer, Product
from taxonomy.models import Category, Certification, Province, Unit
from tests.factories import (
    BuyerFactory,
    BuyerUserFactory,
    CategoryFactory,
    CategoryGroupFactory,
    CertificationFactory,
    CountryFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProducerUserFactory,
    ProductFactory,
    ProvinceFactory,
    TonneFactory,
    UnitFactory,
)

PROVINCES = [
    ("T-M-KG", "Kien Giang", "Kiên Giang", "10.00000", "105.10000"),
    ("T-M-CT", "Can Tho", "Cần Thơ", "10.03000", "105.78000"),
    ("T-M-KP", "Kampot", "Kampot", "10.61000", "104.18000"),
    ("T-M-HN", "Ha Noi", "Hà Nội", "21.03000", "105.85000"),
    ("T-M-DN", "Da Nang", "Đà Nẵng", "16.05000", "108.20000"),
]


@dataclass
class World:
    provinces: list[Province]
    group: Category  # condiments: subgroups sauce and spice
    sauce: Category
    spice: Category
    other_group: Category  # drinks: subgroup tea
    tea: Category
    certs: list[Certification]
    kg: Unit
    tonne: Unit
    litre: Unit
    producers: list[Producer]
    products: list[Product]
    buyers: list[Buyer]
    needs: list[SourcingNeed]
    organiser: User
    extra: dict = field(default_factory=dict)


def litre_unit() -> Unit:
    return UnitFactory(
        code="L", name_en="litre", symbol="L", dimension=Unit.Dimension.VOLUME, to_base=1
    )


def taxonomy() -> dict:
    country = CountryFactory()
    provinces = [
        ProvinceFactory(
            code=code,
            name_en=en,
            name_vi=vi,
            country=country,
            latitude=Decimal(lat),
            longitude=Decimal(lon),
        )
        for code, en, vi, lat, lon in PROVINCES
    ]
    group = CategoryGroupFactory(code="T-M-COND", name_en="Condiments", name_vi="Gia vị")
    other = CategoryGroupFactory(code="T-M-DRINK", name_en="Drinks", name_vi="Đồ uống")
    return {
        "country": country,
        "provinces": provinces,
        "group": group,
        "sauce": CategoryFactory(
            code="T-M-SAUCE", name_en="fish sauce", name_vi="nước mắm", parent=group
        ),
        "spice": CategoryFactory(code="T-M-SPICE", name_en="pepper", name_vi="tiêu", parent=group),
        "other_group": other,
        "tea": CategoryFactory(code="T-M-TEA", name_en="tea", name_vi="trà", parent=other),
        "certs": [
            CertificationFactory(code=code, name_en=name, kind=Certification.Kind.FOOD_SAFETY)
            for code, name in (
                ("T-M-HACCP", "HACCP"),
                ("T-M-GAP", "VietGAP"),
                ("T-M-ORG", "Organic"),
                ("T-M-HALAL", "Halal"),
            )
        ],
        "kg": UnitFactory(),
        "tonne": TonneFactory(),
        "litre": litre_unit(),
    }


def hold(product: Product, cert: Certification, *, verified=True, expired=False) -> None:
    today = timezone.localdate()
    HeldCertification.objects.create(
        product=product,
        certification=cert,
        expires_on=today + dt.timedelta(days=-3 if expired else 200),
        evidence="evidence/test.pdf",
        verified_at=timezone.now() if verified else None,
    )


def need_create(
    *,
    buyer: Buyer,
    category: Category,
    unit: Unit,
    volume: str = "100",
    provinces=(),
    required=(),
    preferred=(),
    status: str = SourcingNeed.Status.OPEN,
    **fields,
) -> SourcingNeed:
    need = SourcingNeed(
        buyer=buyer,
        category=category,
        unit=unit,
        volume=Decimal(volume),
        status=status,
        closed_at=timezone.now() if status == SourcingNeed.Status.CLOSED else None,
        **fields,
    )
    need.save()
    need.provinces.set(provinces)
    need.required_certifications.set(required)
    need.preferred_certifications.set(preferred)
    return need


def build_world(
    *, seed: int = 7, producers: int = 7, products: int = 22, buyers: int = 4, needs: int = 16
) -> World:
    rng = random.Random(seed)
    t = taxonomy()
    subgroups = [t["sauce"], t["spice"], t["tea"]]
    unit_of = {t["sauce"].pk: t["litre"], t["spice"].pk: t["kg"], t["tea"].pk: t["kg"]}
    producer_rows = [
        ProducerFactory(province=rng.choice(t["provinces"]), members=[ProducerUserFactory()])
        for _ in range(producers)
    ]
    product_rows = []
    for i in range(products):
        category = rng.choice(subgroups)
        unit = unit_of[category.pk] if rng.random() < 0.85 else rng.choice([t["kg"], t["litre"]])
        status = rng.choices(["approved", "draft", "submitted"], [0.8, 0.1, 0.1])[0]
        product = ProductFactory(
            producer=producer_rows[i % producers] if i < producers else rng.choice(producer_rows),
            category=category,
            unit_of_sale=unit,
            capacity_unit=unit,
            capacity=Decimal(rng.choice(["40", "120", "500", "900", "2000"])),
            min_order=rng.choice([None, Decimal("5"), Decimal("50"), Decimal("400")]),
            stars=rng.choice([0, 3, 3, 4, 5]),
            status=status,
            submitted_at=timezone.now() if status != "draft" else None,
        )
        for cert in t["certs"]:
            if rng.random() < 0.45:
                hold(
                    product,
                    cert,
                    verified=rng.random() < 0.85,
                    expired=rng.random() < 0.15,
                )
        product_rows.append(product)
    buyer_rows = [
        BuyerFactory(country=t["country"], members=[BuyerUserFactory()]) for _ in range(buyers)
    ]
    today = timezone.localdate()
    need_rows = []
    for i in range(needs):
        whole = rng.random() < 0.2
        category = rng.choice([t["group"], t["other_group"]]) if whole else rng.choice(subgroups)
        unit = unit_of.get(category.pk, t["kg"])
        certs = rng.sample(t["certs"], rng.randint(0, 3))
        cut = rng.randint(0, min(1, len(certs)))
        need_rows.append(
            need_create(
                buyer=buyer_rows[i % buyers],
                category=category,
                unit=unit if rng.random() < 0.9 else t["tonne"],
                volume=rng.choice(["30", "100", "800", "1500"]),
                order_size=rng.choice([None, Decimal("20"), Decimal("200")]),
                provinces=rng.sample(t["provinces"], rng.choice([0, 0, 1, 2])),
                required=certs[:cut],
                preferred=certs[cut:],
                min_stars=rng.choice([0, 0, 3, 4]),
                status=rng.choices(["open", "closed"], [0.9, 0.1])[0],
                deadline=rng.choice(
                    [None, None, today + dt.timedelta(days=30), today - dt.timedelta(days=2)]
                ),
            )
        )
    return World(
        provinces=t["provinces"],
        group=t["group"],
        sauce=t["sauce"],
        spice=t["spice"],
        other_group=t["other_group"],
        tea=t["tea"],
        certs=t["certs"],
        kg=t["kg"],
        tonne=t["tonne"],
        litre=t["litre"],
        producers=producer_rows,
        products=product_rows,
        buyers=buyer_rows,
        needs=need_rows,
        organiser=OrganiserUserFactory(),
    )


@contextmanager
def celery_settings(**values):
    """Change Celery settings for a moment. The app reads Django's CELERY_* names before the
    plain ones, so those are the names changed."""
    conf = celery_app.conf
    saved = {}
    for name, value in values.items():
        key = f"CELERY_{name.upper()}"
        saved[key] = (key in conf, conf.get(key))
        conf[key] = value
    try:
        yield conf
    finally:
        for key, (present, value) in saved.items():
            if present:
                conf[key] = value
            else:
                del conf[key]


@pytest.fixture
def world(db) -> World:
    return build_world()


# --- the yardstick ----------------------------------------------------------------------------


def engine_rows(k: int | None = None) -> dict[tuple[int, int], tuple]:
    """What one engine.match() over all open needs and approved listings suggests, leaving
    out what was turned down: (need, product) -> (need rank, producer rank, score,
    breakdown)."""
    vocab = vocabulary()
    products = products_load(vocab=vocab)
    needs = needs_load(vocab=vocab)
    weights = weights_for()
    result = engine.match(
        products,
        needs,
        vocab.provinces,
        weights.as_engine(),
        k=k or weights.k,
        exclude=exclusions_load(),
    )
    texts = breakdowns(result, np.arange(len(result)), vocab)
    return {
        (int(n), int(p)): (int(nr), int(pr), float(s), json.loads(b))
        for n, p, nr, pr, s, b in zip(
            result.need_id,
            result.product_id,
            result.need_rank,
            result.producer_rank,
            result.score,
            texts,
            strict=True,
        )
    }


def stored_rows() -> dict[tuple[int, int], tuple]:
    return {
        (n, p): (nr, pr, s, b)
        for n, p, nr, pr, s, b in Suggestion.objects.values_list(
            "need_id", "product_id", "need_rank", "producer_rank", "score", "breakdown"
        )
    }


def assert_stored_equals_engine() -> None:
    expected, stored = engine_rows(), stored_rows()
    assert set(stored) == set(expected), {
        "missing": sorted(set(expected) - set(stored))[:10],
        "extra": sorted(set(stored) - set(expected))[:10],
    }
    wrong = {key: (stored[key], expected[key]) for key in expected if stored[key] != expected[key]}
    assert not wrong, list(wrong.items())[:5]
    # Producer and buyer columns follow the pair.
    for need, product, producer, buyer in Suggestion.objects.values_list(
        "need_id", "product_id", "producer_id", "buyer_id"
    ):
        assert Product.objects.filter(pk=product, producer_id=producer).exists()
        assert SourcingNeed.objects.filter(pk=need, buyer_id=buyer).exists()


def full_run(*, chunks: int | None = 3, send_digests: bool = False) -> MatchRun:
    """A full run in this process, step by step, through the services the tasks call."""
    run = services.match_run_create(chunks=chunks, send_digests=send_digests)
    return services.match_run_execute(run_id=run.pk)
