"""The Django side of meeting scheduling: build the pure scheduler's `Instance` from a forum's
rows, run it (as a Celery task recording progress on a `ScheduleRun`), write the result as a
draft, and publish a reviewed draft.

Drafts live on `Meeting.draft_slot` / `draft_table`; participants only ever see `slot` and
`table`, which change in one transaction on publish. The database's unique constraints make a
double booking impossible to store, whatever this code does. Emails go out after commit.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User
from forums import scheduler as engine
from forums.models import (
    Forum,
    ForumBuyer,
    ForumProducer,
    Meeting,
    ScheduleRun,
    Slot,
)

PRODUCER = "producer"
BUYER = "buyer"
RunStatus = ScheduleRun.Status
# A run still "running" after this long (beyond its time limit) is taken to have died with
# its worker, and no longer blocks a new one.
STALE_AFTER = dt.timedelta(minutes=5)

UNSCHEDULED_REASONS = {
    "no_common_slot": _lazy("There is no slot when both sides are available."),
    "overloaded": _lazy("One side has more meetings than free slots."),
    "tables_full": _lazy("All tables are taken whenever both sides are free."),
    "fixed_slot": _lazy("Its fixed slot is not possible."),
    "conflict": _lazy("It could not fit without clashing with other meetings."),
}


class ScheduleError(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


def unscheduled_reason_text(code: str) -> str:
    return str(UNSCHEDULED_REASONS.get(code, UNSCHEDULED_REASONS["conflict"]))


# --- Building the instance -----------------------------------------------------------------


@dataclass
class ForumInstance:
    """An `Instance` and the rows behind its indexes."""

    instance: engine.Instance
    meetings: list[Meeting]
    slots: list[Slot]
    participants: list[tuple[str, int]]  # (PRODUCER | BUYER, producer or buyer pk)
    names: list[str] = field(default_factory=list)

    def slot_position(self) -> dict[int, int]:
        return {slot.pk: t for t, slot in enumerate(self.slots)}


def _priority(meeting: Meeting) -> int:
    score = meeting.request.score if meeting.request is not None else None
    if score is None:
        return 1
    return max(1, round(score * 100))


def forum_instance_build(*, forum: Forum, pin_published: bool = False) -> ForumInstance:
    """The scheduler's view of a forum: every meeting not cancelled, producers then buyers as
    participants (registered or in a meeting), sessions from the slot rows (each run of one
    day's morning or afternoon), unavailable slots, priorities from the request's score.

    With `pin_published`, meetings that already have a published slot keep it (late changes).
    """
    slots = list(Slot.objects.filter(forum=forum).select_related("day").order_by("index"))
    position = {slot.pk: t for t, slot in enumerate(slots)}
    sessions: list[engine.Session] = []
    day_numbers: dict[int, int] = {}
    previous: tuple[int, str] | None = None
    for slot in slots:
        key = (slot.day_id, slot.session)
        day = day_numbers.setdefault(slot.day_id, len(day_numbers))
        if key != previous:
            sessions.append(
                engine.Session(day=day, part=slot.session, n_slots=0, label=str(slot.day.date))
            )
            previous = key
        last = sessions[-1]
        sessions[-1] = engine.Session(last.day, last.part, last.n_slots + 1, last.label)

    meetings = list(
        Meeting.objects.filter(forum=forum)
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("request", "buyer", "producer", "product")
        .order_by("pk")
    )
    producer_entries = {
        e.producer_id: e
        for e in ForumProducer.objects.filter(forum=forum)
        .select_related("producer")
        .prefetch_related("unavailable_slots")
    }
    buyer_entries = {
        e.buyer_id: e
        for e in ForumBuyer.objects.filter(forum=forum)
        .select_related("buyer")
        .prefetch_related("unavailable_slots")
    }
    names: dict[tuple[str, int], str] = {}
    for e in producer_entries.values():
        names[(PRODUCER, e.producer_id)] = e.producer.name
    for m in meetings:
        names.setdefault((PRODUCER, m.producer_id), m.producer.name)
    buyer_names: dict[tuple[str, int], str] = {}
    for e in buyer_entries.values():
        buyer_names[(BUYER, e.buyer_id)] = e.buyer.name
    for m in meetings:
        buyer_names.setdefault((BUYER, m.buyer_id), m.buyer.name)
    participants = sorted(names) + sorted(buyer_names)
    names.update(buyer_names)
    index = {key: i for i, key in enumerate(participants)}

    unavailable = []
    for kind, pk in participants:
        entry = (producer_entries if kind == PRODUCER else buyer_entries).get(pk)
        blocked = (
            frozenset(position[s.pk] for s in entry.unavailable_slots.all() if s.pk in position)
            if entry is not None
            else frozenset()
        )
        unavailable.append(blocked)

    plain = []
    for m in meetings:
        fixed = None
        if pin_published and m.slot_id is not None and m.slot_id in position:
            fixed = position[m.slot_id]
        plain.append(
            engine.Meeting(
                # The producer first: the scheduler keeps the first participant at one table.
                a=index[(PRODUCER, m.producer_id)],
                b=index[(BUYER, m.buyer_id)],
                session=m.session_rule,
                priority=_priority(m),
                fixed_slot=fixed,
                key=m.pk,
            )
        )
    ordered_names = [names[key] for key in participants]
    instance = engine.Instance(
        n_participants=len(participants),
        meetings=tuple(plain),
        n_tables=forum.tables,
        sessions=tuple(sessions),
        unavailable=tuple(unavailable),
        participant_names=tuple(ordered_names),
    )
    return ForumInstance(instance, meetings, slots, participants, ordered_names)


# --- Running --------------------------------------------------------------------------------


def _active_runs(forum: Forum):
    now = timezone.now()
    return [
        run
        for run in forum.schedule_runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
        if run.created_at + dt.timedelta(seconds=run.time_limit) + STALE_AFTER > now
    ]


@transaction.atomic
def schedule_run_start(
    *, forum: Forum, user: User, kind: str = ScheduleRun.Kind.FULL, time_limit: int = 30
) -> ScheduleRun:
    """Queue a scheduler run; the Celery task starts after commit."""
    from forums.tasks import forum_schedule

    forum = Forum.objects.select_for_update().get(pk=forum.pk)
    if _active_runs(forum):
        raise ScheduleError(_("The scheduler is already running for this forum; wait for it."))
    if not forum.slots.exists():
        raise ScheduleError(_("This forum has no slots yet: give it days and session times."))
    if kind == ScheduleRun.Kind.CHANGES and forum.schedule_published_at is None:
        raise ScheduleError(
            _("Nothing is published yet: schedule the whole forum first."), field="kind"
        )
    if not 1 <= time_limit <= 600:
        raise ScheduleError(
            _("The time limit must be between 1 and 600 seconds."), field="time_limit"
        )
    run = ScheduleRun.objects.create(forum=forum, kind=kind, time_limit=time_limit, started_by=user)
    transaction.on_commit(lambda: forum_schedule.delay(run.pk))
    return run


class _Progress:
    """Writes the solver's progress to the run, at most twice a second, and only from the
    task's own thread (the solver may report from its worker threads)."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.thread = threading.current_thread()
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        if threading.current_thread() is not self.thread:
            return
        now = time.monotonic()
        if now - self.last < 0.5 and fraction < 1:
            return
        self.last = now
        ScheduleRun.objects.filter(pk=self.run_id).update(
            progress=min(0.99, fraction), message=message[:300]
        )


def _tables_keep_published(fi: ForumInstance, slots: list[int | None]) -> list[int | None]:
    """Late changes: pinned meetings keep their table; the others get the lowest free one."""
    tables: list[int | None] = [None] * len(slots)
    taken: dict[int, set[int]] = {}
    for i, m in enumerate(fi.meetings):
        if slots[i] is not None and fi.instance.meetings[i].fixed_slot is not None and m.table:
            tables[i] = m.table
            taken.setdefault(slots[i], set()).add(m.table)
    for i, t in enumerate(slots):
        if t is None or tables[i] is not None:
            continue
        used = taken.setdefault(t, set())
        table = next(k for k in range(1, fi.instance.n_tables + 1) if k not in used)
        tables[i] = table
        used.add(table)
    return tables


def _summary(fi: ForumInstance, result: engine.ScheduleResult, tables) -> dict:
    inst = fi.instance
    meetings_per = Counter()
    for m, t in zip(inst.meetings, result.slots, strict=True):
        if t is not None:
            meetings_per[m.a] += 1
            meetings_per[m.b] += 1
    by_meeting = {u.meeting: u for u in result.unscheduled}
    unscheduled = []
    for i, m in enumerate(fi.meetings):
        if result.slots[i] is None:
            reason = by_meeting.get(i)
            unscheduled.append(
                {
                    "meeting": m.pk,
                    "buyer": m.buyer.name,
                    "producer": m.producer.name,
                    "code": reason.code if reason else "conflict",
                    "detail": reason.reason if reason else "",
                }
            )
    return {
        "scheduled": result.n_scheduled,
        "total": len(fi.meetings),
        "total_breaks": result.total_breaks,
        "spread": result.spread,
        "status": result.status,
        "optimal": result.optimal,
        "seconds": round(result.seconds, 2),
        "breaks": [
            {
                "kind": kind,
                "name": fi.names[p],
                "breaks": result.breaks[p],
                "meetings": meetings_per[p],
            }
            for p, (kind, _pk) in enumerate(fi.participants)
        ],
        "table_load": [
            {
                "slot": fi.slots[t].pk,
                "starts_at": timezone.localtime(fi.slots[t].starts_at).isoformat(),
                "load": load,
            }
            for t, load in enumerate(result.table_load)
        ],
        "tables": inst.n_tables,
        "unscheduled": unscheduled,
    }


def schedule_run_execute(*, run_id: int, solve_options: dict | None = None) -> ScheduleRun:
    """Run the scheduler for a queued run and write its draft. Runs once: a retried task
    finds the run no longer queued and does nothing."""
    claimed = ScheduleRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), message=_("Starting")
    )
    run = ScheduleRun.objects.select_related("forum").get(pk=run_id)
    if not claimed:
        return run
    try:
        fi = forum_instance_build(
            forum=run.forum, pin_published=run.kind == ScheduleRun.Kind.CHANGES
        )
        position = fi.slot_position()
        hint = [position.get(m.slot_id) if m.slot_id is not None else None for m in fi.meetings]
        result = engine.solve(
            fi.instance,
            time_limit=run.time_limit,
            progress=_Progress(run.pk),
            hint=hint if any(t is not None for t in hint) else None,
            **(solve_options or {}),
        )
        problems = engine.check_schedule(fi.instance, result.slots)
        if problems:
            raise ScheduleError("; ".join(problems))
        if run.kind == ScheduleRun.Kind.CHANGES:
            tables = _tables_keep_published(fi, result.slots)
        else:
            tables = [None if t is None else t + 1 for t in result.tables]
        _draft_write(run, fi, result, tables)
    except Exception as error:  # noqa: BLE001 - the organiser sees why it failed
        ScheduleRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            error=str(error)[:2000],
            message=_("The scheduler failed."),
            finished_at=timezone.now(),
        )
        run.refresh_from_db()
        return run
    run.refresh_from_db()
    return run


