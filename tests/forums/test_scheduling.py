"""Scheduling a forum: the Instance built from its rows, the run as a task with progress, the
draft written back, a time-out that still leaves a valid schedule, late changes with the
published meetings pinned, and the database refusing double bookings under parallel writers."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from forums import scheduler as engine
from forums import scheduling, setup
from forums.models import ForumProducer, Meeting, ScheduleRun
from tests.factories import (
    BuyerFactory,
    ForumBuyerFactory,
    ForumProducerFactory,
    MeetingFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProvinceFactory,
)

DAY = dt.date(2026, 3, 10)


def make_forum(organiser, *, tables=2, days=None):
    # Morning 08:00-09:40: 4 slots; afternoon 13:00-13:45: 2 slots (20 min + 5 between).
    return setup.forum_create(
        user=organiser,
        name="Mekong Delta OCOP Forum",
        province=ProvinceFactory(),
        venue="Rach Gia",
        time_zone="Asia/Ho_Chi_Minh",
        days=days or [setup.DayPlan(DAY, dt.time(8), dt.time(9, 40), dt.time(13), dt.time(13, 45))],
        tables=tables,
    )


def run_schedule(forum, organiser, django_capture_on_commit_callbacks, **kwargs):
    kwargs.setdefault("time_limit", 5)
    with django_capture_on_commit_callbacks(execute=True):
        run = scheduling.schedule_run_start(forum=forum, user=organiser, **kwargs)
    run.refresh_from_db()
    return run


@pytest.fixture
def organiser():
    return OrganiserUserFactory()


@pytest.mark.django_db
class TestInstanceFromModels:
    def test_sessions_tables_participants_unavailability_and_priorities(self, organiser):
        forum = make_forum(organiser, tables=3)
        slots = list(forum.slots.order_by("index"))
        p1 = ForumProducerFactory(forum=forum)
        b1 = ForumBuyerFactory(forum=forum)
        b1.unavailable_slots.set([slots[1], slots[4]])
        lone = ForumProducerFactory(forum=forum)  # registered, no meetings yet
        m1 = MeetingFactory(forum=forum, producer=p1.producer, buyer=b1.buyer)
        m1.request.score = 0.87
        m1.request.save()
        outsider = BuyerFactory()  # in a meeting without registering
        m2 = MeetingFactory(
            forum=forum,
            producer=p1.producer,
            buyer=outsider,
            session_rule=Meeting.SessionRule.AFTERNOON,
        )
        MeetingFactory(forum=forum, status=Meeting.Status.CANCELLED)

        fi = scheduling.forum_instance_build(forum=forum)
        inst = fi.instance
        assert inst.n_tables == 3
        assert [(s.day, s.part, s.n_slots) for s in inst.sessions] == [
            (0, "morning", 4),
            (0, "afternoon", 2),
        ]
        assert inst.n_slots == len(slots) == 6
        assert [m.pk for m in fi.meetings] == [m1.pk, m2.pk]  # cancelled one left out
        assert fi.participants == sorted(
            [("producer", p1.producer_id), ("producer", lone.producer_id)]
        ) + sorted([("buyer", b1.buyer_id), ("buyer", outsider.pk)])
        buyer_index = fi.participants.index(("buyer", b1.buyer_id))
        assert inst.unavailable[buyer_index] == frozenset({1, 4})
        first, second = inst.meetings
        assert fi.participants[first.a] == ("producer", p1.producer_id)
        assert first.priority == 87 and second.priority == 1
        assert second.session == "afternoon"
        assert first.key == m1.pk

    def test_a_second_day_makes_new_sessions(self, organiser):
        forum = make_forum(
            organiser,
            days=[
                setup.DayPlan(DAY, dt.time(8), dt.time(9)),
                setup.DayPlan(DAY + dt.timedelta(days=1), None, None, dt.time(14), dt.time(15)),
            ],
        )
        fi = scheduling.forum_instance_build(forum=forum)
        assert [(s.day, s.part, s.n_slots) for s in fi.instance.sessions] == [
            (0, "morning", 2),
            (1, "afternoon", 2),
        ]


@pytest.mark.django_db
class TestRunAndDraft:
    def test_the_task_writes_a_draft_and_publish_copies_it(
        self, organiser, django_capture_on_commit_callbacks
    ):
        forum = make_forum(organiser, tables=2)
        slots = list(forum.slots.order_by("index"))
        producers = [ForumProducerFactory(forum=forum) for _ in range(2)]
        buyers = [ForumBuyerFactory(forum=forum) for _ in range(3)]
        buyers[0].unavailable_slots.set(slots[:3])
        for p in producers:
            for b in buyers:
                MeetingFactory(forum=forum, producer=p.producer, buyer=b.buyer)

        run = run_schedule(forum, organiser, django_capture_on_commit_callbacks)
        assert run.status == ScheduleRun.Status.DONE
        assert run.progress == 1.0 and run.started_at and run.finished_at
        summary = run.summary
        assert summary["total"] == 6 and summary["scheduled"] == 6
        assert len(summary["table_load"]) == 6
        assert sum(row["load"] for row in summary["table_load"]) == 6
        assert {row["name"] for row in summary["breaks"]} >= {buyers[0].buyer.name}

        meetings = list(Meeting.objects.filter(forum=forum))
        # A draft only: nothing published yet.
        assert all(m.slot_id is None and m.draft_slot_id is not None for m in meetings)
        for m in meetings:
            if m.buyer_id == buyers[0].buyer_id:
                assert m.draft_slot not in slots[:3]
            assert 1 <= m.draft_table <= 2
        seen = set()
        for m in meetings:
            for who in (("b", m.buyer_id), ("p", m.producer_id), ("t", m.draft_table)):
                assert (who, m.draft_slot_id) not in seen
                seen.add((who, m.draft_slot_id))

        scheduling.schedule_publish(run=run, user=organiser)
        forum.refresh_from_db()
        assert forum.schedule_published_at is not None
        for m in Meeting.objects.filter(forum=forum):
            assert (m.slot_id, m.table) == (m.draft_slot_id, m.draft_table)
        run.refresh_from_db()
        assert run.status == ScheduleRun.Status.PUBLISHED
        with pytest.raises(scheduling.ScheduleError):
            scheduling.schedule_publish(run=run, user=organiser)

    def test_unschedulable_meetings_get_a_reason(
        self, organiser, django_capture_on_commit_callbacks
    ):
        forum = make_forum(organiser, tables=1)
        p = ForumProducerFactory(forum=forum)
        b = ForumBuyerFactory(forum=forum)
        b.unavailable_slots.set(forum.slots.all())
        meeting = MeetingFactory(forum=forum, producer=p.producer, buyer=b.buyer)
        run = run_schedule(forum, organiser, django_capture_on_commit_callbacks)
        assert run.summary["scheduled"] == 0
        assert run.summary["unscheduled"][0]["code"] == "no_common_slot"
        meeting.refresh_from_db()
        assert meeting.draft_reason == "There is no slot when both sides are available."
        scheduling.schedule_publish(run=run, user=organiser)
        meeting.refresh_from_db()
        assert meeting.slot is None and "no slot" in meeting.unscheduled_reason

    def test_a_time_out_still_leaves_a_valid_schedule(
        self, organiser, django_capture_on_commit_callbacks
    ):
        # Oversubscribed: 36 meetings, 6 slots, 3 tables: at most 18 fit.
        forum = make_forum(organiser, tables=3)
        producers = [ForumProducerFactory(forum=forum) for _ in range(6)]
        buyers = [ForumBuyerFactory(forum=forum) for _ in range(6)]
        for p in producers:
            for b in buyers:
                MeetingFactory(forum=forum, producer=p.producer, buyer=b.buyer)
        fi = scheduling.forum_instance_build(forum=forum)
        result = engine.solve(fi.instance, time_limit=0.01, num_workers=1)
        assert engine.check_schedule(fi.instance, result.slots) == []
        assert result.n_scheduled > 0

        run = run_schedule(forum, organiser, django_capture_on_commit_callbacks, time_limit=1)
        assert run.status == ScheduleRun.Status.DONE
        assert 0 < run.summary["scheduled"] <= 18
        assert len(run.summary["unscheduled"]) == 36 - run.summary["scheduled"]
        scheduling.schedule_publish(run=run, user=organiser)  # the constraints accept it
        assert Meeting.objects.filter(slot__isnull=False).count() == run.summary["scheduled"]

    def test_only_one_run_at_a_time(self, organiser):
        forum = make_forum(organiser)
        ScheduleRun.objects.create(forum=forum, status=ScheduleRun.Status.RUNNING)
        with pytest.raises(scheduling.ScheduleError):
            scheduling.schedule_run_start(forum=forum, user=organiser)

    def test_progress_page_refreshes_while_running_then_shows_the_review(
        self, client, organiser, django_capture_on_commit_callbacks
    ):
        forum = make_forum(organiser)
        run = ScheduleRun.objects.create(
            forum=forum, status=ScheduleRun.Status.RUNNING, progress=0.4, message="placing"
        )
        client.force_login(organiser)
        page = client.get(reverse("forum_pages:run", args=[forum.pk, run.pk])).content.decode()
        assert '<meta http-equiv="refresh" content="3">' in page and "40%" in page
        run.delete()

        p = ForumProducerFactory(forum=forum)
        b = ForumBuyerFactory(forum=forum)
        MeetingFactory(forum=forum, producer=p.producer, buyer=b.buyer)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("forum_pages:schedule", args=[forum.pk]),
                {"kind": "full", "time_limit": "2"},
            )
        run = ScheduleRun.objects.get()
        assert response["Location"] == reverse("forum_pages:run", args=[forum.pk, run.pk])
        page = client.get(response["Location"]).content.decode()
        assert "http-equiv" not in page
        assert "Breaks per participant" in page and "Publish the schedule" in page
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("forum_pages:publish", args=[forum.pk, run.pk]))
        assert Meeting.objects.get().slot is not None

    def test_another_organiser_cannot_schedule_or_publish(
        self, client, organiser, django_capture_on_commit_callbacks
    ):
        forum = make_forum(organiser)
        p = ForumProducerFactory(forum=forum)
        b = ForumBuyerFactory(forum=forum)
        MeetingFactory(forum=forum, producer=p.producer, buyer=b.buyer)
        run = run_schedule(forum, organiser, django_capture_on_commit_callbacks)
        client.force_login(OrganiserUserFactory())
        assert (
            client.post(
                reverse("forum_pages:schedule", args=[forum.pk]), {"kind": "full", "time_limit": 1}
            ).status_code
            == 404
        )
        assert (
            client.post(reverse("forum_pages:publish", args=[forum.pk, run.pk])).status_code == 404
        )
        assert Meeting.objects.get().slot is None


@pytest.mark.django_db
class TestLateChanges:
    def test_reschedule_changes_pins_published_meetings_and_places_only_new_ones(
        self, organiser, django_capture_on_commit_callbacks
    ):
        forum = make_forum(organiser, tables=2)
        producers = [ForumProducerFactory(forum=forum) for _ in range(2)]
        buyers = [ForumBuyerFactory(forum=forum) for _ in range(2)]
        for p in producers:
            for b in buyers:
                MeetingFactory(forum=forum, producer=p.producer, buyer=b.buyer)
        run = run_schedule(forum, organiser, django_capture_on_commit_callbacks)
        scheduling.schedule_publish(run=run, user=organiser)
        before = {m.pk: (m.slot_id, m.table) for m in Meeting.objects.filter(forum=forum)}

        cancelled = Meeting.objects.filter(forum=forum).first()
        cancelled.status = Meeting.Status.CANCELLED
        cancelled.save()
        newcomer = ForumBuyerFactory(forum=forum)
        new = MeetingFactory(forum=forum, producer=producers[0].producer, buyer=newcomer.buyer)
        forum.refresh_from_db()
        assert scheduling.schedule_pending_changes(forum=forum) == {"new": 1, "cancelled": 1}

        run = run_schedule(forum, organiser, django_capture_on_commit_callbacks, kind="changes")
        assert run.status == ScheduleRun.Status.DONE, run.error
        outcome = scheduling.schedule_publish(run=run, user=organiser)
        after = {m.pk: (m.slot_id, m.table) for m in Meeting.objects.filter(forum=forum)}
        for pk, place in before.items():
            if pk != cancelled.pk:
                assert after[pk] == place  # everybody else keeps their time and table
        assert after[cancelled.pk] == (None, None)
        assert after[new.pk][0] is not None
        assert sorted(outcome.changed_meetings) == sorted([cancelled.pk, new.pk])
        assert not outcome.everyone
        assert set(outcome.buyers) == {cancelled.buyer_id, newcomer.buyer_id}

    def test_late_changes_need_a_published_schedule(self, organiser):
        forum = make_forum(organiser)
        with pytest.raises(scheduling.ScheduleError):
            scheduling.schedule_run_start(forum=forum, user=organiser, kind="changes")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("clash", ["buyer", "producer", "table"])
def test_parallel_writers_can_never_store_a_double_booking(clash):
    """Threads released together each put a different meeting into the same slot (sharing
    the buyer, the producer, or the table): the database lets exactly one through."""
    organiser = OrganiserUserFactory()
    forum = make_forum(organiser, tables=10)
    slot = forum.slots.first()
    n = 6
    shared_buyer = BuyerFactory()
    shared_producer = ProducerFactory()
    meetings = []
    for _ in range(n):
        meetings.append(
            MeetingFactory(
                forum=forum,
                buyer=shared_buyer if clash == "buyer" else BuyerFactory(),
                producer=shared_producer if clash == "producer" else ProducerFactory(),
            )
        )
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                Meeting.objects.filter(pk=meetings[i].pk).update(
                    slot=slot, table=1 if clash == "table" else i + 1
                )
            result = "ok"
        except IntegrityError:
            result = "integrity"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["integrity"] * (n - 1) + ["ok"]
    assert Meeting.objects.filter(slot=slot).count() == 1
    assert ForumProducer.objects.count() == 0
