"""Who may reach what: every producer and review URL as the wrong person.

Producer bob gets 404 for alice's things (he learns nothing), buyers and organisers get 403
on producer pages, anonymous visitors are sent to log in, and only organisers review.
"""

import pytest
from django.test import Client
from django.urls import reverse

from producers.models import HeldCertification, Product, ProductPhoto
from tests.factories import HeldCertificationFactory, ProducerUserFactory

LOGIN_URL = "/accounts/login/"


@pytest.fixture
def alice_things(draft, approved):
    """Everything of alice's that has its own URL."""
    return {
        "product": draft,
        "approved": approved,
        "photo": draft.photos.get(),
        "held": HeldCertificationFactory(product=draft),
    }


# (method, URL name, which of alice's things the URL is about)
OBJECT_URLS = [
    ("get", "producers:product_detail", "product"),
    ("get", "producers:product_edit", "product"),
    ("post", "producers:product_edit", "product"),
    ("get", "producers:product_delete", "product"),
    ("post", "producers:product_delete", "product"),
    ("post", "producers:product_submit", "product"),
    ("post", "producers:product_revise", "approved"),
    ("post", "producers:photo_upload", "product"),
    ("post", "producers:photo_delete", "photo"),
    ("post", "producers:certification_add", "product"),
    ("post", "producers:certification_delete", "held"),
    ("get", "producers:certification_evidence", "held"),
]
OWN_URLS = [
    ("get", "producers:dashboard"),
    ("get", "producers:profile_create"),
    ("get", "producers:profile_edit"),
    ("post", "producers:profile_edit"),
    ("get", "producers:product_create"),
    ("post", "producers:product_create"),
]
REVIEW_URLS = [
    ("get", "producers:review_queue", None),
    ("post", "producers:review_approve", "submitted"),
    ("get", "producers:review_reject", "submitted"),
    ("post", "producers:review_reject", "submitted"),
    ("post", "producers:certification_verify", "held"),
]


def snapshot():
    return (
        list(Product.objects.order_by("pk").values()),
        list(ProductPhoto.objects.order_by("pk").values()),
        list(HeldCertification.objects.order_by("pk").values()),
    )


def request(client, method, url):
    return getattr(client, method)(url)


@pytest.mark.parametrize(("method", "name", "thing"), OBJECT_URLS)
def test_producer_bob_gets_404_for_alice_listing_urls(
    login, bob, bob_producer, alice_things, method, name, thing
):
    url = reverse(name, args=[alice_things[thing].pk])
    before = snapshot()
    assert request(login(bob), method, url).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(("method", "name", "thing"), OBJECT_URLS)
def test_anonymous_visitor_is_sent_to_log_in_for_producer_urls(
    login, alice_things, method, name, thing
):
    url = reverse(name, args=[alice_things[thing].pk])
    before = snapshot()
    response = request(login(None), method, url)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "name", "thing"), OBJECT_URLS)
@pytest.mark.parametrize("who", ["buyer", "organiser"])
def test_buyer_and_organiser_cannot_use_producer_urls(
    request_fixture, login, alice_things, method, name, thing, who
):
    user = request_fixture(who)
    url = reverse(name, args=[alice_things[thing].pk])
    before = snapshot()
    response = request(login(user), method, url)
    if name == "producers:certification_evidence":
        # Evidence is for the listing's members and organisers; a buyer learns nothing.
        assert response.status_code == (200 if who == "organiser" else 404)
    else:
        assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(("method", "name"), OWN_URLS)
@pytest.mark.parametrize("who", ["buyer", "organiser", None])
def test_producer_pages_refuse_other_roles_and_anonymous(
    request_fixture, login, alice_producer, method, name, who
):
    user = request_fixture(who) if who else None
    response = request(login(user), method, reverse(name))
    if user is None:
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("method", "name"), [u for u in OWN_URLS if "profile_create" not in u[1]])
def test_producer_without_a_business_profile_is_sent_to_create_one(db, login, method, name):
    newcomer = ProducerUserFactory()
    response = request(login(newcomer), method, reverse(name))
    assert response.status_code == 302
    assert response["Location"] == reverse("producers:profile_create")


@pytest.mark.parametrize(("method", "name", "thing"), REVIEW_URLS)
@pytest.mark.parametrize("who", ["alice", "bob", "buyer", None])
def test_only_organisers_review(
    request_fixture, login, alice_things, submitted, method, name, thing, who
):
    things = {**alice_things, "submitted": submitted}
    url = reverse(name, args=[things[thing].pk]) if thing else reverse(name)
    user = request_fixture(who) if who else None
    before = snapshot()
    response = request(login(user), method, url)
    if user is None:
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL)
    else:
        assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("who", ["alice", "organiser"])
def test_alice_and_organisers_download_evidence(request_fixture, login, alice_things, who):
    url = reverse("producers:certification_evidence", args=[alice_things["held"].pk])
    response = login(request_fixture(who)).get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("name", "thing"),
    [
        ("producers:product_submit", "product"),
        ("producers:product_revise", "approved"),
        ("producers:photo_delete", "photo"),
        ("producers:certification_delete", "held"),
    ],
)
def test_state_changes_refuse_get(login, alice, alice_things, name, thing):
    before = snapshot()
    response = login(alice).get(reverse(name, args=[alice_things[thing].pk]))
    assert response.status_code == 405
    assert snapshot() == before


def test_state_changes_need_the_csrf_token(alice, draft, organiser, submitted):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("producers:product_submit", args=[draft.pk])).status_code == 403
    client.force_login(organiser)
    url = reverse("producers:review_approve", args=[submitted.pk])
    assert client.post(url).status_code == 403
    draft.refresh_from_db()
    submitted.refresh_from_db()
    assert draft.status == Product.Status.DRAFT
    assert submitted.status == Product.Status.SUBMITTED


# --- Catalogue pages of unapproved listings -------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "submitted"])
@pytest.mark.parametrize(
    ("who", "status_code"),
    [(None, 404), ("buyer", 404), ("bob", 404), ("alice", 200), ("organiser", 200)],
)
def test_unapproved_listing_page_is_a_404_except_for_its_producer_and_organisers(
    request_fixture, login, state, who, status_code
):
    product = request_fixture(state)
    user = request_fixture(who) if who else None
    response = login(user).get(reverse("catalogue:detail", args=[product.pk]))
    assert response.status_code == status_code
    if status_code == 200:
        assert "Preview: buyers cannot see this page." in response.content.decode()


def test_rejected_listing_is_hidden_from_buyers_and_shows_reason_to_producer(
    login, alice, buyer, alice_producer
):
    from tests.factories import ProductFactory, ProductPhotoFactory

    product = ProductFactory(producer=alice_producer, rejected=True, name="Dried fish")
    ProductPhotoFactory(product=product)
    url = reverse("catalogue:detail", args=[product.pk])
    assert login(buyer).get(url).status_code == 404
    assert "Dried fish" not in login(buyer).get(reverse("catalogue:list")).content.decode()
    dashboard = login(alice).get(reverse("producers:dashboard")).content.decode()
    assert "Dried fish" in dashboard
    assert "The photos are blurred." in dashboard
    assert "The photos are blurred." in login(alice).get(url).content.decode()


@pytest.fixture
def request_fixture(request):
    """request_fixture("alice") -> the alice fixture; lets tests be parametrized by person."""
    return request.getfixturevalue
