"""The life of a meeting request through its services: asking, accepting (a forum request
becomes an unscheduled Meeting), declining, cancelling and expiring; the limits (one open
request per pair and forum, the per-forum cap, forums closed for requests); who may do what;
the emails at every step; and two members accepting at the same moment.

The cast: alice and anna buy for Green Mart; sokha and dara run the Kampot Pepper Coop, whose
pepper is approved; bob (River Trade) and eve (Fish Sauce Coop) are outsiders; olga organises
the forum and oscar organises another one.
"""

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from forums import selectors
from forums.models import Meeting, MeetingRequest
from forums.services import (
    MeetingRequestError,
    meeting_request_accept,
    meeting_request_cancel,
    meeting_request_create,
    meeting_request_decline,
    meeting_requests_expire,
)
from forums.tasks import meeting_requests_expire as meeting_requests_expire_task
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
Side = MeetingRequest.Side


# --- The cast -------------------------------------------------------------------------------


@pytest.fixture
def alice(db):
    return BuyerUserFactory(email="alice@greenmart.example", full_name="Alice Nguyen")


@pytest.fixture
def anna(db):
    return BuyerUserFactory(email="anna@greenmart.example", full_name="Anna Tran", language="vi")


@pytest.fixture
def green_mart(alice, anna):
    return BuyerFactory(name="Green Mart", members=[alice, anna])


@pytest.fixture
def sokha(db):
    return ProducerUserFactory(email="sokha@kampot.example", full_name="Sokha Chan")


@pytest.fixture
def dara(db):
    return ProducerUserFactory(email="dara@kampot.example", full_name="Dara Keo", language="km")


@pytest.fixture
def kampot_coop(sokha, dara):
    return ProducerFactory(name="Kampot Pepper Coop", members=[sokha, dara], phone="+855 12 1")


@pytest.fixture
def pepper(kampot_coop):
    return ProductFactory(producer=kampot_coop, name="Kampot black pepper", approved=True)


@pytest.fixture
def bob(db):
    return BuyerUserFactory(email="bob@rivertrade.example")


@pytest.fixture
def river_trade(bob):
    return BuyerFactory(name="River Trade", members=[bob])


@pytest.fixture
def eve(db):
    return ProducerUserFactory(email="eve@fishsauce.example")


@pytest.fixture
def fish_sauce(eve):
    producer = ProducerFactory(name="Fish Sauce Coop", members=[eve])
    ProductFactory(producer=producer, name="Phu Quoc fish sauce", approved=True)
    return producer


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
def other_forum(oscar):
    return ForumFactory(name="Can Tho OCOP Fair", organisers=[oscar])


@pytest.fixture
def need(green_mart, pepper):
    return SourcingNeedFactory(buyer=green_mart, category=pepper.category)


@pytest.fixture
def ask(alice, green_mart, kampot_coop, pepper, forum):
    """ask(**changes): alice asks the Kampot Pepper Coop to meet about the pepper."""

    def _ask(**changes):
        arguments = {
            "user": alice,
            "buyer": green_mart,
            "producer": kampot_coop,
            "product": pepper,
            "forum": forum,
            "message": "Can you supply 200 kg a month?",
            "initiated_by": Side.BUYER,
        }
        return meeting_request_create(**{**arguments, **changes})

    return _ask


@pytest.fixture
def pending(ask, django_capture_on_commit_callbacks, mailoutbox):
    """Alice's pending request at the forum; the creation email is cleared."""
    with django_capture_on_commit_callbacks(execute=True):
        meeting_request = ask()
    mailoutbox.clear()
    return meeting_request


def recipients(mailoutbox) -> list[str]:
    return sorted(address for email in mailoutbox for address in email.to)


def lapse(meeting_request: MeetingRequest) -> None:
    """Move the expiry into the past, as if the days had gone by without an answer."""
    MeetingRequest.objects.filter(pk=meeting_request.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )


# --- Starting a request ---------------------------------------------------------------------


