"""The listing workflow in services: draft -> submitted -> approved | rejected, revisions of
approved listings, the emails and the signal that follow a decision."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from producers import services
from producers.models import HeldCertification, Product, ProductPhoto
from producers.services import ListingError
from producers.signals import listing_approved, listing_rejected
from tests.factories import (
    CategoryFactory,
    HeldCertificationFactory,
    OrganiserUserFactory,
    ProductFactory,
    ProductPhotoFactory,
    TonneFactory,
    UnitFactory,
)
from tests.producers.uploads import jpeg_upload

Status = Product.Status


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver-site"


@pytest.fixture
def signals_received():
    received = []

    def on_approved(sender, product, **kwargs):
        received.append(("approved", product.pk, product.name))

    def on_rejected(sender, product, **kwargs):
        received.append(("rejected", product.pk, product.name))

    listing_approved.connect(on_approved, weak=False)
    listing_rejected.connect(on_rejected, weak=False)
    yield received
    listing_approved.disconnect(on_approved)
    listing_rejected.disconnect(on_rejected)


def test_created_listing_is_a_draft_with_capacity_in_base_units(alice_producer):
    product = services.product_create(
        producer=alice_producer,
        category=CategoryFactory(),
        name="Kampot red pepper",
        unit_of_sale=UnitFactory(),
        capacity=Decimal("1.5"),
        capacity_unit=TonneFactory(),
        min_order=Decimal("20"),
        price_min=Decimal("10"),
        price_max=Decimal("12"),
        currency="USD",
        months_mask=0b000000000111,
    )
    product.refresh_from_db()
    assert product.status == Status.DRAFT
    assert product.capacity_base == Decimal("1500")
    assert product.min_order_base == Decimal("20")
    assert product.months == [1, 2, 3]
    assert not Product.objects.approved().filter(pk=product.pk).exists()


def test_service_refuses_a_price_range_upside_down(alice_producer):
    with pytest.raises(ListingError) as error:
        services.product_create(
            producer=alice_producer,
            category=CategoryFactory(),
            name="Pepper",
            unit_of_sale=UnitFactory(),
            capacity=Decimal("1"),
            capacity_unit=UnitFactory(),
            price_min=Decimal("20"),
            price_max=Decimal("10"),
        )
    assert error.value.field == "price_max"
    assert "highest price" in error.value.message


def test_submit_needs_a_photo_and_says_so(alice_producer):
    product = ProductFactory(producer=alice_producer)
    with pytest.raises(ListingError, match="at least one photo"):
        services.product_submit(product=product)
    product.refresh_from_db()
    assert product.status == Status.DRAFT


def test_submitted_listing_records_when_and_waits_for_review(draft):
    services.product_submit(product=draft)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert draft.submitted_at is not None


def test_approval_publishes_records_reviewer_emails_producer_and_signals_matching(
    draft, organiser, alice, mailoutbox, django_capture_on_commit_callbacks, signals_received
):
    services.product_submit(product=draft)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_approve(product=draft, reviewer=organiser)
    draft.refresh_from_db()
    assert draft.status == Status.APPROVED
    assert draft.reviewed_by == organiser
    assert draft.reviewed_at is not None
    assert Product.objects.approved().filter(pk=draft.pk).exists()

    assert signals_received == [("approved", draft.pk, "Kampot black pepper")]
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [alice.email]
    assert "approved" in email.subject
    assert f"http://testserver-site/catalogue/{draft.pk}/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="http://testserver-site/catalogue/{draft.pk}/"' in html


def test_rejection_needs_a_reason_and_emails_it_to_every_member_in_their_language(
    draft, organiser, alice, bob, mailoutbox, django_capture_on_commit_callbacks, signals_received
):
    draft.producer.members.add(bob)  # bob reads Vietnamese
    services.product_submit(product=draft)
    with pytest.raises(ListingError, match="reason"):
        services.product_reject(product=draft, reviewer=organiser, reason="   ")

    with django_capture_on_commit_callbacks(execute=True):
        services.product_reject(
            product=draft, reviewer=organiser, reason="Photos are too dark; show the pepper."
        )
    draft.refresh_from_db()
    assert draft.status == Status.REJECTED
    assert draft.rejection_reason == "Photos are too dark; show the pepper."
    assert not Product.objects.approved().filter(pk=draft.pk).exists()
    assert signals_received == [("rejected", draft.pk, "Kampot black pepper")]

    assert sorted(email.to[0] for email in mailoutbox) == [alice.email, bob.email]
    for email in mailoutbox:
        assert "Photos are too dark; show the pepper." in email.body
        assert "Photos are too dark; show the pepper." in email.alternatives[0][0]
        assert f"http://testserver-site/producer/products/{draft.pk}/" in email.body
    html_vi = next(e for e in mailoutbox if e.to == [bob.email]).alternatives[0][0]
    assert '<html lang="vi">' in html_vi


def test_rejected_listing_can_be_fixed_and_submitted_again(draft, organiser):
    services.product_submit(product=draft)
    services.product_reject(product=draft, reviewer=organiser, reason="Add the weight.")
    services.product_update(product=draft, data={"name": "Kampot black pepper, 500 g"})
    resubmitted = services.product_submit(product=draft)
    assert resubmitted.status == Status.SUBMITTED
    assert resubmitted.rejection_reason == ""


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        ("draft", "approve", "Only a listing waiting for review can be approved"),
        ("draft", "reject", "Only a listing waiting for review can be rejected"),
        ("approved", "approve", "Only a listing waiting for review can be approved"),
        ("rejected", "reject", "Only a listing waiting for review can be rejected"),
        ("approved", "submit", "already approved and public"),
        ("submitted", "submit", "already waiting for review"),
        ("submitted", "update", "waiting for review"),
        ("approved", "delete", "Only a draft or rejected listing can be deleted"),
        ("submitted", "delete", "Only a draft or rejected listing can be deleted"),
    ],
)
def test_wrong_transition_is_refused_with_a_message(
    alice_producer, organiser, state, action, message
):
    product = ProductFactory(producer=alice_producer, **({state: True} if state != "draft" else {}))
    ProductPhotoFactory(product=product)
    before = Product.objects.values().get(pk=product.pk)
    calls = {
        "approve": lambda: services.product_approve(product=product, reviewer=organiser),
        "reject": lambda: services.product_reject(product=product, reviewer=organiser, reason="x"),
        "submit": lambda: services.product_submit(product=product),
        "update": lambda: services.product_update(product=product, data={"name": "New"}),
        "delete": lambda: services.product_delete(product=product),
    }
    with pytest.raises(ListingError, match=message):
        calls[action]()
    assert Product.objects.values().get(pk=product.pk) == before


def test_only_organisers_can_decide(submitted, alice, buyer):
    for user in (alice, buyer):
        with pytest.raises(ListingError, match="Only organisers"):
            services.product_approve(product=submitted, reviewer=user)
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_deleting_a_draft_removes_it(draft):
    services.product_delete(product=draft)
    assert not Product.objects.filter(pk=draft.pk).exists()


# --- Revisions of approved listings ---------------------------------------------------------


@pytest.fixture
def public(approved):
    """Alice's approved listing with a verified certification."""
    HeldCertificationFactory(product=approved, verified=True)
    return approved


