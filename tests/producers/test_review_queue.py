"""The organisers' review queue: what is waiting, everything needed to decide, and the
approve / reject / verify actions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from producers import services
from producers.models import Product
from tests.factories import HeldCertificationFactory, ProductFactory, ProductPhotoFactory

Status = Product.Status


def queue(client, **params):
    response = client.get(reverse("producers:review_queue"), params)
    assert response.status_code == 200
    return response


def test_queue_lists_submitted_listings_oldest_first_with_counts(
    login, organiser, alice_producer, draft, approved
):
    now = timezone.now()
    newer = ProductFactory(producer=alice_producer, submitted=True, name="Newer")
    older = ProductFactory(producer=alice_producer, submitted=True, name="Older")
    Product.objects.filter(pk=newer.pk).update(submitted_at=now - dt.timedelta(hours=1))
    Product.objects.filter(pk=older.pk).update(submitted_at=now - dt.timedelta(days=2))
    revision = services.product_update(product=approved, data={"name": "Salted crab v2"})
    ProductPhotoFactory(product=revision)
    services.product_submit(product=revision)

    response = queue(login(organiser))
    listed = [item["product"].name for item in response.context["items"]]
    assert listed == ["Older", "Newer", "Salted crab v2"]
    assert response.context["counts"] == {"total": 3, "new": 2, "changes": 1}
    assert "3 waiting: 2 new, 1 changes to public listings." in response.content.decode()


def test_queue_shows_everything_needed_to_decide(login, organiser, submitted):
    submitted.producer.village = "Phum Thmei"
    submitted.producer.phone = "+855 99 888 777"
    submitted.producer.save()
    submitted.capacity, submitted.min_order = Decimal("2"), Decimal("10")
    submitted.stars = 4
    submitted.save()
    held = HeldCertificationFactory(product=submitted)
    page = queue(login(organiser)).content.decode()
    for text in (
        submitted.producer.name,
        "Cooperative",
        "Kampot",
        "Phum Thmei",
        "+855 99 888 777",
        "Spices and condiments",
        "2 t",
        "10 kg",
        "US$12.50 – US$15.00",
        "4 stars",
        "All year",
        "VietGAP",
        submitted.photos.get().thumbnail.url,
        reverse("producers:certification_evidence", args=[held.pk]),
        reverse("producers:certification_verify", args=[held.pk]),
        reverse("producers:review_approve", args=[submitted.pk]),
        reverse("producers:review_reject", args=[submitted.pk]),
    ):
        assert text in page, text


def test_revision_in_queue_shows_what_changes_on_the_public_listing(login, organiser, approved):
    revision = services.product_update(
        product=approved, data={"name": "Salted crab v2", "price_max": Decimal("30")}
    )
    services.product_submit(product=revision)
    item = queue(login(organiser)).context["items"][0]
    changes = {change.label: (change.old, change.new) for change in item["changes"]}
    assert changes == {
        "Product name": ("Salted crab", "Salted crab v2"),
        "Price": ("US$12.50 – US$15.00", "US$12.50 – US$30.00"),
    }


def test_a_revision_that_changes_only_the_language_shows_it(login, organiser, approved):
    assert approved.content_language != "en"
    revision = services.product_update(product=approved, data={"content_language": "en"})
    services.product_submit(product=revision)
    item = queue(login(organiser)).context["items"][0]
    changes = {change.label: (change.old, change.new) for change in item["changes"]}
    assert changes == {"Language you write in": (approved.content_language_autonym, "English")}


def test_queue_is_paginated_and_its_queries_do_not_grow(
    login, organiser, alice_producer, django_assert_max_num_queries
):
    for n in range(12):
        product = ProductFactory(producer=alice_producer, submitted=True, name=f"P{n}")
        ProductPhotoFactory(product=product)
        HeldCertificationFactory(product=product)
    client = login(organiser)
    with django_assert_max_num_queries(16):
        first = queue(client)
    assert len(first.context["items"]) == 10
    assert len(queue(client, page=2).context["items"]) == 2


def test_organiser_approves_from_the_queue(
    login, organiser, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    client = login(organiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("producers:review_approve", args=[submitted.pk]), follow=True
        )
    assert "is approved and public" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED
    assert submitted.reviewed_by == organiser
    assert len(mailoutbox) == 1


def test_organiser_rejects_with_a_reason_from_the_queue(
    login, organiser, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    client = login(organiser)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("producers:review_reject", args=[submitted.pk]),
            {f"p{submitted.pk}-reason": "Say how much one bag weighs."},
        )
    submitted.refresh_from_db()
    assert submitted.status == Status.REJECTED
    assert submitted.rejection_reason == "Say how much one bag weighs."
    assert "Say how much one bag weighs." in mailoutbox[0].body


def test_reject_without_a_reason_shows_the_form_again_with_a_message(login, organiser, submitted):
    client = login(organiser)
    response = client.post(
        reverse("producers:review_reject", args=[submitted.pk]), {f"p{submitted.pk}-reason": " "}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == [
        "Write the reason, so the producer knows what to change."
    ]
    assert "Reason for rejection</a>: Write the reason" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    # The standalone page works too.
    assert client.get(reverse("producers:review_reject", args=[submitted.pk])).status_code == 200
    client.post(reverse("producers:review_reject", args=[submitted.pk]), {"reason": "Blurred."})
    submitted.refresh_from_db()
    assert submitted.rejection_reason == "Blurred."


def test_approving_a_draft_is_refused_with_a_message(login, organiser, draft):
    response = login(organiser).post(
        reverse("producers:review_approve", args=[draft.pk]), follow=True
    )
    assert (
        "Only a listing waiting for review can be approved; this one is: draft."
        in response.content.decode()
    )
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_second_decision_on_the_same_listing_is_refused(login, organiser, submitted):
    client = login(organiser)
    client.post(reverse("producers:review_approve", args=[submitted.pk]))
    response = client.post(
        reverse("producers:review_reject", args=[submitted.pk]),
        {"reason": "Too late"},
        follow=True,
    )
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED
    assert submitted.rejection_reason == ""
    assert "Only a listing waiting for review can be rejected" in response.content.decode()


def test_organiser_verifies_a_certification_and_returns_to_the_queue_page(
    login, organiser, submitted
):
    held = HeldCertificationFactory(product=submitted)
    next_url = reverse("producers:review_queue") + "?page=1"
    response = login(organiser).post(
        reverse("producers:certification_verify", args=[held.pk]), {"next": next_url}
    )
    assert response["Location"] == next_url
    held.refresh_from_db()
    assert held.verified_by == organiser


def test_verify_ignores_a_next_url_on_another_site(login, organiser, submitted):
    held = HeldCertificationFactory(product=submitted)
    response = login(organiser).post(
        reverse("producers:certification_verify", args=[held.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("producers:review_queue")


def test_verified_certification_appears_on_the_public_page(
    login, organiser, buyer, submitted, django_capture_on_commit_callbacks
):
    held = HeldCertificationFactory(product=submitted)
    client = login(organiser)
    client.post(reverse("producers:certification_verify", args=[held.pk]))
    client.post(reverse("producers:review_approve", args=[submitted.pk]))
    page = login(buyer).get(reverse("catalogue:detail", args=[submitted.pk])).content.decode()
    assert "VietGAP" in page


@pytest.mark.parametrize("page", ["7", "x"])
def test_queue_page_out_of_range_shows_a_page(login, organiser, submitted, page):
    response = queue(login(organiser), page=page)
    assert response.context["page"].number == 1
