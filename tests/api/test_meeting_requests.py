"""Meeting requests through the API: ask to meet (a buyer about a product, a producer about a
need), list incoming and outgoing, and accept, decline or cancel, with the services' refusals
as 409 (the request is no longer pending, the pair already has one...) or 400 (bad input)."""

import datetime as dt

import pytest
from django.utils import timezone

from forums.models import Meeting, MeetingRequest
from tests.api.conftest import error_shape
from tests.factories import ForumFactory, MeetingRequestFactory, ProductFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/meeting-requests/"


@pytest.fixture
def ba(api_as, buyer_a, organisation_a):
    return api_as(buyer_a)


def test_a_buyer_asks_the_producer_of_a_product_to_meet_at_a_forum(
    ba, anon, approved_a, business_a, organisation_a, forum, producer_a
):
    response = ba.post(
        URL,
        {"product": approved_a.pk, "forum": forum.pk, "message": "Samples, please."},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    request = MeetingRequest.objects.get(pk=body["id"])
    assert (request.buyer, request.producer, request.initiated_by) == (
        organisation_a,
        business_a,
        "buyer",
    )
    assert body["status"] == "pending"
    assert (body["box"], body["may_cancel"], body["may_answer"]) == ("outgoing", True, False)
    assert body["forum"] == {"id": forum.pk, "name": forum.name}
    assert body["product"] == {"id": approved_a.pk, "name": "Crab"}
    assert body["contacts"] is None
    anon.force_login(producer_a)
    seen = anon.get(f"{URL}{body['id']}/").json()
    assert (seen["box"], seen["may_answer"], seen["may_cancel"]) == ("incoming", True, False)


def test_a_producer_offers_to_meet_the_buyer_of_a_need(
    api_as, producer_a, approved_a, need_a, organisation_a
):
    response = api_as(producer_a).post(
        URL, {"need": need_a.pk, "product": approved_a.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["initiated_by"], body["buyer"]["id"], body["forum"]) == (
        "producer",
        organisation_a.pk,
        None,
    )
    assert body["need"] == {"id": need_a.pk, "category": "T-FOOD-SPICE"}


def test_a_buyer_cannot_ask_about_a_listing_that_is_not_public(ba, draft_a, submitted_a):
    for product in (draft_a, submitted_a):
        response = ba.post(URL, {"product": product.pk}, format="json")
        assert response.status_code == 400
        assert list(error_shape(response)["errors"]) == ["product"]


def test_the_pair_cannot_have_two_open_requests_for_one_forum(ba, request_a, approved_a, forum):
    response = ba.post(URL, {"product": approved_a.pk, "forum": forum.pk}, format="json")

    assert response.status_code == 409
    body = error_shape(response)
    assert body["code"] == "duplicate"
    assert list(body["errors"]) == ["forum"]


def test_a_forum_not_taking_requests_is_a_409(ba, approved_a):
    closed = ForumFactory(closed=True)

    response = ba.post(URL, {"product": approved_a.pk, "forum": closed.pk}, format="json")

    assert response.status_code == 409
    assert error_shape(response)["code"] == "forum_closed"


def test_a_message_over_the_limit_is_a_400_on_message(ba, approved_a):
    response = ba.post(URL, {"product": approved_a.pk, "message": "x" * 2001}, format="json")

    assert response.status_code == 400
    assert list(error_shape(response)["errors"]) == ["message"]


def test_lists_show_both_boxes_or_one_and_filter_by_status(
    api_as, ba, request_a, organisation_a, business_a, approved_a, need_a, producer_a
):
    offer = MeetingRequestFactory(
        forum=None,
        buyer=organisation_a,
        producer=business_a,
        product=approved_a,
        need=need_a,
        initiated_by="producer",
    )
    lapsed = MeetingRequestFactory(
        forum=ForumFactory(), buyer=organisation_a, producer=business_a, product=approved_a
    )
    MeetingRequest.objects.filter(pk=lapsed.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    def ids(query=""):
        response = ba.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return {item["id"]: item["box"] for item in response.json()["results"]}

    assert ids() == {request_a.pk: "outgoing", offer.pk: "incoming", lapsed.pk: "outgoing"}
    assert ids("box=incoming") == {offer.pk: "incoming"}
    assert ids("box=outgoing") == {request_a.pk: "outgoing", lapsed.pk: "outgoing"}
    assert ids("status=expired") == {lapsed.pk: "outgoing"}
    assert ids("box=outgoing&status=pending") == {request_a.pk: "outgoing"}
    producer_side = api_as(producer_a).get(f"{URL}?box=incoming").json()["results"]
    assert [item["id"] for item in producer_side] == [lapsed.pk, request_a.pk]
    assert producer_side[0]["status"] == "expired"


@pytest.mark.parametrize("query", ["box=sideways", "status=maybe", "status=PENDING", "page=0"])
def test_bad_list_parameters_are_a_400_naming_them(ba, query):
    response = ba.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert list(error_shape(response)["errors"]) == [query.split("=")[0]]


def test_accepting_makes_a_meeting_and_shares_contacts(api_as, producer_a, request_a):
    response = api_as(producer_a).post(
        f"{URL}{request_a.pk}/accept/", {"message": "See you there."}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["response_message"]) == ("accepted", "See you there.")
    assert (body["may_answer"], body["may_cancel"]) == (False, False)
    meeting = Meeting.objects.get(request=request_a)
    assert body["meeting"] == {
        "id": meeting.pk,
        "status": "planned",
        "starts_at": None,
        "table": None,
    }
    assert body["contacts"]["buyer_emails"] == ["buyer.a@example.org"]
    assert body["contacts"]["producer_emails"] == ["producer.a@example.org"]


def test_declining_and_cancelling(anon, ba, producer_a, request_a, forum, approved_a):
    pa = anon
    pa.force_login(producer_a)
    declined = pa.post(f"{URL}{request_a.pk}/decline/")
    assert declined.json()["status"] == "declined"

    again = ba.post(URL, {"product": approved_a.pk, "forum": forum.pk}, format="json").json()
    cancelled = ba.post(f"{URL}{again['id']}/cancel/", {"message": "Plans changed."})
    assert (cancelled.json()["status"], cancelled.json()["response_message"]) == (
        "cancelled",
        "Plans changed.",
    )

    late = pa.post(f"{URL}{again['id']}/accept/")
    assert late.status_code == 409
    assert error_shape(late)["code"] == "cancelled"


def test_a_lapsed_request_cannot_be_cancelled_either(ba, request_a):
    MeetingRequest.objects.filter(pk=request_a.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    response = ba.post(f"{URL}{request_a.pk}/cancel/")

    assert response.status_code == 409
    assert error_shape(response)["code"] == "expired"


def test_the_organiser_of_the_forum_sees_the_request_but_cannot_answer_it(
    api_as, organiser, request_a
):
    client = api_as(organiser)

    seen = client.get(f"{URL}{request_a.pk}/")
    accept = client.post(f"{URL}{request_a.pk}/accept/")

    assert seen.status_code == 200
    assert seen.json()["box"] is None
    assert accept.status_code == 403
    assert "Only the side this request was sent to" in error_shape(accept)["detail"]


def test_an_organiser_of_another_forum_does_not_see_it(api_as, request_a, db):
    from tests.factories import OrganiserUserFactory

    stranger = OrganiserUserFactory(email="other.organiser@example.org")

    assert api_as(stranger).get(f"{URL}{request_a.pk}/").status_code == 404


def test_the_list_takes_the_same_few_queries_however_many_requests(
    ba, organisation_a, business_a, spices, django_assert_max_num_queries
):
    for _index in range(10):
        MeetingRequestFactory(
            forum=ForumFactory(),
            buyer=organisation_a,
            producer=business_a,
            product=ProductFactory(producer=business_a, category=spices, approved=True),
        )

    # session, user, count, requests, and which of the page's requests are incoming/outgoing
    with django_assert_max_num_queries(6):
        response = ba.get(f"{URL}?page_size=100")
    assert response.json()["count"] == 10
