"""The matching pipeline against the database: loaders, the chunked full run, incremental
runs after listing and need changes, idempotency, dismissals and the reasons in words. The
yardstick everywhere is one engine.match() over everything (see conftest)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import override

from buyers import services as buyer_services
from buyers.models import SourcingNeed
from matching import engine, services
from matching.loaders import needs_load, products_load, vocabulary
from matching.models import Dismissal, MatchRun, MatchRunChunk, Suggestion
from matching.reasons import PRODUCER, ReasonContext, reasons_text
from matching.selectors import (
    suggestions_for_need,
    suggestions_for_producer,
    suggestions_with_relations,
)
from producers import services as producer_services
from producers.models import Product
from producers.signals import listing_rejected
from tests.factories import BuyerFactory, MatchingWeightsFactory, ProducerFactory, ProductFactory
from tests.matching.conftest import (
    assert_stored_equals_engine,
    engine_rows,
    full_run,
    hold,
    need_create,
    stored_rows,
    taxonomy,
)

pytestmark = pytest.mark.django_db


# --- loaders ----------------------------------------------------------------------------------


def test_loaders_keep_only_approved_listings_with_verified_unexpired_certifications():
    t = taxonomy()
    haccp, gap, organic, _halal = t["certs"]
    producer = ProducerFactory(province=t["provinces"][0])
    listed = ProductFactory(
        producer=producer,
        category=t["sauce"],
        unit_of_sale=t["litre"],
        capacity_unit=t["litre"],
        capacity=Decimal("2000"),
        min_order=None,
        stars=4,
        status=Product.Status.APPROVED,
    )
    hold(listed, haccp)
    hold(listed, gap, verified=False)
    hold(listed, organic, expired=True)
    for status in (Product.Status.DRAFT, Product.Status.SUBMITTED, Product.Status.REJECTED):
        ProductFactory(
            producer=producer,
            category=t["sauce"],
            status=status,
            rejection_reason="Blurred." if status == "rejected" else "",
        )

    vocab = vocabulary()
    products = products_load(vocab=vocab)

    assert products.product_id.tolist() == [listed.pk]
    assert products.producer_id.tolist() == [producer.pk]
    assert products.category_id.tolist() == [t["sauce"].pk]
    assert products.group_id.tolist() == [t["group"].pk]
    assert vocab.province_pks[products.province].tolist() == [t["provinces"][0].pk]
    assert products.stars.tolist() == [4]
    assert products.dimension.tolist() == [engine.VOLUME]
    assert products.capacity.tolist() == [2000.0]
    assert products.min_order.tolist() == [-1.0]  # none: "no minimum" for the engine
    held = engine.bitset_indices(products.certs[0])
    assert vocab.cert_pks[held].tolist() == [haccp.pk]


def test_loaders_keep_open_needs_before_their_deadline_with_provinces_and_certifications():
    t = taxonomy()
    haccp, gap, organic, _halal = t["certs"]
    buyer = BuyerFactory(country=t["country"])
    today = timezone.localdate()
    wanted = need_create(
        buyer=buyer,
        category=t["sauce"],
        unit=t["tonne"],
        volume="1.5",
        order_size=Decimal("0.2"),
        provinces=t["provinces"][:2],
        required=[haccp],
        preferred=[gap, organic],
        min_stars=3,
        deadline=today,
    )
    whole_group = need_create(buyer=buyer, category=t["group"], unit=t["kg"])
    need_create(buyer=buyer, category=t["sauce"], unit=t["kg"], status="closed")
    need_create(
        buyer=buyer, category=t["sauce"], unit=t["kg"], deadline=today - dt.timedelta(days=1)
    )

    vocab = vocabulary()
    needs = needs_load(vocab=vocab)

    assert needs.need_id.tolist() == [wanted.pk, whole_group.pk]
    assert needs.buyer_id.tolist() == [buyer.pk, buyer.pk]
    assert needs.category_id.tolist() == [t["sauce"].pk, t["group"].pk]
    assert needs.group_id.tolist() == [t["group"].pk, t["group"].pk]
    assert needs.whole_group.tolist() == [False, True]
    assert sorted(vocab.province_pks[needs.wanted(0)].tolist()) == sorted(
        p.pk for p in t["provinces"][:2]
    )
    assert needs.wanted(1).tolist() == []  # anywhere
    assert vocab.cert_pks[engine.bitset_indices(needs.required_certs[0])].tolist() == [haccp.pk]
    assert sorted(vocab.cert_pks[engine.bitset_indices(needs.preferred_certs[0])].tolist()) == (
        sorted([gap.pk, organic.pk])
    )
    assert needs.min_stars.tolist() == [3, 0]
    assert needs.dimension.tolist() == [engine.MASS, engine.MASS]
    assert needs.volume.tolist() == [1500.0, 100.0]  # base units: 1.5 t is 1,500 kg
    assert needs.order_size.tolist() == [200.0, -1.0]


# --- full runs --------------------------------------------------------------------------------


def test_a_chunked_full_run_stores_exactly_what_a_single_match_gives(world):
    run = full_run(chunks=4)

    assert run.status == MatchRun.Status.DONE
    assert run.chunks_total == 4 and run.chunks_done == 4
    assert MatchRunChunk.objects.filter(run=run, done=True).count() == 4
    assert Suggestion.objects.exists()
    assert_stored_equals_engine()
    # Per-producer ranks span chunks: some producer has top-k needs in several chunks.
    chunk_of = {}
    for chunk in run.chunks.all():
        for need in world.needs:
            if (chunk.need_from is None or need.pk >= chunk.need_from) and (
                chunk.need_to is None or need.pk < chunk.need_to
            ):
                chunk_of[need.pk] = chunk.index
    spans = {}
    for producer, need in Suggestion.objects.filter(producer_rank__gt=0).values_list(
        "producer_id", "need_id"
    ):
        spans.setdefault(producer, set()).add(chunk_of[need])
    assert max(len(s) for s in spans.values()) > 1
    assert run.products and run.needs and run.pairs_considered >= run.pairs_passed > 0
    # Rows written: chunks insert the needs' top k, the callback adds producer ranks.
    assert run.suggestions_written >= Suggestion.objects.count()


def test_the_chord_through_celery_gives_the_same_rows(world, django_capture_on_commit_callbacks):
    expected = None
    with django_capture_on_commit_callbacks(execute=True):
        run = services.match_run_start(chunks=3, send_digests=False)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.DONE, run.error
    expected = stored_rows()
    assert_stored_equals_engine()
    assert expected


def test_a_chunk_that_fails_marks_the_run_failed(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "match_chunk_score", broken)
    run = services.match_run_create(chunks=2)
    from matching import tasks

    with pytest.raises(RuntimeError):
        tasks.full_run.delay(run.pk)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.FAILED and "disk full" in run.error
    # A duplicate delivery of the task does nothing more.
    assert tasks.full_run.delay(run.pk).get() == 0


def test_small_k_and_forum_weights_are_respected(world):
    MatchingWeightsFactory(k=2, province=0.9, category=0.1, volume=0, min_order=0)
    full_run(chunks=2)
    assert_stored_equals_engine()
    assert not Suggestion.objects.filter(need_rank__gt=2).exists()
    assert not Suggestion.objects.filter(producer_rank__gt=2).exists()


def test_running_again_writes_nothing_and_leaves_the_same_rows(world):
    full_run(chunks=3)
    before = {
        row[0]: row[1:]
        for row in Suggestion.objects.values_list(
            "pk", "need_id", "product_id", "need_rank", "producer_rank", "score", "updated_at"
        )
    }

    again = full_run(chunks=2)
    # A chunk or the callback running twice (a retried task) changes nothing either.
    services.match_chunk_score(run_id=again.pk, index=0)
    services.match_run_finish(run_id=again.pk)

    after = {
        row[0]: row[1:]
        for row in Suggestion.objects.values_list(
            "pk", "need_id", "product_id", "need_rank", "producer_rank", "score", "updated_at"
        )
    }
    assert again.suggestions_written == 0
    assert after == before


@pytest.mark.postgres
def test_a_chunk_that_finds_its_rows_written_meanwhile_merges_them(world, monkeypatch):
    """A chunk that loaded an empty table inserts without ON CONFLICT; if a retried copy of
    it wrote the rows in the meantime, the insert conflicts and the chunk merges instead."""
    full_run(chunks=2)
    before = set(Suggestion.objects.values_list("need_id", "product_id", "need_rank"))
    empty = services._Stored.load(Suggestion.objects.none())
    monkeypatch.setattr(services._Stored, "load", classmethod(lambda cls, queryset: empty))
    upserts = []
    real_upsert = services.suggestions_upsert
    monkeypatch.setattr(
        services,
        "suggestions_upsert",
        lambda **kwargs: upserts.append(kwargs["assume_new"]) or real_upsert(**kwargs),
    )

    again = full_run(chunks=2)

    assert upserts.count(True) == 2  # both chunks took the plain-insert path first
    assert again.status == MatchRun.Status.DONE
    assert set(Suggestion.objects.values_list("need_id", "product_id", "need_rank")) == before
    assert_stored_equals_engine()


def test_first_suggested_at_survives_a_rewrite_and_stale_rows_go(world):
    full_run()
    first = dict(Suggestion.objects.values_list("pk", "first_suggested_at"))
    # Every score changes with the weights; rows are rewritten in place.
    MatchingWeightsFactory(category=0.5, province=0.1)
    run = full_run()
    assert run.suggestions_written > 0
    for pk, when in Suggestion.objects.values_list("pk", "first_suggested_at"):
        if pk in first:
            assert when == first[pk]
    assert_stored_equals_engine()
    # A need closed behind the pipeline's back loses its rows at the next full run.
    need = Suggestion.objects.first().need
    type(need).objects.filter(pk=need.pk).update(status="closed", closed_at=timezone.now())
    full_run()
    assert not Suggestion.objects.filter(need=need).exists()
    assert_stored_equals_engine()


# --- incremental runs -------------------------------------------------------------------------


def _approve(product, world, capture):
    with capture(execute=True):
        return producer_services.product_approve(product=product, reviewer=world.organiser)


def test_incremental_runs_after_each_change_agree_with_a_full_run(
    world, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    full_run()
    assert_stored_equals_engine()

    # A new listing is approved.
    waiting = Product.objects.filter(status=Product.Status.SUBMITTED).first()
    _approve(waiting, world, capture)
    run = MatchRun.objects.filter(kind=MatchRun.Kind.INCREMENTAL).first()
    assert run.status == MatchRun.Status.DONE and run.subject["product"] == waiting.pk
    assert_stored_equals_engine()

    # Changes to a suggested listing are approved: it can supply far less now.
    suggested = Product.objects.get(pk=Suggestion.objects.filter(need_rank=1).first().product_id)
    revision = producer_services.product_revision_get_or_create(product=suggested)
    revision.capacity = Decimal("1")
    revision.status = Product.Status.SUBMITTED
    revision.save()
    _approve(revision, world, capture)
    assert_stored_equals_engine()

    # A listing stops being public (an administrator withdrew it).
    gone = Product.objects.get(pk=Suggestion.objects.filter(need_rank=1).last().product_id)
    Product.objects.filter(pk=gone.pk).update(status="rejected", rejection_reason="Withdrawn.")
    with capture(execute=True):
        listing_rejected.send(sender=Product, product=gone)
    assert not Suggestion.objects.filter(product=gone).exists()
    assert_stored_equals_engine()

    # A need is created, changed and closed.
    buyer = world.buyers[0]
    with capture(execute=True):
        need = buyer_services.sourcing_need_create(
            buyer=buyer,
            category=world.sauce,
            volume=Decimal("300"),
            unit=world.litre,
            provinces=[world.provinces[1]],
            preferred_certifications=[world.certs[1]],
        )
    assert_stored_equals_engine()
    with capture(execute=True):
        buyer_services.sourcing_need_update(
            need=need,
            data={"category": world.group, "volume": Decimal("5"), "provinces": []},
        )
    assert_stored_equals_engine()
    closing = Suggestion.objects.filter(producer_rank__gt=0).first().need
    with capture(execute=True):
        buyer_services.sourcing_need_close(need=closing)
    assert not Suggestion.objects.filter(need=closing).exists()
    assert_stored_equals_engine()

    # And a full run afterwards finds nothing to change.
    assert full_run().suggestions_written == 0


def test_rejecting_a_never_approved_listing_of_a_new_producer_changes_nothing(
    world, django_capture_on_commit_callbacks
):
    full_run()
    before = stored_rows()
    newcomer = ProductFactory(
        producer=ProducerFactory(province=world.provinces[0]),
        category=world.sauce,
        status=Product.Status.SUBMITTED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        producer_services.product_reject(
            product=newcomer, reviewer=world.organiser, reason="Blurred photos."
        )
    run = MatchRun.objects.get(kind=MatchRun.Kind.INCREMENTAL)
    assert run.status == MatchRun.Status.DONE and run.suggestions_written == 0
    assert stored_rows() == before


def test_an_incremental_run_twice_changes_nothing(world, django_capture_on_commit_callbacks):
    full_run()
    waiting = Product.objects.filter(status=Product.Status.SUBMITTED).first()
    _approve(waiting, world, django_capture_on_commit_callbacks)
    before = stored_rows()
    run = MatchRun.objects.filter(kind=MatchRun.Kind.INCREMENTAL).first()
    again = MatchRun.objects.create(
        kind=MatchRun.Kind.INCREMENTAL, subject=run.subject, weights=run.weights
    )
    again = services.match_run_incremental(run_id=again.pk)
    assert again.suggestions_written == 0
    assert stored_rows() == before


# --- dismissals -------------------------------------------------------------------------------


def test_dismissed_suggestions_never_come_back(world):
    full_run()
    suggestion = Suggestion.objects.filter(need_rank=1).first()
    buyer_member = suggestion.buyer.members.first()
    services.suggestion_dismiss(user=buyer_member, suggestion=suggestion, side=Dismissal.Side.BUYER)
    offered = Suggestion.objects.exclude(pk=suggestion.pk).filter(producer_rank__gt=0).first()
    producer_member = offered.producer.members.first()
    services.suggestion_dismiss(
        user=producer_member, suggestion=offered, side=Dismissal.Side.PRODUCER
    )
    # Twice is fine.
    services.suggestion_dismiss(user=buyer_member, suggestion=suggestion, side=Dismissal.Side.BUYER)

    MatchingWeightsFactory(category=0.5, province=0.1)
    full_run()

    need = suggestion.need
    assert suggestion.product_id not in [s.product_id for s in suggestions_for_need(need=need)]
    from matching.selectors import suggestions_for_producer

    shown = [
        (s.need_id, s.producer_id) for s in suggestions_for_producer(producer=offered.producer)
    ]
    assert (offered.need_id, offered.producer_id) not in shown
    # Only the side that said no stops seeing it.
    assert offered.product_id in [s.product_id for s in suggestions_for_need(need=offered.need)]


def test_a_turned_down_product_gives_its_slot_to_the_next_best(
    world, django_capture_on_commit_callbacks
):
    MatchingWeightsFactory(k=2)
    full_run()
    # A need with a third passing product, waiting just outside its top 2.
    third = {need: product for (need, product), row in engine_rows(k=3).items() if row[0] == 3}
    need = SourcingNeed.objects.get(pk=min(third))
    top = list(Suggestion.objects.filter(need=need, need_rank__gt=0).order_by("need_rank"))
    assert len(top) == 2 and third[need.pk] not in [s.product_id for s in top]

    with django_capture_on_commit_callbacks(execute=True):
        services.suggestion_dismiss(
            user=top[0].buyer.members.first(), suggestion=top[0], side=Dismissal.Side.BUYER
        )

    # The need was rescored at once (no digest for that), and the buyer sees two again.
    run = MatchRun.objects.get(kind=MatchRun.Kind.INCREMENTAL)
    assert run.status == MatchRun.Status.DONE, run.error
    assert run.subject == {"need": need.pk, "action": "dismissed"} and not run.send_digests
    shown = sorted(
        (s for s in suggestions_for_need(need=need) if s.need_rank), key=lambda s: s.need_rank
    )
    assert [s.product_id for s in shown] == [top[1].product_id, third[need.pk]]
    assert_stored_equals_engine()
    # A full run agrees with the incremental one: nothing to change.
    assert full_run().suggestions_written == 0
    assert_stored_equals_engine()


def test_a_turned_down_need_gives_its_slot_to_the_producers_next_best(
    world, django_capture_on_commit_callbacks
):
    MatchingWeightsFactory(k=2)
    full_run()
    producer_of = dict(Product.objects.values_list("pk", "producer_id"))
    third = {
        producer_of[product]: need
        for (need, product), row in engine_rows(k=3).items()
        if row[1] == 3
    }
    producer = min(third)
    top = list(
        Suggestion.objects.filter(producer_id=producer, producer_rank__gt=0).order_by(
            "producer_rank"
        )
    )
    assert len(top) == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.suggestion_dismiss(
            user=top[0].producer.members.first(), suggestion=top[0], side=Dismissal.Side.PRODUCER
        )

    shown = sorted(
        (s for s in suggestions_for_producer(producer=top[0].producer) if s.producer_rank),
        key=lambda s: s.producer_rank,
    )
    assert [s.need_id for s in shown] == [top[1].need_id, third[producer]]
    assert_stored_equals_engine()
    assert full_run().suggestions_written == 0


def test_incremental_runs_after_dismissals_agree_with_a_full_run(
    world, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    full_run()
    firsts = list(Suggestion.objects.filter(need_rank=1).order_by("need_id")[:3])
    offers = list(Suggestion.objects.filter(producer_rank=1).order_by("-need_id")[:2])
    with capture(execute=True):
        for suggestion in firsts:
            member = suggestion.buyer.members.first()
            services.suggestion_dismiss(user=member, suggestion=suggestion, side="buyer")
        for suggestion in offers:
            member = suggestion.producer.members.first()
            services.suggestion_dismiss(user=member, suggestion=suggestion, side="producer")
    assert_stored_equals_engine()

    # The turned-down listing changes (it can supply more) and is rescored: it must not
    # come back into the need's top k, but its producer's top k is recomputed as usual.
    turned_down = Product.objects.get(pk=firsts[0].product_id)
    revision = producer_services.product_revision_get_or_create(product=turned_down)
    revision.capacity = turned_down.capacity * 10
    revision.status = Product.Status.SUBMITTED
    revision.save()
    _approve(revision, world, capture)
    assert not Suggestion.objects.filter(
        need_id=firsts[0].need_id, product=turned_down, need_rank__gt=0
    ).exists()
    assert_stored_equals_engine()

    # A new listing and a new need are scored around the dismissals too.
    waiting = Product.objects.filter(status=Product.Status.SUBMITTED).first()
    _approve(waiting, world, capture)
    assert_stored_equals_engine()
    with capture(execute=True):
        buyer_services.sourcing_need_create(
            buyer=world.buyers[1], category=world.group, volume=Decimal("50"), unit=world.kg
        )
    assert_stored_equals_engine()
    assert full_run().suggestions_written == 0


# --- batches ----------------------------------------------------------------------------------


def _record_queue(monkeypatch, *, run: bool = True) -> list[tuple]:
    """Tasks queued by the matching services, in order (still run eagerly if `run`)."""
    queued: list[tuple] = []
    original = services._queue

    def record(task_name, *args):
        queued.append((task_name, *args))
        if run:
            original(task_name, *args)

    monkeypatch.setattr(services, "_queue", record)
    return queued


def _waiting(world, count: int) -> list[Product]:
    """`count` listings waiting for review (drafts are submitted for the purpose)."""
    products = list(
        Product.objects.filter(revision_of=None)
        .exclude(status=Product.Status.APPROVED)
        .order_by("pk")[:count]
    )
    assert len(products) == count
    Product.objects.filter(pk__in=[p.pk for p in products]).update(
        status=Product.Status.SUBMITTED, submitted_at=timezone.now()
    )
    return [Product.objects.get(pk=p.pk) for p in products]


def test_approvals_in_a_batch_queue_one_run_that_agrees_with_a_full_run(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    full_run()
    waiting = _waiting(world, 4)
    queued = _record_queue(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True), services.match_runs_batched():
        for product in waiting:
            producer_services.product_approve(product=product, reviewer=world.organiser)
        # A change announced inside the batch too.
        buyer_services.sourcing_need_create(
            buyer=world.buyers[0], category=world.spice, volume=Decimal("80"), unit=world.kg
        )

    run = MatchRun.objects.get(kind=MatchRun.Kind.INCREMENTAL)
    assert run.status == MatchRun.Status.DONE, run.error
    assert run.subject["products"] == sorted(p.pk for p in waiting)
    assert len(run.subject["needs"]) == 1
    assert queued == [("incremental_run", run.pk)]
    assert run.suggestions_written > 0
    assert_stored_equals_engine()
    assert full_run().suggestions_written == 0


def test_a_large_batch_queues_one_full_run(world, django_capture_on_commit_callbacks, monkeypatch):
    full_run()
    monkeypatch.setattr(services, "INCREMENTAL_BATCH_MAX", 2)
    waiting = _waiting(world, 3)
    queued = _record_queue(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True), services.match_runs_batched():
        for product in waiting:
            producer_services.product_approve(product=product, reviewer=world.organiser)

    assert not MatchRun.objects.filter(kind=MatchRun.Kind.INCREMENTAL).exists()
    run = MatchRun.objects.filter(kind=MatchRun.Kind.FULL).first()  # the newest
    assert queued == [("full_run", run.pk)]
    assert run.status == MatchRun.Status.DONE, run.error
    assert_stored_equals_engine()


def test_batches_nest_and_a_rolled_back_batch_queues_nothing(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    waiting = _waiting(world, 3)
    queued = _record_queue(monkeypatch, run=False)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
        services.match_runs_batched(),
    ):
        producer_services.product_approve(product=waiting[0], reviewer=world.organiser)
        raise RuntimeError("the import failed")
    assert queued == [] and services._batch_stack() == []

    with django_capture_on_commit_callbacks(execute=True), services.match_runs_batched():
        producer_services.product_approve(product=waiting[1], reviewer=world.organiser)
        with services.match_runs_batched():
            producer_services.product_approve(product=waiting[2], reviewer=world.organiser)
    run = MatchRun.objects.get()
    assert run.subject["products"] == sorted([waiting[1].pk, waiting[2].pk])
    assert queued == [("incremental_run", run.pk)]
    assert services._batch_stack() == []


def test_a_batch_left_open_by_a_failed_commit_is_dropped_when_a_request_starts(
    world, django_capture_on_commit_callbacks, monkeypatch, client
):
    """A non-robust on_commit callback that raises stops the ones after it, so the batch's
    end-of-block marker never runs; the next request starts without the stale batch."""
    waiting = _waiting(world, 1)
    queued = _record_queue(monkeypatch, run=False)
    with (
        pytest.raises(ZeroDivisionError),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        services.match_runs_batched(),
    ):
        transaction.on_commit(lambda: 1 / 0)
    assert len(services._batch_stack()) == 1  # left open: changes would vanish into it

    client.get("/")
    assert services._batch_stack() == []
    with django_capture_on_commit_callbacks(execute=True):
        producer_services.product_approve(product=waiting[0], reviewer=world.organiser)
    assert [name for name, _pk in queued] == ["incremental_run"]


def test_a_stranger_cannot_dismiss(world):
    full_run()
    suggestion = Suggestion.objects.first()
    stranger = world.buyers[-1].members.first()
    if suggestion.buyer_id == world.buyers[-1].pk:
        stranger = world.buyers[0].members.first()
    with pytest.raises(services.MatchingError):
        services.suggestion_dismiss(user=stranger, suggestion=suggestion, side="buyer")


# --- weights ----------------------------------------------------------------------------------


def test_weights_are_validated_with_messages_naming_the_field(db):
    with pytest.raises(ValidationError) as negative:
        services.matching_weights_save(forum=None, data={"province": -1})
    assert "The province weight cannot be negative." in negative.value.message_dict["province"]

    zero = {"category": 0, "province": 0, "certification": 0, "volume": 0, "min_order": 0}
    with pytest.raises(ValidationError) as all_zero:
        services.matching_weights_save(forum=None, data=zero)
    assert "At least one of the five weights" in str(all_zero.value)

    saved = services.matching_weights_save(forum=None, data={"category": 3, "province": 1})
    weights = saved.as_engine()
    assert sum(weights.factor_weights()) == pytest.approx(1.0)
    assert weights.category == pytest.approx(3 / (3 + 1 + 0.15 + 0.20 + 0.10))


# --- reasons in words -------------------------------------------------------------------------


def test_a_suggestion_explains_itself_in_words():
    t = taxonomy()
    haccp = t["certs"][0]
    kien_giang, can_tho = t["provinces"][0], t["provinces"][1]
    producer = ProducerFactory(province=kien_giang)
    product = ProductFactory(
        producer=producer,
        category=t["sauce"],
        unit_of_sale=t["litre"],
        capacity_unit=t["litre"],
        capacity=Decimal("2000"),
        min_order=None,
        status=Product.Status.APPROVED,
    )
    hold(product, haccp)
    need = need_create(
        buyer=BuyerFactory(country=t["country"]),
        category=t["sauce"],
        unit=t["litre"],
        volume="1500",
        provinces=[can_tho],
        required=[haccp],
    )
    full_run(chunks=1)
    suggestion = suggestions_with_relations(Suggestion.objects.filter(need=need)).get()
    context = ReasonContext.load()
    distance = engine.haversine_km(10.0, 105.1, 10.03, 105.78)
    assert 74.5 <= float(distance) < 75.5

    with override("en"):
        assert reasons_text(suggestion, context=context) == (
            "same subgroup: fish sauce · 75 km from Can Tho · holds HACCP (required) · "
            "can supply 2,000 L of your 1,500 L a month"
        )
        assert reasons_text(suggestion, context=context, audience=PRODUCER) == (
            "same subgroup: fish sauce · 75 km from Can Tho · you hold HACCP (required) · "
            "you can supply 2,000 L of their 1,500 L a month"
        )
    with override("vi"):
        text = reasons_text(suggestion, context=context)
        assert "nước mắm" in text and "Cần Thơ" in text and "HACCP" in text


def test_reasons_give_quantities_in_the_buyers_unit(db):
    t = taxonomy()
    producer = ProducerFactory(province=t["provinces"][2])
    ProductFactory(
        producer=producer,
        category=t["spice"],
        unit_of_sale=t["kg"],
        capacity_unit=t["tonne"],
        capacity=Decimal("2.5"),
        min_order=Decimal("500"),
        status=Product.Status.APPROVED,
    )
    need = need_create(
        buyer=BuyerFactory(country=t["country"]),
        category=t["group"],
        unit=t["tonne"],
        volume="4",
        order_size=Decimal("0.2"),
    )
    full_run(chunks=1)
    suggestion = suggestions_with_relations(Suggestion.objects.filter(need=need)).get()
    with override("en"):
        text = reasons_text(suggestion, context=ReasonContext.load())
    assert text == (
        "in the group you want: Condiments · from Kampot; you source from anywhere · "
        "can supply 2.5 t of your 4 t a month · "
        "minimum order 0.5 t is more than your usual order of 0.2 t"
    )


def test_fingerprints_are_stable_and_see_breakdown_changes():
    from matching.synthetic import generate
    from matching.writing import fingerprints

    data = generate(3, n_producers=50, n_products=120, n_needs=60, n_buyers=20)
    result = engine.match(data.products, data.needs, data.provinces, k=3)

    class Vocab:
        province_pks = np.arange(data.provinces.size)
        cert_pks = np.arange(data.n_certs)

    rows = np.arange(len(result))
    first = fingerprints(result, rows, Vocab)
    assert (first == fingerprints(result, rows, Vocab)).all()
    assert len(set(first.tolist())) == len(first)
    changed = result.product_capacity.copy()
    changed[0] += 1
    values = {name: getattr(result, name) for name in result.__dataclass_fields__}
    values["product_capacity"] = changed
    other = engine.MatchResult(**values)
    again = fingerprints(other, rows, Vocab)
    assert again[0] != first[0] and (again[1:] == first[1:]).all()
