"""Who may open which buyers' page. Bob buys for another organisation than alice; pepper is a
producer whose approved coffee listing lets him read (never change) alice's coffee need."""

import pytest
from django.conf import settings
from django.urls import reverse

from buyers.models import SourcingNeed
from buyers.services import sourcing_need_close

NEED_CHANGES = [
    ("get", "buyers:need_edit"),
    ("post", "buyers:need_edit"),
    ("post", "buyers:need_close"),
    ("post", "buyers:need_reopen"),
]
EVERY_URL = [
    ("get", "buyers:dashboard", False),
    ("get", "buyers:profile", False),
    ("get", "buyers:need_create", False),
    ("get", "buyers:needs_for_producer", False),
    ("get", "buyers:need_detail", True),
    *[(method, name, True) for method, name in NEED_CHANGES],
]


def url(name, need, with_pk):
    return reverse(name, args=[need.pk]) if with_pk else reverse(name)


@pytest.mark.parametrize(("method", "name", "with_pk"), EVERY_URL)
def test_anonymous_visitor_is_sent_to_log_in(client, alice_need, method, name, with_pk):
    target = url(name, alice_need, with_pk)
    response = getattr(client, method)(target)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert "next=" in response["Location"]


@pytest.mark.parametrize(("method", "name"), [*NEED_CHANGES, ("get", "buyers:need_detail")])
def test_another_buyer_gets_404_for_alices_need(
    client_for, bob, bob_buyer, alice_need, method, name
):
    response = getattr(client_for(bob), method)(reverse(name, args=[alice_need.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "name"), NEED_CHANGES)
def test_producer_who_may_read_the_need_still_cannot_change_it(
    client_for, pepper, pepper_listing, alice_need, method, name
):
    client = client_for(pepper)
    assert client.get(reverse("buyers:need_detail", args=[alice_need.pk])).status_code == 200
    response = getattr(client, method)(reverse(name, args=[alice_need.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["buyers:dashboard", "buyers:profile", "buyers:need_create"])
@pytest.mark.parametrize("who", ["pepper", "organiser"])
def test_buyer_pages_are_404_for_non_buyers(client_for, request, who, name, pepper_listing):
    user = request.getfixturevalue(who)
    assert client_for(user).get(reverse(name)).status_code == 404


@pytest.mark.parametrize("who", ["alice", "organiser"])
def test_producer_needs_list_is_404_for_non_producers(client_for, request, who, alice_need):
    user = request.getfixturevalue(who)
    assert client_for(user).get(reverse("buyers:needs_for_producer")).status_code == 404


def test_bobs_post_leaves_alices_need_unchanged(client_for, bob, bob_buyer, alice_need):
    client_for(bob).post(reverse("buyers:need_close", args=[alice_need.pk]))
    alice_need.refresh_from_db()
    assert alice_need.status == SourcingNeed.Status.OPEN


def test_another_member_of_the_same_buyer_may_change_its_needs(
    client_for, bob, alice_buyer, alice_need
):
    alice_buyer.members.add(bob)
    response = client_for(bob).post(reverse("buyers:need_close", args=[alice_need.pk]))
    assert response.status_code == 302
    alice_need.refresh_from_db()
    assert alice_need.status == SourcingNeed.Status.CLOSED


def test_need_detail_is_visible_to_members_and_organisers_even_when_closed(
    client_for, alice, organiser, alice_need
):
    sourcing_need_close(need=alice_need)
    for user in (alice, organiser):
        response = client_for(user).get(reverse("buyers:need_detail", args=[alice_need.pk]))
        assert response.status_code == 200
    assert b"Closed" in response.content


def test_edit_link_on_detail_page_is_only_for_members(
    client_for, alice, organiser, pepper, pepper_listing, alice_need
):
    edit = reverse("buyers:need_edit", args=[alice_need.pk]).encode()
    detail = reverse("buyers:need_detail", args=[alice_need.pk])
    assert edit in client_for(alice).get(detail).content
    assert edit not in client_for(organiser).get(detail).content
    assert edit not in client_for(pepper).get(detail).content