@transaction.atomic
def _draft_write(run: ScheduleRun, fi: ForumInstance, result: engine.ScheduleResult, tables):
    reasons = {u.meeting: unscheduled_reason_text(u.code) for u in result.unscheduled}
    for i, m in enumerate(fi.meetings):
        t = result.slots[i]
        m.draft_slot = fi.slots[t] if t is not None else None
        m.draft_table = tables[i] if t is not None else None
        m.draft_reason = "" if t is not None else reasons.get(i, unscheduled_reason_text(""))
    Meeting.objects.bulk_update(fi.meetings, ["draft_slot", "draft_table", "draft_reason"])
    # Meetings cancelled since: nothing of them in the draft.
    Meeting.objects.filter(forum=run.forum, status=Meeting.Status.CANCELLED).update(
        draft_slot=None, draft_table=None, draft_reason=""
    )
    ScheduleRun.objects.filter(forum=run.forum, status=RunStatus.DONE).exclude(pk=run.pk).update(
        status=RunStatus.SUPERSEDED
    )
    ScheduleRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE,
        progress=1.0,
        message=_("%(scheduled)s of %(total)s meetings scheduled")
        % {"scheduled": result.n_scheduled, "total": len(fi.meetings)},
        summary=_summary(fi, result, tables),
        finished_at=timezone.now(),
    )


