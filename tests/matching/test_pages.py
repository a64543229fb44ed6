"""The matching pages: a buyer's suggested producers per need, a producer's suggested
buyers, and the organisers' runs and weights. Who may see what, the one-click actions, and a
bounded number of queries however many suggestions a page shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forums.models import MeetingRequest
from matching.models import Dismissal, MatchingWeights, MatchRun, Suggestion
from tests.factories import (
    PASSWORD,
    BuyerUserFactory,
    ForumFactory,
    MatchingWeightsFactory,
    ProducerUserFactory,
)
from tests.matching.conftest import full_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def suggested(world):
    """The world after a full run, and a need with suggestions."""
    full_run()
    need = Suggestion.objects.values_list("need_id", flat=True).order_by("-need_rank").first()
    world.extra["need"] = world.needs[0].__class__.objects.get(pk=need)
    return world


def _login(client, user):
    assert client.login(email=user.email, password=PASSWORD)


def _member(side_object):
    return side_object.members.get()


# --- buyers -----------------------------------------------------------------------------------


def test_a_buyer_sees_suggested_producers_with_their_reasons(client, suggested):
    need = suggested.extra["need"]
    _login(client, _member(need.buyer))

    response = client.get(reverse("matching:need_suggestions", args=[need.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    best = Suggestion.objects.filter(need=need).order_by("-score", "product_id").first()
    assert best.product.display_name in html
    assert best.producer.name in html
    assert "same subgroup" in html or "same group" in html or "in the group you want" in html
    assert "Request a meeting" in html and "Not interested" in html


@pytest.mark.parametrize("who", ["other buyer", "producer"])
def test_someone_elses_need_is_not_found(client, suggested, who):
    need = suggested.extra["need"]
    if who == "other buyer":
        user = next(_member(b) for b in suggested.buyers if b.pk != need.buyer_id)
    else:
        user = _member(suggested.producers[0])
    _login(client, user)

    assert client.get(reverse("matching:need_suggestions", args=[need.pk])).status_code == 404
    suggestion = Suggestion.objects.filter(need=need).first()
    for name in ("matching:suggestion_request", "matching:suggestion_dismiss_buyer"):
        assert client.post(reverse(name, args=[suggestion.pk])).status_code == 404
    assert not Dismissal.objects.exists() and not MeetingRequest.objects.exists()


def test_anonymous_visitors_are_asked_to_log_in(client, suggested):
    need = suggested.extra["need"]
    for url in (
        reverse("matching:need_suggestions", args=[need.pk]),
        reverse("matching:producer_suggestions"),
        reverse("matching:runs"),
        reverse("matching:weights"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_makes_the_same_few_queries_for_many_suggestions(client, suggested):
    counts = {}
    busy = Suggestion.objects.values_list("need_id", flat=True).order_by("-need_rank").first()
    quiet = min(suggested.needs, key=lambda n: Suggestion.objects.filter(need=n).count() or 10**6)
    for label, pk in (("busy", busy), ("quiet", quiet.pk)):
        need = quiet.__class__.objects.get(pk=pk)
        client.logout()
        _login(client, _member(need.buyer))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("matching:need_suggestions", args=[pk])).status_code == 200
        counts[label] = len(queries)
    assert Suggestion.objects.filter(need_id=busy).count() > 3
    assert counts["busy"] == counts["quiet"] <= 12


def test_not_interested_hides_it_for_good(client, suggested):
    need = suggested.extra["need"]
    _login(client, _member(need.buyer))
    suggestion = Suggestion.objects.filter(need=need).order_by("-score", "product_id").first()
    url = reverse("matching:need_suggestions", args=[need.pk])

    response = client.post(
        reverse("matching:suggestion_dismiss_buyer", args=[suggestion.pk]), {"next": url}
    )
    assert response.status_code == 302 and response["Location"] == url

    MatchingWeightsFactory(category=0.6, province=0.1)
    full_run()
    shown = client.get(url).context["items"]
    assert suggestion.product_id not in [item["suggestion"].product_id for item in shown]
    assert Dismissal.objects.filter(need=need, product=suggestion.product).count() == 1


def test_request_a_meeting_in_one_click(client, suggested):
    need = suggested.extra["need"]
    buyer_member = _member(need.buyer)
    _login(client, buyer_member)
    suggestion = Suggestion.objects.filter(need=need).first()

    response = client.post(reverse("matching:suggestion_request", args=[suggestion.pk]))

    assert response.status_code == 302
    request = MeetingRequest.objects.get()
    assert (request.buyer_id, request.producer_id, request.product_id, request.need_id) == (
        suggestion.buyer_id,
        suggestion.producer_id,
        suggestion.product_id,
        suggestion.need_id,
    )
    assert request.initiated_by == MeetingRequest.Side.BUYER
    assert request.created_by == buyer_member
    assert request.score == pytest.approx(suggestion.score)
    # A second click is refused with the service's reason, not an error page.
    again = client.post(reverse("matching:suggestion_request", args=[suggestion.pk]), follow=True)
    assert again.status_code == 200
    assert "already have an open meeting request" in again.content.decode()
    assert MeetingRequest.objects.count() == 1


# --- producers --------------------------------------------------------------------------------


def test_a_producer_sees_buyers_looking_for_products_like_theirs(client, suggested):
    suggestion = Suggestion.objects.filter(producer_rank=1).first()
    member = _member(suggestion.producer)
    _login(client, member)

    response = client.get(reverse("matching:producer_suggestions"))

    assert response.status_code == 200
    html = response.content.decode()
    assert suggestion.buyer.name in html
    assert "Offer to meet" in html and "Not interested" in html
    shown = [item["suggestion"].pk for item in response.context["items"]]
    assert suggestion.pk in shown
    assert all(Suggestion.objects.get(pk=pk).producer_id == suggestion.producer_id for pk in shown)


def test_a_producer_offers_to_meet_or_turns_a_need_down(client, suggested):
    suggestion = Suggestion.objects.filter(producer_rank=1).first()
    _login(client, _member(suggestion.producer))

    client.post(reverse("matching:suggestion_offer", args=[suggestion.pk]))
    offer = MeetingRequest.objects.get()
    assert offer.initiated_by == MeetingRequest.Side.PRODUCER
    assert (offer.need_id, offer.product_id) == (suggestion.need_id, suggestion.product_id)

    client.post(reverse("matching:suggestion_dismiss_producer", args=[suggestion.pk]))
    shown = client.get(reverse("matching:producer_suggestions")).context["items"]
    assert suggestion.need_id not in [item["suggestion"].need_id for item in shown]


def test_producer_pages_are_for_that_producers_members(client, suggested):
    suggestion = Suggestion.objects.filter(producer_rank=1).first()
    stranger = next(_member(p) for p in suggested.producers if p.pk != suggestion.producer_id)
    _login(client, stranger)
    for name in ("matching:suggestion_offer", "matching:suggestion_dismiss_producer"):
        assert client.post(reverse(name, args=[suggestion.pk])).status_code == 404
    client.logout()
    _login(client, _member(suggested.buyers[0]))
    assert client.get(reverse("matching:producer_suggestions")).status_code == 403


# --- organisers -------------------------------------------------------------------------------


def test_runs_are_for_organisers_only(client, world):
    for user in (BuyerUserFactory(), ProducerUserFactory()):
        client.logout()
        _login(client, user)
        assert client.get(reverse("matching:runs")).status_code == 403
        assert client.post(reverse("matching:runs")).status_code == 403
        assert client.get(reverse("matching:weights")).status_code == 403


def test_an_organiser_starts_a_run_and_follows_it(
    client, world, django_capture_on_commit_callbacks
):
    _login(client, world.organiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("matching:runs"), {"forum": ""})
    assert response.status_code == 302
    run = MatchRun.objects.get(kind=MatchRun.Kind.FULL)
    assert run.status == MatchRun.Status.DONE, run.error
    assert run.triggered_by == world.organiser

    page = client.get(reverse("matching:runs"))
    html = page.content.decode()
    assert f"#{run.pk}" in html and "Done" in html
    assert 'http-equiv="refresh"' not in html

    running = MatchRun.objects.create(
        kind=MatchRun.Kind.FULL, status=MatchRun.Status.RUNNING, chunks_total=4, chunks_done=1
    )
    html = client.get(reverse("matching:runs")).content.decode()
    assert 'http-equiv="refresh" content="5"' in html
    assert "1 of 4 chunks" in html
    running.delete()


def test_a_run_for_one_forum_scores_only_its_participants(
    client, world, django_capture_on_commit_callbacks
):
    from forums.models import ForumBuyer, ForumProducer

    forum = ForumFactory(province=world.provinces[0])
    ForumBuyer.objects.create(forum=forum, buyer=world.buyers[0], calendar_token="b0")
    for i, producer in enumerate(world.producers[:3]):
        ForumProducer.objects.create(forum=forum, producer=producer, calendar_token=f"p{i}")
    _login(client, world.organiser)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("matching:runs"), {"forum": forum.pk})
    run = MatchRun.objects.get(forum=forum)
    assert run.status == MatchRun.Status.DONE, run.error
    assert Suggestion.objects.exists()
    assert set(Suggestion.objects.values_list("buyer_id", flat=True)) == {world.buyers[0].pk}
    assert set(Suggestion.objects.values_list("producer_id", flat=True)) <= {
        p.pk for p in world.producers[:3]
    }


def test_weights_form_names_the_field_at_fault(client, world):
    _login(client, world.organiser)
    url = reverse("matching:weights")
    good = {
        "category": "0.3",
        "province": "0.25",
        "certification": "0.15",
        "volume": "0.2",
        "min_order": "0.1",
        "group_match_factor": "0.6",
        "distance_scale_km": "150",
        "k": "10",
    }

    negative = client.post(url, {**good, "province": "-1"})
    assert negative.status_code == 200
    assert "The province weight cannot be negative." in negative.content.decode()

    zeros = dict.fromkeys(("category", "province", "certification", "volume"), "0")
    all_zero = client.post(url, {**good, **zeros, "min_order": "0"})
    assert "At least one of the five weights" in all_zero.content.decode()

    bad_factor = client.post(url, {**good, "group_match_factor": "2"})
    assert "The same-group factor must be between 0 and 1." in bad_factor.content.decode()

    assert client.post(url, {**good, "category": "3"}).status_code == 302
    assert MatchingWeights.objects.get(forum=None).category == 3

    forum = ForumFactory(province=world.provinces[0])
    forum_url = reverse("matching:forum_weights", args=[forum.pk])
    assert client.get(forum_url).status_code == 200
    assert client.post(forum_url, {**good, "k": "3"}).status_code == 302
    assert MatchingWeights.objects.get(forum=forum).k == 3
    assert MatchingWeights.objects.get(forum=None).k == 10


def test_the_buyer_dashboard_links_each_need_to_its_suggestions(client, suggested):
    need = suggested.extra["need"]
    _login(client, _member(need.buyer))
    html = client.get(reverse("buyers:dashboard")).content.decode()
    assert reverse("matching:need_suggestions", args=[need.pk]) in html
