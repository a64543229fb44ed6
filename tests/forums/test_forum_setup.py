"""Creating and editing a forum, its session plan and slots, who may do it, and registering
for it with availability."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from forums import setup
from forums.models import Forum, ForumBuyer, ForumProducer, Meeting
from tests.factories import (
    BuyerFactory,
    BuyerUserFactory,
    ForumFactory,
    MeetingFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProducerUserFactory,
    ProvinceFactory,
    VietnamFactory,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


def form_data(days=None, **overrides):
    data = {
        "name": "Mekong Delta OCOP Forum",
        "province": ProvinceFactory().pk,
        "venue": "Rach Gia Exhibition Centre",
        "time_zone": "",
        "meeting_minutes": "20",
        "break_minutes": "5",
        "tables": "10",
        "requests_open_at": "",
        "requests_close_at": "",
        "status": "open",
        "organiser_emails": "",
    }
    data.update(overrides)
    days = (
        days
        if days is not None
        else [
            {
                "date": DAY.isoformat(),
                "morning_start": "08:00",
                "morning_end": "10:00",
                "afternoon_start": "13:30",
                "afternoon_end": "15:00",
            }
        ]
    )
    data.update(
        {
            "days-TOTAL_FORMS": str(len(days)),
            "days-INITIAL_FORMS": "0",
            "days-MIN_NUM_FORMS": "0",
            "days-MAX_NUM_FORMS": "31",
        }
    )
    for i, day in enumerate(days):
        for key in setup.PLAN_FIELDS:
            data[f"days-{i}-{key}"] = day.get(key, "")
    return data


@pytest.fixture
def organiser(client):
    user = OrganiserUserFactory()
    client.force_login(user)
    return user


def day_errors(response, row=0):
    return response.context["formset"].forms[row].errors


class TestCreateForum:
    def test_organiser_creates_forum_with_slots_cut_from_the_session_plan(self, client, organiser):
        response = client.post(reverse("forum_pages:create"), form_data())
        forum = Forum.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("forum_pages:detail", args=[forum.pk])
        assert list(forum.organisers.all()) == [organiser]
        # Kampot is in Cambodia: the time zone defaults to the country's.
        assert forum.time_zone == "Asia/Phnom_Penh"
        zone = ZoneInfo("Asia/Phnom_Penh")
        starts = [s.starts_at.astimezone(zone).strftime("%H:%M") for s in forum.slots.all()]
        # 20 minutes + 5 between: 5 in the morning, 3 in the afternoon (14:45 would end 15:05).
        assert starts == ["08:00", "08:25", "08:50", "09:15", "09:40", "13:30", "13:55", "14:20"]
        assert [s.index for s in forum.slots.all()] == list(range(8))
        assert {s.session for s in forum.slots.all()[:5]} == {"morning"}

    def test_vietnamese_province_defaults_to_ho_chi_minh_time(self, client, organiser):
        province = ProvinceFactory(code="VN-91", name_en="An Giang", country=VietnamFactory())
        client.post(reverse("forum_pages:create"), form_data(province=province.pk))
        assert Forum.objects.get().time_zone == "Asia/Ho_Chi_Minh"

    def test_other_organisers_are_added_by_email_and_unknown_emails_are_refused(
        self, client, organiser
    ):
        colleague = OrganiserUserFactory(email="lan@example.org")
        response = client.post(
            reverse("forum_pages:create"),
            form_data(organiser_emails="lan@example.org, nobody@example.org"),
        )
        assert response.status_code == 200
        assert "nobody@example.org" in response.context["form"].errors["organiser_emails"][0]
        client.post(reverse("forum_pages:create"), form_data(organiser_emails="lan@example.org"))
        assert set(Forum.objects.get().organisers.all()) == {organiser, colleague}

    def test_blank_day_rows_are_ignored_but_at_least_one_day_is_needed(self, client, organiser):
        response = client.post(reverse("forum_pages:create"), form_data(days=[{}, {}]))
        assert response.status_code == 200
        assert "Add at least one day" in str(response.context["form"].non_field_errors())
        assert not Forum.objects.exists()


class TestSessionPlansThatMakeNoSense:
    def post(self, client, days=None, **overrides):
        response = client.post(reverse("forum_pages:create"), form_data(days=days, **overrides))
        assert response.status_code == 200
        assert not Forum.objects.exists()
        return response

    def test_an_end_before_its_start(self, client, organiser):
        response = self.post(
            client, [{"date": DAY.isoformat(), "morning_start": "10:00", "morning_end": "08:00"}]
        )
        assert day_errors(response)["morning_end"] == [
            "The morning ends at 08:00, before it starts at 10:00."
        ]
        assert "Day 1: The morning ends at 08:00" in response.content.decode()

    def test_overlapping_morning_and_afternoon(self, client, organiser):
        response = self.post(
            client,
            [
                {
                    "date": DAY.isoformat(),
                    "morning_start": "08:00",
                    "morning_end": "12:00",
                    "afternoon_start": "11:30",
                    "afternoon_end": "15:00",
                }
            ],
        )
        assert day_errors(response)["afternoon_start"] == [
            "The afternoon starts at 11:30, before the morning ends at 12:00: the sessions overlap."
        ]

    def test_zero_tables(self, client, organiser):
        response = self.post(client, tables="0")
        assert response.context["form"].errors["tables"] == ["A forum needs at least one table."]

    def test_a_session_shorter_than_one_meeting(self, client, organiser):
        response = self.post(
            client,
            [{"date": DAY.isoformat(), "afternoon_start": "13:00", "afternoon_end": "13:15"}],
            meeting_minutes="20",
        )
        assert day_errors(response)["afternoon_end"] == [
            "The afternoon lasts 15 minutes, shorter than one meeting (20 minutes)."
        ]

    def test_duplicate_days(self, client, organiser):
        day = {"date": DAY.isoformat(), "morning_start": "08:00", "morning_end": "11:00"}
        response = self.post(client, [day, dict(day)])
        assert day_errors(response, 1)["date"] == [
            "2026-03-10 is already day 1 of this forum; each day once."
        ]

    def test_a_day_without_any_session(self, client, organiser):
        response = self.post(client, [{"date": DAY.isoformat()}])
        assert "Give this day a morning or an afternoon session" in str(
            day_errors(response)["morning_start"]
        )

    def test_the_service_refuses_the_same_plans_whoever_calls_it(self, organiser):
        with pytest.raises(setup.ForumSetupError) as error:
            setup.forum_create(
                user=organiser,
                name="X",
                province=ProvinceFactory(),
                venue="Hall",
                days=[setup.DayPlan(DAY, dt.time(9), dt.time(8))],
                tables=5,
            )
        assert error.value.field == "morning_end"


def make_forum(organiser, **kwargs):
    return setup.forum_create(
        user=organiser,
        name="Kampot Pepper Forum",
        province=ProvinceFactory(),
        venue="Kampot Hall",
        days=[setup.DayPlan(DAY, dt.time(8), dt.time(9))],
        tables=kwargs.pop("tables", 4),
        **kwargs,
    )


class TestEditAndRegenerate:
    def test_edit_changes_the_plan_and_regenerates_slots(self, client, organiser):
        forum = make_forum(organiser)
        assert forum.slots.count() == 2  # 08:00 and 08:25; 08:50 would end at 09:10
        data = form_data(
            days=[{"date": DAY.isoformat(), "morning_start": "08:00", "morning_end": "10:00"}],
            province=forum.province_id,
            time_zone=forum.time_zone,
        )
        data["days-INITIAL_FORMS"] = "1"
        response = client.post(reverse("forum_pages:edit", args=[forum.pk]), data)
        assert response.status_code == 302
        assert forum.slots.count() == 5

    def test_regenerating_slots_is_refused_once_meetings_are_scheduled(self, client, organiser):
        forum = make_forum(organiser)
        MeetingFactory(forum=forum, slot=forum.slots.first(), table=1)
        response = client.post(
            reverse("forum_pages:slots_regenerate", args=[forum.pk]), follow=True
        )
        assert "Meetings are already scheduled on this forum’s slots" in response.content.decode()
        assert forum.slots.count() == 2
        with pytest.raises(setup.ForumSetupError):
            setup.forum_update(forum=forum, meeting_minutes=30)
        # Things that do not touch the plan can still change.
        setup.forum_update(forum=forum, venue="New hall")
        assert Meeting.objects.get().slot is not None


class TestOnlyTheForumsOrganisersManageIt:
    @pytest.mark.parametrize(
        "name", ["detail", "edit", "participants", "schedule", "meetings", "dashboard"]
    )
    def test_another_organiser_gets_404_and_a_non_organiser_403(self, client, name):
        forum = ForumFactory(organisers=[OrganiserUserFactory()])
        url = reverse(f"forum_pages:{name}", args=[forum.pk])
        client.force_login(OrganiserUserFactory())
        assert client.get(url).status_code == 404
        client.force_login(BuyerUserFactory())
        assert client.get(url).status_code == 403
        client.logout()
        assert client.get(url).status_code == 302  # to log in

    def test_non_organisers_cannot_create_forums(self, client):
        client.force_login(ProducerUserFactory())
        assert client.get(reverse("forum_pages:create")).status_code == 403
        assert client.post(reverse("forum_pages:create"), form_data()).status_code == 403
        assert not Forum.objects.exists()

    def test_another_organiser_cannot_regenerate_or_export(self, client):
        forum = ForumFactory(organisers=[OrganiserUserFactory()])
        client.force_login(OrganiserUserFactory())
        assert (
            client.post(reverse("forum_pages:slots_regenerate", args=[forum.pk])).status_code == 404
        )
        url = reverse("forum_pages:export", args=[forum.pk, "meetings", "csv"])
        assert client.get(url).status_code == 404


class TestRegisterAndAvailability:
    def test_producer_registers_organiser_assigns_booth_and_producer_marks_availability(
        self, client, organiser
    ):
        forum = make_forum(organiser, status=Forum.Status.OPEN)
        user = ProducerUserFactory()
        producer = ProducerFactory(members=[user])
        client.force_login(user)
        response = client.post(
            reverse("forum_pages:register", args=[forum.pk]), {"party": f"producer:{producer.pk}"}
        )
        assert response["Location"] == reverse("forum_pages:availability", args=[forum.pk])
        entry = ForumProducer.objects.get(forum=forum, producer=producer)
        assert len(entry.calendar_token) >= 43 and entry.booth == ""

        slots = list(forum.slots.all())
        page = client.get(reverse("forum_pages:availability", args=[forum.pk]))
        assert page.content.decode().count('name="unavailable"') == len(slots)
        client.post(
            reverse("forum_pages:availability", args=[forum.pk]),
            {"unavailable": [slots[1].pk]},
        )
        assert set(entry.unavailable_slots.all()) == {slots[1]}

        client.force_login(organiser)
        client.post(
            reverse("forum_pages:participants", args=[forum.pk]), {f"booth_{entry.pk}": "A-12"}
        )
        entry.refresh_from_db()
        assert entry.booth == "A-12"

    def test_buyer_registers_their_organisation(self, client, organiser):
        forum = make_forum(organiser, status=Forum.Status.OPEN)
        user = BuyerUserFactory()
        buyer = BuyerFactory(members=[user])
        client.force_login(user)
        client.post(
            reverse("forum_pages:register", args=[forum.pk]), {"party": f"buyer:{buyer.pk}"}
        )
        assert ForumBuyer.objects.filter(forum=forum, buyer=buyer).exists()

    def test_nobody_registers_someone_elses_business_or_sees_availability_unregistered(
        self, client, organiser
    ):
        forum = make_forum(organiser, status=Forum.Status.OPEN)
        other = ProducerFactory()
        user = ProducerUserFactory()
        ProducerFactory(members=[user])
        client.force_login(user)
        response = client.post(
            reverse("forum_pages:register", args=[forum.pk]), {"party": f"producer:{other.pk}"}
        )
        assert response.status_code == 200
        assert not ForumProducer.objects.exists()
        assert client.get(reverse("forum_pages:availability", args=[forum.pk])).status_code == 404

    def test_duplicate_booths_are_refused(self, organiser):
        forum = make_forum(organiser)
        a = ForumProducer.objects.create(
            forum=forum, producer=ProducerFactory(), calendar_token="a" * 43
        )
        b = ForumProducer.objects.create(
            forum=forum, producer=ProducerFactory(), calendar_token="b" * 43
        )
        with pytest.raises(setup.ForumSetupError):
            setup.forum_booths_assign(forum=forum, booths={a.pk: "A1", b.pk: "A1"})