# --- Publishing -----------------------------------------------------------------------------


@dataclass
class PublishOutcome:
    changed_meetings: list[int]
    producers: list[int]
    buyers: list[int]
    everyone: bool


def forum_participants(forum: Forum) -> tuple[set[int], set[int]]:
    """Producer and buyer pks taking part: registered, or in a meeting that is not cancelled."""
    producers = set(ForumProducer.objects.filter(forum=forum).values_list("producer_id", flat=True))
    buyers = set(ForumBuyer.objects.filter(forum=forum).values_list("buyer_id", flat=True))
    pairs = (
        Meeting.objects.filter(forum=forum)
        .exclude(status=Meeting.Status.CANCELLED)
        .values_list("producer_id", "buyer_id")
    )
    for producer_id, buyer_id in pairs:
        producers.add(producer_id)
        buyers.add(buyer_id)
    return producers, buyers


@transaction.atomic
def schedule_publish(*, run: ScheduleRun, user: User) -> PublishOutcome:
    """Publish a reviewed draft: copy every meeting's draft slot and table to its published
    ones, in one transaction. The first publication emails every participant their agenda;
    later ones email only the participants whose meetings changed."""
    forum = Forum.objects.select_for_update().get(pk=run.forum_id)
    run = ScheduleRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.DONE:
        raise ScheduleError(
            _("Only a finished run waiting for review can be published; this one is “%(s)s”.")
            % {"s": run.get_status_display()}
        )
    meetings = list(Meeting.objects.select_for_update().filter(forum=forum).order_by("pk"))
    changes = []
    for m in meetings:
        slot_id = None if m.status == Meeting.Status.CANCELLED else m.draft_slot_id
        table = m.draft_table if slot_id is not None else None
        reason = m.draft_reason if slot_id is None and m.status != Meeting.Status.CANCELLED else ""
        if (m.slot_id, m.table) != (slot_id, table) or m.unscheduled_reason != reason:
            changes.append((m, slot_id, table, reason))
    moved = [m.pk for m, slot_id, table, _r in changes if (m.slot_id, m.table) != (slot_id, table)]
    # Free the old places first, so that swaps never meet the unique constraints half way.
    Meeting.objects.filter(pk__in=moved).update(slot=None, table=None)
    for m, slot_id, table, reason in changes:
        Meeting.objects.filter(pk=m.pk).update(
            slot_id=slot_id, table=table, unscheduled_reason=reason
        )
    first = forum.schedule_published_at is None
    now = timezone.now()
    forum.schedule_published_at = now
    forum.save(update_fields=["schedule_published_at"])
    run.status = RunStatus.PUBLISHED
    run.published_at = now
    run.save(update_fields=["status", "published_at"])
    if first:
        producers, buyers = forum_participants(forum)
    else:
        touched = [m for m in meetings if m.pk in set(moved)]
        producers = {m.producer_id for m in touched}
        buyers = {m.buyer_id for m in touched}
    outcome = PublishOutcome(moved, sorted(producers), sorted(buyers), first)
    if producers or buyers:
        from forums.tasks import forum_agendas_email

        transaction.on_commit(
            lambda: forum_agendas_email.delay(
                forum.pk, outcome.producers, outcome.buyers, "published" if first else "changed"
            ),
            robust=True,
        )
    return outcome