def test_editing_an_approved_listing_makes_a_revision_and_public_content_stays(public):
    revision = services.product_update(
        product=public, data={"name": "Salted crab, new recipe", "price_max": Decimal("20")}
    )
    assert revision.pk != public.pk
    assert revision.revision_of_id == public.pk
    assert revision.status == Status.DRAFT
    assert revision.name == "Salted crab, new recipe"
    # The copy has its own photo and certification rows, sharing the stored files.
    assert revision.photos.count() == 1
    assert revision.photos.get().image.name == public.photos.get().image.name
    held = revision.certifications.get()
    assert held.verified_at is not None
    assert held.evidence.name == public.certifications.get().evidence.name

    public.refresh_from_db()
    assert public.name == "Salted crab"
    assert public.status == Status.APPROVED
    assert list(Product.objects.approved()) == [public]


def test_editing_again_reuses_the_same_revision(public):
    first = services.product_update(product=public, data={"name": "One"})
    second = services.product_update(product=public, data={"name": "Two"})
    assert first.pk == second.pk
    assert Product.objects.filter(revision_of=public).count() == 1
    second.refresh_from_db()
    assert second.name == "Two"


def test_photos_added_to_an_approved_listing_go_to_its_revision(public):
    target, photos = services.product_photos_add(product=public, images=[jpeg_upload()])
    assert target.revision_of_id == public.pk
    assert target.photos.count() == 2
    assert public.photos.count() == 1


