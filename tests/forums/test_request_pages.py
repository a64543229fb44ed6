"""The meeting-request pages: asking from a product page or a sourcing need, the incoming and
outgoing lists (filters, pages, a fixed number of queries), one request's page, and the
accept / decline / cancel actions, each tried by every wrong user.

The cast: alice buys for Green Mart; sokha runs the Kampot Pepper Coop, whose pepper is
approved; bob (River Trade) and eve (Fish Sauce Coop) are outsiders; olga organises the forum,
oscar another one.
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forums.models import Meeting, MeetingRequest
from tests.factories import (
    BuyerFactory,
    BuyerUserFactory,
    ForumFactory,
    MeetingRequestFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProducerUserFactory,
    ProductFactory,
    SourcingNeedFactory,
)

Status = MeetingRequest.Status


@pytest.fixture
def alice(db):
    return BuyerUserFactory(email="alice@greenmart.example", full_name="Alice Nguyen")


@pytest.fixture
def green_mart(alice):
    return BuyerFactory(name="Green Mart", members=[alice])


@pytest.fixture
def sokha(db):
    return ProducerUserFactory(email="sokha@kampot.example", full_name="Sokha Chan")


@pytest.fixture
def kampot_coop(sokha):
    return ProducerFactory(name="Kampot Pepper Coop", members=[sokha], phone="+855 12 345 678")


@pytest.fixture
def pepper(kampot_coop):
    return ProductFactory(producer=kampot_coop, name="Kampot black pepper", approved=True)


@pytest.fixture
def bob(db):
    user = BuyerUserFactory(email="bob@rivertrade.example")
    BuyerFactory(name="River Trade", members=[user])
    return user


@pytest.fixture
def eve(db):
    user = ProducerUserFactory(email="eve@fishsauce.example")
    producer = ProducerFactory(name="Fish Sauce Coop", members=[user])
    ProductFactory(producer=producer, approved=True)
    return user


@pytest.fixture
def olga(db):
    return OrganiserUserFactory(email="olga@forum.example")


@pytest.fixture
def oscar(db):
    return OrganiserUserFactory(email="oscar@forum.example")


@pytest.fixture
def forum(olga):
    return ForumFactory(name="Kampot OVOP Forum 2026", organisers=[olga])


@pytest.fixture
def closed_forum(db):
    return ForumFactory(name="Last Year's Fair", closed=True)


@pytest.fixture
def pending(green_mart, kampot_coop, pepper, forum, alice):
    return MeetingRequestFactory(
        buyer=green_mart,
        producer=kampot_coop,
        product=pepper,
        forum=forum,
        created_by=alice,
        message="Can you supply 200 kg a month?",
    )


@pytest.fixture
def login(client):
    """login(user) logs the test client in as user (or stays anonymous for None)."""

    def _login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return _login


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Asking from a product page -------------------------------------------------------------


def test_product_page_offers_buyers_a_meeting_request(login, alice, sokha, pepper):
    url = reverse("catalogue:detail", args=[pepper.pk])
    create = reverse("forums:request_create", args=[pepper.pk])
    assert create in login(alice).get(url).content.decode()
    assert create in login(None).get(url).content.decode()  # leads to the login page
    assert create not in login(sokha).get(url).content.decode()


def test_request_form_lists_only_forums_open_for_requests_and_any_time(
    login, alice, green_mart, pepper, forum, closed_forum
):
    response = login(alice).get(reverse("forums:request_create", args=[pepper.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kampot OVOP Forum 2026" in html
    assert "Last Year" not in html
    assert "Any time: we arrange the meeting ourselves" in html
    assert "Kampot Pepper Coop" in html and "Kampot black pepper" in html


def test_buyer_sends_a_request_from_the_product_page(
    login, alice, green_mart, pepper, forum, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(alice).post(
            reverse("forums:request_create", args=[pepper.pk]),
            {"forum": forum.pk, "message": "Samples, please."},
            follow=True,
        )
    meeting_request = MeetingRequest.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "forums:request_detail", args=[meeting_request.pk]
    )
    assert "Your request is sent" in page_messages(response)[0]
    assert (meeting_request.forum, meeting_request.product) == (forum, pepper)
    assert meeting_request.initiated_by == "buyer"
    assert [email.to for email in mailoutbox] == [["sokha@kampot.example"]]


def test_any_time_is_the_default_choice(login, alice, green_mart, pepper):
    login(alice).post(reverse("forums:request_create", args=[pepper.pk]), {"forum": ""})
    assert MeetingRequest.objects.get().forum is None


def test_a_forum_closed_for_requests_is_refused_on_the_forum_field(
    login, alice, green_mart, pepper, closed_forum
):
    response = login(alice).post(
        reverse("forums:request_create", args=[pepper.pk]), {"forum": closed_forum.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["forum"] == [
        "“Last Year's Fair” is not taking meeting requests now. Choose another forum, "
        "or “any time”."
    ]
    assert 'href="#field-forum"' in response.content.decode()
    assert not MeetingRequest.objects.exists()


def test_a_second_open_request_is_refused_with_a_clear_message(
    login, alice, pending, pepper, forum
):
    response = login(alice).post(
        reverse("forums:request_create", args=[pepper.pk]), {"forum": forum.pk}
    )
    assert "already have an open meeting request" in response.context["form"].errors["forum"][0]
    assert MeetingRequest.objects.count() == 1


def test_the_cap_is_refused_with_a_message_naming_it(
    login, alice, green_mart, pepper, forum, settings
):
    settings.MEETING_REQUEST_CAP_PER_FORUM = 1
    MeetingRequestFactory(buyer=green_mart, forum=forum)
    response = login(alice).post(
        reverse("forums:request_create", args=[pepper.pk]), {"forum": forum.pk}
    )
    assert "the most allowed is 1" in response.context["form"].errors["forum"][0]


def test_an_unknown_forum_and_a_long_message_are_errors_naming_their_fields(
    login, alice, green_mart, pepper
):
    response = login(alice).post(
        reverse("forums:request_create", args=[pepper.pk]),
        {"forum": "999999", "message": "x" * 2001},
    )
    errors = response.context["form"].errors
    assert errors["forum"] == ["Choose one of the options for “Forum”."]
    assert "“Message” can be at most 2000 characters long." in errors["message"]


def test_only_buyers_may_open_the_request_form(login, sokha, olga, pepper, green_mart):
    url = reverse("forums:request_create", args=[pepper.pk])
    assert login(sokha).get(url).status_code == 404
    assert login(olga).get(url).status_code == 404
    response = login(None).get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_buyer_without_an_organisation_is_sent_to_make_one(login, pepper):
    newcomer = BuyerUserFactory(email="new@shop.example")
    response = login(newcomer).get(reverse("forums:request_create", args=[pepper.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("buyers:profile")


@pytest.mark.parametrize("state", ["draft", "submitted", "rejected"])
def test_no_request_form_for_an_unapproved_product(login, alice, green_mart, kampot_coop, state):
    product = ProductFactory(producer=kampot_coop, **({state: True} if state != "draft" else {}))
    url = reverse("forums:request_create", args=[product.pk])
    assert login(alice).get(url).status_code == 404
    assert login(alice).post(url, {"forum": ""}).status_code == 404
    assert not MeetingRequest.objects.exists()


# --- Offering from a sourcing need ----------------------------------------------------------


@pytest.fixture
def need(green_mart, pepper):
    return SourcingNeedFactory(buyer=green_mart, category=pepper.category)


def test_need_page_offers_producers_with_an_approved_listing_to_meet(
    login, sokha, alice, need, pepper
):
    offer = reverse("forums:request_offer", args=[need.pk])
    assert offer in login(sokha).get(reverse("buyers:need_detail", args=[need.pk])).content.decode()
    assert (
        offer
        not in login(alice).get(reverse("buyers:need_detail", args=[need.pk])).content.decode()
    )


def test_producer_offers_to_meet_naming_a_product(
    login, sokha, need, pepper, kampot_coop, forum, mailoutbox, django_capture_on_commit_callbacks
):
    ProductFactory(producer=kampot_coop, name="Unreviewed salt", submitted=True)
    url = reverse("forums:request_offer", args=[need.pk])
    form_html = login(sokha).get(url).content.decode()
    assert "Kampot black pepper" in form_html and "Unreviewed salt" not in form_html
    with django_capture_on_commit_callbacks(execute=True):
        response = login(sokha).post(
            url, {"forum": forum.pk, "product": pepper.pk, "message": "2 t a month"}
        )
    offer = MeetingRequest.objects.get()
    assert response["Location"] == reverse("forums:request_detail", args=[offer.pk])
    assert (offer.need, offer.product, offer.initiated_by) == (need, pepper, "producer")
    assert [email.to for email in mailoutbox] == [["alice@greenmart.example"]]


def test_producer_cannot_name_an_unapproved_product_in_an_offer(login, sokha, need, kampot_coop):
    draft = ProductFactory(producer=kampot_coop, name="Draft salt")
    response = login(sokha).post(
        reverse("forums:request_offer", args=[need.pk]), {"forum": "", "product": draft.pk}
    )
    assert "Product" in response.context["form"].errors["product"][0]
    assert not MeetingRequest.objects.exists()


def test_producer_without_an_approved_listing_cannot_offer(login, need):
    newcomer = ProducerUserFactory(email="new@coop.example")
    producer = ProducerFactory(members=[newcomer])
    ProductFactory(producer=producer, category=need.category, submitted=True)
    url = reverse("forums:request_offer", args=[need.pk])
    assert login(newcomer).get(url).status_code == 404
    assert login(newcomer).post(url, {"forum": ""}).status_code == 404
    assert need.pk  # the need itself exists; the producer just cannot offer on it
    assert not MeetingRequest.objects.exists()


def test_buyers_cannot_open_the_offer_form(login, alice, need):
    assert login(alice).get(reverse("forums:request_offer", args=[need.pk])).status_code == 404


# --- Lists ----------------------------------------------------------------------------------


def test_nav_links_to_meeting_requests_for_buyers_and_producers(login, alice, sokha, olga):
    link = reverse("forums:requests_incoming")
    assert link in login(alice).get(reverse("catalogue:list")).content.decode()
    assert link in login(sokha).get(reverse("catalogue:list")).content.decode()
    assert link not in login(olga).get(reverse("catalogue:list")).content.decode()


def test_incoming_page_lists_requests_to_answer_with_accept_and_decline(login, sokha, pending):
    response = login(sokha).get(reverse("forums:requests_incoming"))
    html = response.content.decode()
    assert "Green Mart" in html and "Kampot black pepper" in html
    assert reverse("forums:request_accept", args=[pending.pk]) in html
    assert reverse("forums:request_decline", args=[pending.pk]) in html
    assert "csrfmiddlewaretoken" in html
    assert "1 to answer" in html


def test_outgoing_page_lists_sent_requests_with_cancel(login, alice, pending):
    html = login(alice).get(reverse("forums:requests_outgoing")).content.decode()
    assert "Kampot Pepper Coop" in html
    assert reverse("forums:request_cancel", args=[pending.pk]) in html
    assert reverse("forums:request_accept", args=[pending.pk]) not in html


def test_lists_filter_by_status_treating_lapsed_requests_as_expired(
    login, sokha, pending, green_mart, kampot_coop
):
    lapsed = MeetingRequestFactory(buyer=green_mart, producer=kampot_coop, forum=None, lapsed=True)
    declined = MeetingRequestFactory(
        buyer=BuyerFactory(name="Declined Buyer"), producer=kampot_coop, status=Status.DECLINED
    )
    client = login(sokha)

    def listed(status):
        response = client.get(reverse("forums:requests_incoming"), {"status": status})
        return [mr.pk for mr in response.context["requests"]]

    assert listed("pending") == [pending.pk]
    assert listed("expired") == [lapsed.pk]
    assert listed("declined") == [declined.pk]
    assert set(listed("")) == {pending.pk, lapsed.pk, declined.pk}
    # A lapsed request shows as expired and offers no buttons.
    html = client.get(reverse("forums:requests_incoming"), {"status": "expired"}).content.decode()
    assert "Expired" in html
    assert reverse("forums:request_accept", args=[lapsed.pk]) not in html


def test_an_unknown_status_filter_is_an_error_naming_the_field(login, sokha, pending):
    response = login(sokha).get(reverse("forums:requests_incoming"), {"status": "bogus"})
    assert response.status_code == 200
    assert "Choose one of the options for “Status”." in response.content.decode()


def test_lists_are_paginated_and_keep_the_filter(login, sokha, kampot_coop):
    for index in range(23):
        MeetingRequestFactory(buyer=BuyerFactory(name=f"Buyer {index:02}"), producer=kampot_coop)
    client = login(sokha)
    first = client.get(reverse("forums:requests_incoming"), {"status": "pending"})
    assert len(first.context["requests"]) == 20
    assert "?status=pending&amp;page=2" in first.content.decode()
    second = client.get(reverse("forums:requests_incoming"), {"status": "pending", "page": 2})
    assert len(second.context["requests"]) == 3


@pytest.mark.parametrize("direction", ["incoming", "outgoing"])
def test_lists_take_the_same_number_of_queries_for_3_or_15_requests(
    login, alice, green_mart, sokha, kampot_coop, forum, direction
):
    """Offers from producers, each naming a need and a product: incoming for alice (many
    producers offered to Green Mart), outgoing for sokha (his coop offered to many buyers)."""

    def make(count):
        for _ in range(count):
            if direction == "incoming":
                buyer, producer = green_mart, ProducerFactory(members=[])
            else:
                buyer, producer = BuyerFactory(), kampot_coop
            MeetingRequestFactory(
                buyer=buyer,
                producer=producer,
                initiated_by="producer",
                need=SourcingNeedFactory(buyer=buyer),
                forum=forum,
            )

    client = login(alice if direction == "incoming" else sokha)
    url = reverse(f"forums:requests_{direction}")

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), len(response.context["requests"])

    make(3)
    few, listed_few = count_queries()
    make(12)
    many, listed_many = count_queries()
    assert (listed_few, listed_many) == (3, 15)
    assert few == many
    # session, user, page count, the page's rows, the to-answer badge, the buyer profile
    assert many <= 6, many


# --- One request ----------------------------------------------------------------------------


@pytest.mark.parametrize("user_name", ["alice", "sokha", "olga"])
def test_detail_is_visible_to_both_sides_and_the_forums_organisers(
    request, login, pending, user_name
):
    response = login(request.getfixturevalue(user_name)).get(
        reverse("forums:request_detail", args=[pending.pk])
    )
    assert response.status_code == 200
    assert "Can you supply 200 kg a month?" in response.content.decode()


@pytest.mark.parametrize("user_name", ["bob", "eve", "oscar"])
def test_detail_is_404_for_everyone_else(request, login, pending, user_name):
    response = login(request.getfixturevalue(user_name)).get(
        reverse("forums:request_detail", args=[pending.pk])
    )
    assert response.status_code == 404


def test_detail_needs_a_login(login, pending):
    response = login(None).get(reverse("forums:request_detail", args=[pending.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_detail_shows_the_answer_form_only_to_the_receiving_side(login, pending, alice, sokha):
    accept = reverse("forums:request_accept", args=[pending.pk])
    cancel = reverse("forums:request_cancel", args=[pending.pk])
    producer_html = login(sokha).get(reverse("forums:request_detail", args=[pending.pk]))
    assert accept in producer_html.content.decode()
    assert cancel not in producer_html.content.decode()
    buyer_html = login(alice).get(reverse("forums:request_detail", args=[pending.pk]))
    assert accept not in buyer_html.content.decode()
    assert cancel in buyer_html.content.decode()


def test_contacts_are_shown_only_once_accepted(login, pending, alice, sokha):
    detail = reverse("forums:request_detail", args=[pending.pk])
    before = login(alice).get(detail).content.decode()
    assert "sokha@kampot.example" not in before and "+855 12 345 678" not in before
    login(sokha).post(reverse("forums:request_accept", args=[pending.pk]), {"message": ""})
    after = login(alice).get(detail).content.decode()
    assert "sokha@kampot.example" in after and "+855 12 345 678" in after
    assert "Not scheduled yet" in after
    seen_by_producer = login(sokha).get(detail).content.decode()
    assert "alice@greenmart.example" in seen_by_producer


# --- Actions --------------------------------------------------------------------------------


def test_producer_accepts_from_the_incoming_page_and_stays_there(login, sokha, pending):
    incoming = reverse("forums:requests_incoming") + "?status=pending"
    response = login(sokha).post(
        reverse("forums:request_accept", args=[pending.pk]),
        {"message": "Booth 4", "next": incoming},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == incoming
    assert "You accepted the meeting request" in page_messages(response)[0]
    pending.refresh_from_db()
    assert (pending.status, pending.response_message) == (Status.ACCEPTED, "Booth 4")
    assert Meeting.objects.filter(request=pending, slot__isnull=True).count() == 1


def test_a_next_url_to_another_site_is_ignored(login, sokha, pending):
    response = login(sokha).post(
        reverse("forums:request_decline", args=[pending.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("forums:request_detail", args=[pending.pk])


def test_buyer_cancels_from_the_outgoing_page(login, alice, pending):
    login(alice).post(reverse("forums:request_cancel", args=[pending.pk]))
    pending.refresh_from_db()
    assert pending.status == Status.CANCELLED


@pytest.mark.parametrize(
    "action, user_name",
    [
        ("accept", "alice"),
        ("decline", "alice"),
        ("cancel", "sokha"),
        ("accept", "bob"),
        ("decline", "bob"),
        ("cancel", "bob"),
        ("accept", "eve"),
        ("decline", "eve"),
        ("cancel", "eve"),
        ("accept", "olga"),
        ("decline", "olga"),
        ("cancel", "olga"),
        ("accept", "oscar"),
    ],
)
def test_wrong_users_get_404_for_every_action(request, login, pending, action, user_name):
    response = login(request.getfixturevalue(user_name)).post(
        reverse(f"forums:request_{action}", args=[pending.pk]), {"message": ""}
    )
    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


@pytest.mark.parametrize("action", ["accept", "decline", "cancel"])
def test_actions_need_a_login_and_a_post(login, pending, sokha, action):
    url = reverse(f"forums:request_{action}", args=[pending.pk])
    anonymous = login(None).post(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert login(sokha).get(url).status_code == 405
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_actions_need_the_csrf_token(pending, sokha, alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sokha)
    assert client.post(reverse("forums:request_accept", args=[pending.pk])).status_code == 403
    client.force_login(alice)
    assert client.post(reverse("forums:request_cancel", args=[pending.pk])).status_code == 403
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_accepting_an_expired_request_shows_the_reason(login, sokha, pending):
    MeetingRequest.objects.filter(pk=pending.pk).update(
        expires_at=timezone.now() - dt.timedelta(hours=1)
    )
    response = login(sokha).post(reverse("forums:request_accept", args=[pending.pk]), follow=True)
    message = page_messages(response)[0]
    assert re.search(r"expired on .* so it can no longer be accepted", message)
    assert not Meeting.objects.exists()


def test_accepting_a_cancelled_request_shows_the_reason(login, sokha, alice, pending):
    login(alice).post(reverse("forums:request_cancel", args=[pending.pk]))
    response = login(sokha).post(reverse("forums:request_accept", args=[pending.pk]), follow=True)
    assert "was cancelled on" in page_messages(response)[0]
    pending.refresh_from_db()
    assert pending.status == Status.CANCELLED


def test_a_too_long_answer_is_shown_on_its_field(login, sokha, pending):
    response = login(sokha).post(
        reverse("forums:request_decline", args=[pending.pk]), {"message": "x" * 2001}
    )
    assert response.status_code == 400
    assert (
        "“Message (optional)” can be at most 2000 characters long."
        in (response.context["form"].errors["message"])
    )
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