def schedule_run_latest(*, forum: Forum) -> ScheduleRun | None:
    return forum.schedule_runs.order_by("-created_at", "-pk").first()


def schedule_pending_changes(*, forum: Forum) -> dict[str, int]:
    """After publishing: meetings waiting for a slot, and cancelled ones still holding one."""
    if forum.schedule_published_at is None:
        return {"new": 0, "cancelled": 0}
    base = Meeting.objects.filter(forum=forum)
    return {
        "new": base.filter(slot__isnull=True, unscheduled_reason="")
        .exclude(status=Meeting.Status.CANCELLED)
        .count(),
        "cancelled": base.filter(status=Meeting.Status.CANCELLED, slot__isnull=False).count(),
    }


# --- After the forum ------------------------------------------------------------------------

MARKABLE = (Meeting.Status.PLANNED, Meeting.Status.HELD, Meeting.Status.NO_SHOW)


@transaction.atomic
def meeting_mark(*, meeting: Meeting, status: str) -> Meeting:
    """An organiser marks a scheduled meeting held or no-show (or back to planned)."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if status not in MARKABLE:
        raise ScheduleError(_("Choose held, no-show or planned."), field="status")
    if meeting.status == Meeting.Status.CANCELLED:
        raise ScheduleError(_("This meeting was cancelled."), field="status")
    if meeting.slot_id is None and status != Meeting.Status.PLANNED:
        raise ScheduleError(
            _("This meeting never had a published slot, so it cannot have been held."),
            field="status",
        )
    meeting.status = status
    meeting.save(update_fields=["status"])
    return meeting


@transaction.atomic
def meeting_feedback_give(
    *, meeting: Meeting, user: User, side: str, rating: int, outcome: str, comment: str = ""
):
    """A participant's feedback on a held meeting, one per side (a second one replaces it)."""
    from forums.models import MeetingFeedback

    if meeting.status != Meeting.Status.HELD:
        raise ScheduleError(_("Feedback is for meetings that were held."))
    if side not in (BUYER, PRODUCER):
        raise ScheduleError(_("Say which side the feedback is from."), field="side")
    party = meeting.producer if side == PRODUCER else meeting.buyer
    if not party.members.filter(pk=user.pk).exists():
        raise ScheduleError(_("You did not take part in this meeting."))
    if not 1 <= int(rating) <= 5:
        raise ScheduleError(_("Give a rating from 1 to 5."), field="rating")
    feedback, _created = MeetingFeedback.objects.update_or_create(
        meeting=meeting,
        side=side,
        defaults={"author": user, "rating": rating, "outcome": outcome, "comment": comment},
    )
    return feedback
