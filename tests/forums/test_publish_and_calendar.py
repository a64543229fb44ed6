"""Publishing a schedule: everybody is emailed their agenda once with an .ics file; a late
change emails only the people affected. Agendas and private calendar feeds show each
participant only their own meetings, in the forum's time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from forums import scheduling, setup
from forums.models import Meeting
from tests.factories import (
    BuyerFactory,
    BuyerUserFactory,
    CountryFactory,
    ForumBuyerFactory,
    ForumProducerFactory,
    MeetingFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProducerUserFactory,
    ProvinceFactory,
    VietnamFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


def make_forum(organiser, *, zone="Asia/Ho_Chi_Minh"):
    if zone == "Asia/Ho_Chi_Minh":
        province = ProvinceFactory(code="VN-91", name_en="An Giang", country=VietnamFactory())
    else:
        province = ProvinceFactory(country=CountryFactory())
    return setup.forum_create(
        user=organiser,
        name="Mekong Delta OCOP Forum",
        province=province,
        venue="Rach Gia Exhibition Centre",
        days=[setup.DayPlan(DAY, dt.time(8), dt.time(10), dt.time(13, 30), dt.time(15))],
        tables=3,
    )


@pytest.fixture
def organiser():
    return OrganiserUserFactory()


@pytest.fixture
def world(organiser):
    """Two producers (one with two members) and two buyers; each pair has a meeting."""
    forum = make_forum(organiser)
    producer_users = [ProducerUserFactory(), ProducerUserFactory(), ProducerUserFactory()]
    producers = [
        ProducerFactory(members=producer_users[:2]),
        ProducerFactory(members=producer_users[2:]),
    ]
    buyer_users = [BuyerUserFactory(), BuyerUserFactory()]
    buyers = [BuyerFactory(members=[buyer_users[0]]), BuyerFactory(members=[buyer_users[1]])]
    entries_p = [
        ForumProducerFactory(forum=forum, producer=p, booth=f"A{i + 1}")
        for i, p in enumerate(producers)
    ]
    entries_b = [ForumBuyerFactory(forum=forum, buyer=b) for b in buyers]
    for p in producers:
        for b in buyers:
            MeetingFactory(forum=forum, producer=p, buyer=b)
    return {
        "forum": forum,
        "producers": producers,
        "buyers": buyers,
        "producer_users": producer_users,
        "buyer_users": buyer_users,
        "entries_p": entries_p,
        "entries_b": entries_b,
    }


def schedule_and_publish(forum, organiser, capture, kind="full"):
    with capture(execute=True):
        run = scheduling.schedule_run_start(forum=forum, user=organiser, kind=kind, time_limit=5)
    run.refresh_from_db()
    assert run.status == "done", run.error
    with capture(execute=True):
        outcome = scheduling.schedule_publish(run=run, user=organiser)
    return outcome


def ics_of(message) -> Calendar:
    (name, content, mimetype) = message.attachments[0]
    assert name == "agenda.ics" and mimetype.startswith("text/calendar")
    return Calendar.from_ical(content)


def events(calendar: Calendar):
    return list(calendar.walk("VEVENT"))


class TestPublish:
    def test_every_participant_member_is_emailed_once_with_an_ics(
        self, world, organiser, mailoutbox, django_capture_on_commit_callbacks
    ):
        schedule_and_publish(world["forum"], organiser, django_capture_on_commit_callbacks)
        recipients = sorted(address for m in mailoutbox for address in m.to)
        expected = sorted(u.email for u in world["producer_users"] + world["buyer_users"])
        assert recipients == expected
        zone = ZoneInfo("Asia/Ho_Chi_Minh")
        for message in mailoutbox:
            assert message.subject == "Your agenda for Mekong Delta OCOP Forum"
            assert "Times are in Asia/Ho_Chi_Minh" in message.body
            assert message.alternatives and "<ul>" in message.alternatives[0][0]
            vevents = events(ics_of(message))
            assert len(vevents) == 2  # each side meets both of the other side
            for event in vevents:
                pk = int(str(event["uid"]).split("-meeting-")[1].split("@")[0])
                meeting = Meeting.objects.select_related("slot").get(pk=pk)
                start = event.decoded("dtstart")
                assert start.tzinfo.key == "Asia/Ho_Chi_Minh"
                assert event["dtstart"].params["TZID"] == "Asia/Ho_Chi_Minh"
                assert start == meeting.slot.starts_at
                assert start.astimezone(zone).hour in (8, 9, 13, 14)
                assert f"Table {meeting.table}" in str(event["location"])

    def test_the_ics_summary_names_the_other_side_and_the_booth(
        self, world, organiser, mailoutbox, django_capture_on_commit_callbacks
    ):
        schedule_and_publish(world["forum"], organiser, django_capture_on_commit_callbacks)
        buyer_mail = next(m for m in mailoutbox if m.to == [world["buyer_users"][0].email])
        summaries = sorted(str(e["summary"]) for e in events(ics_of(buyer_mail)))
        assert all(s.startswith("Meeting with Village Cooperative") for s in summaries)
        locations = " ".join(str(e["location"]) for e in events(ics_of(buyer_mail)))
        assert "booth A1" in locations and "booth A2" in locations

    def test_a_late_change_emails_only_the_people_affected(
        self, world, organiser, mailoutbox, django_capture_on_commit_callbacks
    ):
        forum = world["forum"]
        schedule_and_publish(forum, organiser, django_capture_on_commit_callbacks)
        mailoutbox.clear()
        newcomer_user = BuyerUserFactory()
        newcomer = BuyerFactory(members=[newcomer_user])
        ForumBuyerFactory(forum=forum, buyer=newcomer)
        MeetingFactory(forum=forum, producer=world["producers"][1], buyer=newcomer)
        outcome = schedule_and_publish(
            forum, organiser, django_capture_on_commit_callbacks, kind="changes"
        )
        assert len(outcome.changed_meetings) == 1
        recipients = sorted(address for m in mailoutbox for address in m.to)
        assert recipients == sorted([newcomer_user.email, world["producer_users"][2].email])
        assert all(m.subject.endswith("has changed") for m in mailoutbox)

    def test_members_get_the_email_in_their_language(
        self, world, organiser, mailoutbox, django_capture_on_commit_callbacks
    ):
        user = world["buyer_users"][0]
        user.language = "vi"
        user.save()
        schedule_and_publish(world["forum"], organiser, django_capture_on_commit_callbacks)
        assert len([m for m in mailoutbox if m.to == [user.email]]) == 1


class TestCalendarFeed:
    def test_feed_has_the_participants_meetings_in_the_forum_time_zone(
        self, client, organiser, django_capture_on_commit_callbacks
    ):
        forum = make_forum(organiser, zone="Asia/Phnom_Penh")
        assert forum.time_zone == "Asia/Phnom_Penh"
        entry = ForumProducerFactory(forum=forum)
        buyer_entry = ForumBuyerFactory(forum=forum)
        meeting = MeetingFactory(forum=forum, producer=entry.producer, buyer=buyer_entry.buyer)
        schedule_and_publish(forum, organiser, django_capture_on_commit_callbacks)
        meeting.refresh_from_db()

        response = client.get(f"/calendar/{entry.calendar_token}.ics")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.content)
        (event,) = events(calendar)
        start = event.decoded("dtstart")
        assert start.tzinfo.key == "Asia/Phnom_Penh"
        assert start == meeting.slot.starts_at
        assert event.decoded("dtend") == meeting.slot.ends_at
        assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Phnom_Penh"]
        # Stable UIDs: the same meeting keeps its UID in the feed and in later downloads.
        again = Calendar.from_ical(client.get(f"/calendar/{entry.calendar_token}.ics").content)
        assert str(events(again)[0]["uid"]) == str(event["uid"])

    def test_wrong_token_is_404(self, client, organiser):
        forum = make_forum(organiser)
        entry = ForumProducerFactory(forum=forum)
        assert client.get(f"/calendar/{entry.calendar_token[:-1]}x.ics").status_code == 404
        assert client.get("/calendar/nope.ics").status_code == 404


class TestAgenda:
    def test_participants_see_only_their_own_agenda(
        self, client, world, organiser, django_capture_on_commit_callbacks
    ):
        forum = world["forum"]
        schedule_and_publish(forum, organiser, django_capture_on_commit_callbacks)
        url = reverse("forum_pages:agenda", args=[forum.pk])
        client.force_login(world["producer_users"][2])
        page = client.get(url).content.decode()
        producer = world["producers"][1]
        assert producer.name in page and world["producers"][0].name not in page
        for meeting in Meeting.objects.filter(producer=producer).select_related("slot"):
            local = meeting.slot.starts_at.astimezone(ZoneInfo(forum.time_zone))
            assert local.strftime("%H:%M") in page
        assert world["buyers"][0].name in page and world["buyers"][1].name in page
        assert "booth A2" in page and "@media print" in page
        assert world["entries_p"][1].calendar_token in page
        assert world["entries_p"][0].calendar_token not in page

        client.force_login(BuyerUserFactory())  # not taking part
        assert client.get(url).status_code == 404

    def test_held_meetings_get_feedback_from_each_side(
        self, client, world, organiser, django_capture_on_commit_callbacks
    ):
        forum = world["forum"]
        schedule_and_publish(forum, organiser, django_capture_on_commit_callbacks)
        meeting = Meeting.objects.filter(
            producer=world["producers"][0], buyer=world["buyers"][0]
        ).get()
        client.force_login(organiser)
        client.post(
            reverse("forum_pages:meeting_mark", args=[forum.pk, meeting.pk]), {"status": "held"}
        )
        meeting.refresh_from_db()
        assert meeting.status == "held"

        client.force_login(world["buyer_users"][0])
        assert (
            "Give feedback"
            in client.get(reverse("forum_pages:agenda", args=[forum.pk])).content.decode()
        )
        client.post(
            reverse("forum_pages:meeting_feedback", args=[forum.pk, meeting.pk]),
            {f"m{meeting.pk}-rating": "4", f"m{meeting.pk}-outcome": "samples"},
        )
        (feedback,) = meeting.feedback.all()
        assert (feedback.side, feedback.rating, feedback.outcome) == ("buyer", 4, "samples")

        client.force_login(world["buyer_users"][1])  # not in this meeting
        response = client.post(
            reverse("forum_pages:meeting_feedback", args=[forum.pk, meeting.pk]),
            {f"m{meeting.pk}-rating": "1", f"m{meeting.pk}-outcome": "nothing"},
        )
        assert response.status_code == 404
        assert meeting.feedback.count() == 1