def test_buyer_request_is_pending_with_expiry_and_emails_the_producer_members(
    ask, alice, pepper, forum, mailoutbox, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        meeting_request = ask()

    meeting_request.refresh_from_db()
    assert meeting_request.status == Status.PENDING
    assert meeting_request.initiated_by == Side.BUYER
    assert meeting_request.created_by == alice
    assert meeting_request.product == pepper
    assert meeting_request.forum == forum
    assert meeting_request.message == "Can you supply 200 kg a month?"
    expected_expiry = before + dt.timedelta(days=settings.MEETING_REQUEST_EXPIRY_DAYS)
    assert abs(meeting_request.expires_at - expected_expiry) < dt.timedelta(minutes=1)
    # The side it is addressed to is told, each member once; the buyer's side is not.
    assert recipients(mailoutbox) == ["dara@kampot.example", "sokha@kampot.example"]
    email = next(e for e in mailoutbox if e.to == ["sokha@kampot.example"])
    assert "Green Mart would like to meet you" in email.subject
    assert "Kampot black pepper" in email.body
    assert "Can you supply 200 kg a month?" in email.body
    assert f"{settings.SITE_URL}/requests/{meeting_request.pk}/" in email.body
    html = email.alternatives[0][0]
    assert f"{settings.SITE_URL}/requests/{meeting_request.pk}/" in html
    # Each member in their own language.
    khmer = next(e for e in mailoutbox if e.to == ["dara@kampot.example"])
    assert '<html lang="km">' in khmer.alternatives[0][0]


def test_expiry_days_come_from_settings(ask, settings):
    settings.MEETING_REQUEST_EXPIRY_DAYS = 3
    meeting_request = ask()
    left = meeting_request.expires_at - timezone.now()
    assert dt.timedelta(days=2, hours=23) < left <= dt.timedelta(days=3)


def test_any_time_request_has_no_forum(ask):
    assert ask(forum=None).forum is None


def test_producer_offers_to_meet_a_buyer_about_a_need_naming_a_product(
    sokha, green_mart, kampot_coop, pepper, need, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer = meeting_request_create(
            user=sokha,
            buyer=green_mart,
            producer=kampot_coop,
            need=need,
            product=pepper,
            message="We have 2 t a month.",
            initiated_by=Side.PRODUCER,
        )
    assert (offer.need, offer.product, offer.initiated_by) == (need, pepper, Side.PRODUCER)
    assert offer.created_by == sokha
    assert recipients(mailoutbox) == ["alice@greenmart.example", "anna@greenmart.example"]
    assert "Kampot Pepper Coop would like to meet you" in mailoutbox[0].subject
    assert "your sourcing need" in mailoutbox[0].body


def test_producer_offer_must_name_a_need(sokha, green_mart, kampot_coop, pepper):
    with pytest.raises(MeetingRequestError) as refused:
        meeting_request_create(
            user=sokha,
            buyer=green_mart,
            producer=kampot_coop,
            product=pepper,
            initiated_by=Side.PRODUCER,
        )
    assert refused.value.field == "need"


def test_producer_without_an_approved_listing_cannot_offer(green_mart, need):
    newcomer = ProducerUserFactory(email="new@coop.example")
    producer = ProducerFactory(name="New Coop", members=[newcomer])
    ProductFactory(producer=producer, category=need.category, submitted=True)

    with pytest.raises(MeetingRequestError) as refused:
        meeting_request_create(
            user=newcomer,
            buyer=green_mart,
            producer=producer,
            need=need,
            initiated_by=Side.PRODUCER,
        )
    assert refused.value.code == "no_approved_listing"
    assert "approved listing" in refused.value.message
    assert not MeetingRequest.objects.exists()


def test_producer_cannot_offer_on_a_closed_need(sokha, green_mart, kampot_coop, need):
    need.status = "closed"
    need.closed_at = timezone.now()
    need.save()
    with pytest.raises(MeetingRequestError) as refused:
        meeting_request_create(
            user=sokha, buyer=green_mart, producer=kampot_coop, need=need, initiated_by="producer"
        )
    assert (refused.value.code, refused.value.field) == ("need_unavailable", "need")


@pytest.mark.parametrize("state", ["draft", "submitted", "rejected"])
def test_buyer_cannot_request_a_meeting_about_an_unapproved_product(ask, kampot_coop, state):
    product = ProductFactory(producer=kampot_coop, **{state: True} if state != "draft" else {})
    with pytest.raises(MeetingRequestError) as refused:
        ask(product=product)
    assert (refused.value.code, refused.value.field) == ("product_unavailable", "product")
    assert "not an approved listing" in refused.value.message


def test_buyer_cannot_name_another_producers_product(ask, fish_sauce):
    with pytest.raises(MeetingRequestError) as refused:
        ask(product=fish_sauce.products.get())
    assert refused.value.code == "product_unavailable"


def test_buyer_request_must_name_a_product(ask):
    with pytest.raises(MeetingRequestError) as refused:
        ask(product=None)
    assert refused.value.field == "product"


def test_message_longer_than_the_limit_is_refused_on_its_field(ask):
    with pytest.raises(MeetingRequestError) as refused:
        ask(message="x" * 2001)
    assert refused.value.field == "message"


@pytest.mark.parametrize(
    "forum_state",
    [
        {"status": "closed"},
        {"status": "draft"},
        {"requests_open_at": dt.timedelta(days=2)},
        {"requests_close_at": -dt.timedelta(hours=1)},
    ],
    ids=["closed", "draft", "window-not-open-yet", "window-passed"],
)
def test_forum_not_open_for_requests_is_refused_with_a_reason(ask, forum_state):
    now = timezone.now()
    changes = {
        key: now + value if isinstance(value, dt.timedelta) else value
        for key, value in forum_state.items()
    }
    forum = ForumFactory(name="Closed Forum", **changes)
    with pytest.raises(MeetingRequestError) as refused:
        ask(forum=forum)
    assert (refused.value.code, refused.value.field) == ("forum_closed", "forum")
    assert "“Closed Forum” is not taking meeting requests now" in refused.value.message
    assert not MeetingRequest.objects.exists()


def test_forums_open_for_requests_respects_status_and_window(forum):
    now = timezone.now()
    in_window = ForumFactory(
        requests_open_at=now - dt.timedelta(days=1), requests_close_at=now + dt.timedelta(days=1)
    )
    ForumFactory(closed=True)
    ForumFactory(draft=True)
    ForumFactory(requests_open_at=now + dt.timedelta(days=1))
    ForumFactory(requests_close_at=now - dt.timedelta(seconds=1))
    assert set(selectors.forums_open_for_requests(now=now)) == {forum, in_window}


def test_non_members_cannot_start_requests_for_a_side(ask, bob, eve, green_mart, need, kampot_coop):
    with pytest.raises(MeetingRequestError) as refused:
        ask(user=bob)
    assert refused.value.code == "not_found"
    with pytest.raises(MeetingRequestError) as refused:
        meeting_request_create(
            user=eve, buyer=green_mart, producer=kampot_coop, need=need, initiated_by="producer"
        )
    assert refused.value.code == "not_found"
    assert not MeetingRequest.objects.exists()


# --- One open request per pair and forum; the cap -------------------------------------------


def test_pair_cannot_have_two_open_requests_for_one_forum(ask, pending, other_forum):
    with pytest.raises(MeetingRequestError) as refused:
        ask()
    assert (refused.value.code, refused.value.field) == ("duplicate", "forum")
    assert refused.value.message == (
        "Green Mart and Kampot Pepper Coop already have an open meeting request for "
        "Kampot OVOP Forum 2026. Wait for its answer, or cancel it, before sending another."
    )
    # Another forum, and "any time", are other places.
    assert ask(forum=other_forum).status == Status.PENDING
    assert ask(forum=None).status == Status.PENDING
    with pytest.raises(MeetingRequestError, match="for any time"):
        ask(forum=None)


def test_an_offer_from_the_other_side_also_blocks_a_second_request(
    ask, sokha, green_mart, kampot_coop, need, forum
):
    meeting_request_create(
        user=sokha,
        buyer=green_mart,
        producer=kampot_coop,
        need=need,
        forum=forum,
        initiated_by=Side.PRODUCER,
    )
    with pytest.raises(MeetingRequestError) as refused:
        ask()
    assert refused.value.code == "duplicate"


def test_after_an_answer_the_pair_may_ask_again(ask, pending, sokha):
    meeting_request_decline(meeting_request=pending, user=sokha)
    assert ask().status == Status.PENDING


def test_a_lapsed_request_no_longer_blocks_and_is_expired_on_the_spot(
    ask, pending, mailoutbox, django_capture_on_commit_callbacks
):
    lapse(pending)
    with django_capture_on_commit_callbacks(execute=True):
        fresh = ask()
    pending.refresh_from_db()
    assert pending.status == Status.EXPIRED
    assert fresh.status == Status.PENDING
    # Subjects are in each member's language, so find the mails by the link they carry.
    expired = [e for e in mailoutbox if f"/requests/{pending.pk}/" in e.body]
    assert len(expired) == 4  # both members of both sides, once


def test_buyer_has_a_cap_on_open_requests_per_forum(ask, settings, forum, other_forum, sokha):
    settings.MEETING_REQUEST_CAP_PER_FORUM = 2
    first = ask()
    for name in ["Coop A", "Coop B"]:
        producer = ProducerFactory(name=name)
        product = ProductFactory(producer=producer, approved=True)
        if name == "Coop A":
            ask(producer=producer, product=product)
        else:
            with pytest.raises(MeetingRequestError) as refused:
                ask(producer=producer, product=product)
    assert (refused.value.code, refused.value.field) == ("cap_reached", "forum")
    assert refused.value.message == (
        "Green Mart already has 2 open meeting requests for Kampot OVOP Forum 2026, the most "
        "allowed is 2. Wait for answers, or cancel a request, before sending another."
    )
    # The cap is per forum, and answered requests no longer count.
    assert ask(producer=producer, product=product, forum=other_forum).forum == other_forum
    meeting_request_accept(meeting_request=first, user=sokha)
    assert ask(producer=producer, product=product).status == Status.PENDING


# --- Accepting, declining, cancelling -------------------------------------------------------


def test_accepting_a_forum_request_creates_one_unscheduled_meeting_and_emails_both_sides(
    pending, sokha, pepper, forum, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        accepted = meeting_request_accept(
            request_id=pending.pk, user=sokha, message="See you at booth 4."
        )

    accepted.refresh_from_db()
    assert accepted.status == Status.ACCEPTED
    assert accepted.response_message == "See you at booth 4."
    assert accepted.responded_at is not None
    meeting = Meeting.objects.get()
    assert (meeting.request, meeting.forum, meeting.buyer, meeting.producer, meeting.product) == (
        accepted,
        forum,
        accepted.buyer,
        accepted.producer,
        pepper,
    )
    assert meeting.slot is None and meeting.table is None
    assert recipients(mailoutbox) == [
        "alice@greenmart.example",
        "anna@greenmart.example",
        "dara@kampot.example",
        "sokha@kampot.example",
    ]
    to_alice = next(e for e in mailoutbox if e.to == ["alice@greenmart.example"])
    assert to_alice.subject == "Kampot Pepper Coop accepted your meeting request"
    assert "See you at booth 4." in to_alice.body
    assert "will give the meeting a time and a table" in to_alice.body
    to_dara = next(e for e in mailoutbox if e.to == ["dara@kampot.example"])
    # Dara reads Khmer: the names are kept, the sentence is in Khmer script.
    assert "Sokha Chan" in to_dara.body and "Green Mart" in to_dara.body
    assert "accepted the meeting request" not in to_dara.body
    assert any("\u1780" <= char <= "\u17ff" for char in to_dara.body)


def test_accepting_an_any_time_request_creates_no_meeting_and_shares_contacts(
    ask, sokha, mailoutbox, django_capture_on_commit_callbacks
):
    meeting_request = ask(forum=None)
    assert selectors.meeting_request_contacts(meeting_request=meeting_request) is None
    with django_capture_on_commit_callbacks(execute=True):
        accepted = meeting_request_accept(meeting_request=meeting_request, user=sokha)
    assert accepted.status == Status.ACCEPTED
    assert not Meeting.objects.exists()
    contacts = selectors.meeting_request_contacts(meeting_request=accepted)
    assert contacts["buyer_emails"] == ["alice@greenmart.example", "anna@greenmart.example"]
    assert contacts["producer_emails"] == ["sokha@kampot.example", "dara@kampot.example"]
    assert contacts["producer_phone"] == "+855 12 1"
    to_alice = next(e for e in mailoutbox if e.to == ["alice@greenmart.example"])
    assert "sokha@kampot.example" in to_alice.body and "+855 12 1" in to_alice.body


def test_declining_with_a_message_emails_both_sides(
    pending, dara, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        declined = meeting_request_decline(
            meeting_request=pending, user=dara, message="Sold out this season."
        )
    assert declined.status == Status.DECLINED
    assert declined.response_message == "Sold out this season."
    assert not Meeting.objects.exists()
    assert len(mailoutbox) == 4
    to_alice = next(e for e in mailoutbox if e.to == ["alice@greenmart.example"])
    assert to_alice.subject == "Kampot Pepper Coop declined your meeting request"
    assert "Sold out this season." in to_alice.body


def test_the_side_that_asked_can_cancel_while_pending_and_both_sides_are_emailed(
    pending, anna, mailoutbox, django_capture_on_commit_callbacks
):
    # Any member of the asking side may cancel, not only the one who asked.
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = meeting_request_cancel(meeting_request=pending, user=anna)
    assert cancelled.status == Status.CANCELLED
    assert len(mailoutbox) == 4
    to_sokha = next(e for e in mailoutbox if e.to == ["sokha@kampot.example"])
    assert to_sokha.subject == "Green Mart cancelled their meeting request"


@pytest.mark.parametrize(
    "user_name, action",
    [
        ("alice", "accept"),  # the asking side cannot answer its own request
        ("anna", "decline"),
        ("sokha", "cancel"),  # the answering side cannot cancel it
        ("bob", "accept"),
        ("bob", "decline"),
        ("bob", "cancel"),
        ("eve", "accept"),
        ("eve", "cancel"),
        ("olga", "accept"),  # organising the forum gives no say over the request
        ("olga", "cancel"),
    ],
)
def test_only_the_right_side_may_answer_or_cancel(
    request, pending, river_trade, fish_sauce, user_name, action
):
    user = request.getfixturevalue(user_name)
    service = {
        "accept": meeting_request_accept,
        "decline": meeting_request_decline,
        "cancel": meeting_request_cancel,
    }[action]
    with pytest.raises(MeetingRequestError) as refused:
        service(meeting_request=pending, user=user)
    assert refused.value.code == "not_found"
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_accepting_an_expired_request_is_refused_with_the_reason_before_the_task_runs(
    pending, alice, sokha
):
    lapse(pending)
    with pytest.raises(MeetingRequestError) as refused:
        meeting_request_accept(meeting_request=pending, user=sokha)
    assert refused.value.code == "expired"
    assert "expired on" in refused.value.message
    assert "can no longer be accepted" in refused.value.message
    assert not Meeting.objects.exists()
    # Every read already calls it expired, though the table still says pending.
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert selectors.meeting_request_current_status(pending) == Status.EXPIRED
    with pytest.raises(MeetingRequestError) as refused:
        meeting_request_decline(meeting_request=pending, user=sokha)
    assert refused.value.code == "expired"
    with pytest.raises(MeetingRequestError) as refused:
        meeting_request_cancel(meeting_request=pending, user=alice)
    assert refused.value.code == "expired"


def test_accepting_a_cancelled_request_is_refused_with_the_reason(pending, alice, sokha):
    meeting_request_cancel(meeting_request=pending, user=alice)
    with pytest.raises(MeetingRequestError) as refused:
        meeting_request_accept(meeting_request=pending, user=sokha)
    assert refused.value.code == "cancelled"
    assert "was cancelled on" in refused.value.message
    assert "can no longer be accepted" in refused.value.message
    assert not Meeting.objects.exists()


def test_a_second_accept_is_refused_and_leaves_one_meeting(pending, sokha, dara):
    meeting_request_accept(meeting_request=pending, user=sokha)
    with pytest.raises(MeetingRequestError) as refused:
        meeting_request_accept(meeting_request=pending, user=dara)
    assert refused.value.code == "already_answered"
    assert "already accepted" in refused.value.message
    assert Meeting.objects.count() == 1


def test_declining_an_accepted_request_is_refused(pending, sokha):
    meeting_request_accept(meeting_request=pending, user=sokha)
    with pytest.raises(MeetingRequestError, match="can no longer be declined"):
        meeting_request_decline(meeting_request=pending, user=sokha)


def test_an_unknown_request_is_not_found(sokha):
    with pytest.raises(MeetingRequestError) as refused:
        meeting_request_accept(request_id=987654, user=sokha)
    assert refused.value.code == "not_found"


# --- Expiry ---------------------------------------------------------------------------------


def test_expiry_task_marks_lapsed_requests_expired_and_emails_each_once(
    pending, ask, forum, other_forum, mailoutbox, django_capture_on_commit_callbacks
):
    still_open = ask(forum=other_forum)
    lapse(pending)
    answered = MeetingRequestFactory(lapsed=True, status=Status.DECLINED)

    with django_capture_on_commit_callbacks(execute=True):
        assert meeting_requests_expire_task.apply().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert meeting_requests_expire_task.apply().get() == 0  # idempotent

    pending.refresh_from_db()
    still_open.refresh_from_db()
    answered.refresh_from_db()
    assert pending.status == Status.EXPIRED
    assert still_open.status == Status.PENDING
    assert answered.status == Status.DECLINED
    assert recipients(mailoutbox) == [
        "alice@greenmart.example",
        "anna@greenmart.example",
        "dara@kampot.example",
        "sokha@kampot.example",
    ]
    to_alice = next(e for e in mailoutbox if e.to == ["alice@greenmart.example"])
    assert to_alice.subject == "Your meeting request to Kampot Pepper Coop expired"
    to_sokha = next(e for e in mailoutbox if e.to == ["sokha@kampot.example"])
    assert to_sokha.subject == "The meeting request from Green Mart expired"


def test_expire_service_takes_a_moment_and_works_in_batches(db):
    now = timezone.now()
    for _ in range(5):
        MeetingRequestFactory(expires_at=now + dt.timedelta(days=1))
    assert meeting_requests_expire(now=now) == 0
    assert meeting_requests_expire(now=now + dt.timedelta(days=2), batch_size=2) == 5
    assert not MeetingRequest.objects.filter(status=Status.PENDING).exists()


def test_expiry_runs_hourly_from_the_beat_schedule():
    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "forums.tasks.meeting_requests_expire"
    )
    assert entry["schedule"] == 3600
    assert meeting_requests_expire_task.name == "forums.tasks.meeting_requests_expire"


def test_lists_show_a_lapsed_pending_request_as_expired(pending, alice, sokha):
    lapse(pending)
    assert not selectors.meeting_requests_incoming(user=sokha, status="pending").exists()
    expired = selectors.meeting_requests_incoming(user=sokha, status="expired").get()
    assert expired.current_status == Status.EXPIRED
    assert selectors.meeting_requests_outgoing(user=alice, status="expired").get() == pending
    assert selectors.meeting_requests_incoming_open_count(user=sokha) == 0


def test_incoming_and_outgoing_are_seen_from_each_side(pending, alice, anna, sokha, dara, bob):
    for buyer_member in (alice, anna):
        assert list(selectors.meeting_requests_outgoing(user=buyer_member)) == [pending]
        assert not selectors.meeting_requests_incoming(user=buyer_member).exists()
    for producer_member in (sokha, dara):
        assert list(selectors.meeting_requests_incoming(user=producer_member)) == [pending]
        assert not selectors.meeting_requests_outgoing(user=producer_member).exists()
    assert not selectors.meeting_requests_incoming(user=bob).exists()
    assert not selectors.meeting_requests_outgoing(user=bob).exists()


# --- Two members accepting at the same moment -----------------------------------------------


# The threads need committed rows, hence a transactional test (the project conftest restores
# the reference data afterwards with a serialized rollback).
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_accepting_at_the_same_moment_leave_one_accepted_request_and_one_refusal(
    green_mart, kampot_coop, pepper, forum, alice, sokha, dara
):
    meeting_request = meeting_request_create(
        user=alice,
        buyer=green_mart,
        producer=kampot_coop,
        product=pepper,
        forum=forum,
        initiated_by=Side.BUYER,
    )
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def accept(user):
        try:
            barrier.wait(timeout=10)
            outcomes[user.email] = meeting_request_accept(request_id=meeting_request.pk, user=user)
        except Exception as error:  # kept, so that a failure shows what each thread got
            outcomes[user.email] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(user,)) for user in (sokha, dara)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    accepted = [o for o in outcomes.values() if isinstance(o, MeetingRequest)]
    refused = [o for o in outcomes.values() if isinstance(o, MeetingRequestError)]
    assert len(accepted) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "already_answered"
    assert "already accepted" in refused[0].message
    meeting_request.refresh_from_db()
    assert meeting_request.status == Status.ACCEPTED
    assert Meeting.objects.filter(request=meeting_request).count() == 1