def test_approved_revision_replaces_public_content_keeping_the_same_listing(
    public, organiser, mailoutbox, django_capture_on_commit_callbacks, signals_received
):
    old_photo_name = public.photos.get().image.name
    revision = services.product_update(
        product=public, data={"name": "Salted crab, new recipe", "price_max": Decimal("20")}
    )
    services.product_photos_add(product=revision, images=[jpeg_upload("new.jpg")])
    services.product_photo_delete(photo=revision.photos.get(image=old_photo_name))
    services.product_submit(product=revision)

    # While waiting for review the public listing shows the old content.
    public.refresh_from_db()
    assert public.name == "Salted crab"

    with django_capture_on_commit_callbacks(execute=True):
        result = services.product_approve(product=revision, reviewer=organiser)
    assert result.pk == public.pk
    public.refresh_from_db()
    assert public.name == "Salted crab, new recipe"
    assert public.price_max == Decimal("20")
    assert public.status == Status.APPROVED
    assert public.reviewed_by == organiser
    assert [p.image.name for p in public.photos.all()] != [old_photo_name]
    assert public.photos.count() == 1
    assert public.certifications.count() == 1
    assert not Product.objects.filter(pk=revision.pk).exists()
    assert ProductPhoto.objects.filter(product_id=revision.pk).count() == 0
    assert HeldCertification.objects.count() == 1
    assert signals_received == [("approved", public.pk, "Salted crab, new recipe")]
    assert "changes" in mailoutbox[0].subject
    assert f"/catalogue/{public.pk}/" in mailoutbox[0].body


def test_rejected_revision_keeps_reason_and_public_listing_unchanged(
    public, organiser, mailoutbox, django_capture_on_commit_callbacks
):
    revision = services.product_update(product=public, data={"name": "Cheap crab"})
    services.product_submit(product=revision)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_reject(product=revision, reviewer=organiser, reason="Name is unclear.")
    revision.refresh_from_db()
    public.refresh_from_db()
    assert revision.status == Status.REJECTED
    assert revision.rejection_reason == "Name is unclear."
    assert public.name == "Salted crab"
    assert public.status == Status.APPROVED
    assert "Buyers still see the current version" in mailoutbox[0].body
    assert f"/producer/products/{revision.pk}/" in mailoutbox[0].body


def test_revision_waiting_for_review_cannot_be_changed(public):
    revision = services.product_update(product=public, data={"name": "New"})
    services.product_submit(product=revision)
    with pytest.raises(ListingError, match="changes are waiting for review"):
        services.product_update(product=public, data={"name": "Newer"})
    with pytest.raises(ListingError, match="changes are waiting for review"):
        services.product_photos_add(product=public, images=[jpeg_upload()])


def test_photos_of_a_public_listing_cannot_be_removed_in_place(public):
    with pytest.raises(ListingError, match="This listing is public"):
        services.product_photo_delete(photo=public.photos.get())
    assert public.photos.count() == 1


def test_discarding_a_revision_leaves_the_public_listing(public):
    revision = services.product_update(product=public, data={"name": "New"})
    services.product_delete(product=revision)
    public.refresh_from_db()
    assert public.name == "Salted crab"
    assert public.photos.count() == 1
    assert public.certifications.count() == 1


# --- Certifications -------------------------------------------------------------------------


def test_verifying_a_certification_records_who_and_refuses_twice(draft, organiser):
    held = HeldCertificationFactory(product=draft)
    services.held_certification_verify(held_certification=held, verifier=organiser)
    held.refresh_from_db()
    assert held.verified_by == organiser
    assert held.verified_at is not None
    with pytest.raises(ListingError, match="already verified"):
        services.held_certification_verify(held_certification=held, verifier=organiser)


def test_producers_cannot_verify_their_own_certifications(draft, alice):
    held = HeldCertificationFactory(product=draft)
    with pytest.raises(ListingError, match="Only organisers"):
        services.held_certification_verify(held_certification=held, verifier=alice)


# --- Two organisers at once (needs real row locks) ------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_organisers_deciding_at_once_only_one_wins(alice_producer):
    product = ProductFactory(producer=alice_producer, submitted=True)
    ProductPhotoFactory(product=product)
    first, second = OrganiserUserFactory(), OrganiserUserFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(reviewer, approve):
        try:
            stale = Product.objects.get(pk=product.pk)  # both read "submitted"
            barrier.wait(timeout=10)
            if approve:
                services.product_approve(product=stale, reviewer=reviewer)
            else:
                services.product_reject(product=stale, reviewer=reviewer, reason="No.")
            outcomes.append("won")
        except ListingError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(first, True)),
        threading.Thread(target=decide, args=(second, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "won"]
    product.refresh_from_db()
    assert product.status in (Status.APPROVED, Status.REJECTED)
