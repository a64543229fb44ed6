"""Setting a forum up: create and update it, check its session plan, generate its slots, and
register producers and buyers (with their unavailable slots).

The session-plan rules live in `session_plan_errors`, which both the forms (to put each
message on its field) and the services (so no caller can skip them) use. Slots are rows made
from the plan; once meetings are scheduled on them they are not regenerated.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, available_timezones

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from buyers.models import Buyer
from forums.models import Forum, ForumBuyer, ForumDay, ForumProducer, Meeting, Slot
from producers.models import Producer
from taxonomy.models import Province

PLAN_FIELDS = ("date", "morning_start", "morning_end", "afternoon_start", "afternoon_end")


class ForumSetupError(Exception):
    """A forum change that is refused. `field` names the form field (and `day` the row of the
    days formset) the message belongs to, when there is one."""

    def __init__(self, message: str, *, field: str | None = None, day: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.day = day

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class DayPlan:
    date: dt.date
    morning_start: dt.time | None = None
    morning_end: dt.time | None = None
    afternoon_start: dt.time | None = None
    afternoon_end: dt.time | None = None

    @classmethod
    def of(cls, day: ForumDay) -> DayPlan:
        return cls(**{name: getattr(day, name) for name in PLAN_FIELDS})

    def sessions(self) -> list[tuple[str, dt.time, dt.time]]:
        out = []
        if self.morning_start and self.morning_end:
            out.append((Slot.Session.MORNING, self.morning_start, self.morning_end))
        if self.afternoon_start and self.afternoon_end:
            out.append((Slot.Session.AFTERNOON, self.afternoon_start, self.afternoon_end))
        return out


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def session_plan_errors(
    *,
    days: Sequence[DayPlan],
    meeting_minutes: int | None,
    tables: int | None,
) -> list[ForumSetupError]:
    """Everything wrong with a session plan, each error on its field (and day row)."""
    errors: list[ForumSetupError] = []
    if tables is not None and tables < 1:
        errors.append(ForumSetupError(_("A forum needs at least one table."), field="tables"))
    if meeting_minutes is not None and meeting_minutes < 1:
        errors.append(
            ForumSetupError(_("A meeting must last at least one minute."), field="meeting_minutes")
        )
        meeting_minutes = None
    if not days:
        errors.append(ForumSetupError(_("Add at least one day to the forum."), field="days"))
    seen: dict[dt.date, int] = {}
    names = {"morning": _("morning"), "afternoon": _("afternoon")}
    for row, day in enumerate(days):
        if day.date in seen:
            errors.append(
                ForumSetupError(
                    _("%(date)s is already day %(number)s of this forum; each day once.")
                    % {"date": day.date.isoformat(), "number": seen[day.date] + 1},
                    field="date",
                    day=row,
                )
            )
        else:
            seen[day.date] = row
        any_session = False
        for part in ("morning", "afternoon"):
            start, end = getattr(day, f"{part}_start"), getattr(day, f"{part}_end")
            if start is None and end is None:
                continue
            if start is None or end is None:
                missing = f"{part}_start" if start is None else f"{part}_end"
                errors.append(
                    ForumSetupError(
                        _("Give both the start and the end of the %(part)s.")
                        % {"part": names[part]},
                        field=missing,
                        day=row,
                    )
                )
                continue
            any_session = True
            if end <= start:
                errors.append(
                    ForumSetupError(
                        _("The %(part)s ends at %(end)s, before it starts at %(start)s.")
                        % {
                            "part": names[part],
                            "end": end.strftime("%H:%M"),
                            "start": start.strftime("%H:%M"),
                        },
                        field=f"{part}_end",
                        day=row,
                    )
                )
            elif meeting_minutes and _minutes(end) - _minutes(start) < meeting_minutes:
                errors.append(
                    ForumSetupError(
                        _(
                            "The %(part)s lasts %(length)s minutes, shorter than one meeting "
                            "(%(meeting)s minutes)."
                        )
                        % {
                            "part": names[part],
                            "length": _minutes(end) - _minutes(start),
                            "meeting": meeting_minutes,
                        },
                        field=f"{part}_end",
                        day=row,
                    )
                )
        if (
            day.morning_start
            and day.morning_end
            and day.afternoon_start
            and day.afternoon_end
            and day.morning_start < day.morning_end
            and day.afternoon_start < day.morning_end
        ):
            errors.append(
                ForumSetupError(
                    _(
                        "The afternoon starts at %(start)s, before the morning ends at "
                        "%(end)s: the sessions overlap."
                    )
                    % {
                        "start": day.afternoon_start.strftime("%H:%M"),
                        "end": day.morning_end.strftime("%H:%M"),
                    },
                    field="afternoon_start",
                    day=row,
                )
            )
        if not any_session and not any(e.day == row for e in errors):
            errors.append(
                ForumSetupError(
                    _("Give this day a morning or an afternoon session (or both)."),
                    field="morning_start",
                    day=row,
                )
            )
    return errors


def time_zone_check(value: str) -> None:
    if value not in available_timezones():
        raise ForumSetupError(
            _("“%(zone)s” is not a time zone we know, e.g. Asia/Ho_Chi_Minh.") % {"zone": value},
            field="time_zone",
        )


def default_time_zone(province: Province) -> str:
    return province.country.time_zone or "Asia/Ho_Chi_Minh"


def organisers_from_emails(*, emails: Iterable[str]) -> list[User]:
    """The organiser users with these emails; refuses unknown or non-organiser addresses."""
    wanted = {e.strip().lower() for e in emails if e.strip()}
    if not wanted:
        return []
    users = list(User.objects.filter(email__in=wanted))
    found = {u.email.lower(): u for u in users}
    missing = sorted(wanted - set(found))
    if missing:
        raise ForumSetupError(
            _("No account with these emails: %(emails)s. Ask them to sign up first.")
            % {"emails": ", ".join(missing)},
            field="organiser_emails",
        )
    not_organisers = sorted(e for e, u in found.items() if not u.is_organiser)
    if not_organisers:
        raise ForumSetupError(
            _("These accounts are not organisers: %(emails)s.")
            % {"emails": ", ".join(not_organisers)},
            field="organiser_emails",
        )
    return users


def _plan_check(*, days: Sequence[DayPlan], meeting_minutes: int, tables: int) -> None:
    errors = session_plan_errors(days=days, meeting_minutes=meeting_minutes, tables=tables)
    if errors:
        raise errors[0]


def forum_has_scheduled_meetings(forum: Forum) -> bool:
    return Meeting.objects.filter(
        Q(slot__isnull=False) | Q(draft_slot__isnull=False), forum=forum
    ).exists()


def _days_write(forum: Forum, days: Sequence[DayPlan]) -> None:
    forum.days.all().delete()  # their slots go with them
    ForumDay.objects.bulk_create(
        [
            ForumDay(forum=forum, **{name: getattr(day, name) for name in PLAN_FIELDS})
            for day in days
        ]
    )


@transaction.atomic
def forum_create(
    *,
    user: User,
    name: str,
    province: Province,
    venue: str,
    days: Sequence[DayPlan],
    tables: int,
    meeting_minutes: int = 20,
    break_minutes: int = 5,
    time_zone: str = "",
    requests_open_at: dt.datetime | None = None,
    requests_close_at: dt.datetime | None = None,
    organisers: Iterable[User] = (),
    status: str = Forum.Status.DRAFT,
) -> Forum:
    """A new forum organised by `user` (and `organisers`), with its days and slots."""
    if not user.is_organiser:
        raise ForumSetupError(_("Only organisers can create forums."))
    _plan_check(days=days, meeting_minutes=meeting_minutes, tables=tables)
    time_zone = time_zone or default_time_zone(province)
    time_zone_check(time_zone)
    _window_check(requests_open_at, requests_close_at)
    forum = Forum.objects.create(
        name=name,
        province=province,
        venue=venue,
        time_zone=time_zone,
        meeting_minutes=meeting_minutes,
        break_minutes=break_minutes,
        tables=tables,
        requests_open_at=requests_open_at,
        requests_close_at=requests_close_at,
        status=status,
    )
    forum.organisers.add(user, *organisers)
    _days_write(forum, days)
    forum_slots_generate(forum=forum)
    return forum


def _window_check(opens: dt.datetime | None, closes: dt.datetime | None) -> None:
    if opens and closes and closes <= opens:
        raise ForumSetupError(_("Requests must close after they open."), field="requests_close_at")


@transaction.atomic
def forum_update(
    *,
    forum: Forum,
    days: Sequence[DayPlan] | None = None,
    organisers: Iterable[User] | None = None,
    **fields,
) -> Forum:
    """Change a forum. A changed plan (days, meeting or break length) regenerates the slots,
    which is refused once meetings are scheduled on them."""
    forum = Forum.objects.select_for_update().get(pk=forum.pk)
    allowed = {
        "name",
        "province",
        "venue",
        "time_zone",
        "meeting_minutes",
        "break_minutes",
        "tables",
        "requests_open_at",
        "requests_close_at",
        "status",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Unknown forum fields: {sorted(unknown)}")
    old_days = [DayPlan.of(d) for d in forum.days.all()]
    new_days = list(days) if days is not None else old_days
    plan_changed = (
        new_days != old_days
        or fields.get("meeting_minutes", forum.meeting_minutes) != forum.meeting_minutes
        or fields.get("break_minutes", forum.break_minutes) != forum.break_minutes
        or fields.get("time_zone", forum.time_zone) != forum.time_zone
    )
    tables = fields.get("tables", forum.tables)
    _plan_check(
        days=new_days,
        meeting_minutes=fields.get("meeting_minutes", forum.meeting_minutes),
        tables=tables,
    )
    if not fields.get("time_zone"):
        fields["time_zone"] = forum.time_zone
    time_zone_check(fields["time_zone"])
    _window_check(
        fields.get("requests_open_at", forum.requests_open_at),
        fields.get("requests_close_at", forum.requests_close_at),
    )
    if plan_changed and forum_has_scheduled_meetings(forum):
        raise ForumSetupError(_slots_locked_message(), field="days")
    if tables < forum.tables and Meeting.objects.filter(forum=forum, table__gt=tables).exists():
        raise ForumSetupError(
            _("Meetings are already scheduled at tables above %(tables)s.") % {"tables": tables},
            field="tables",
        )
    for name, value in fields.items():
        setattr(forum, name, value)
    forum.save()
    if organisers is not None:
        forum.organisers.add(*organisers)
    if plan_changed:
        _days_write(forum, new_days)
        forum_slots_generate(forum=forum)
    return forum


def _slots_locked_message() -> str:
    return _(
        "Meetings are already scheduled on this forum’s slots, so its days, session times "
        "and meeting length can no longer change. Unschedule the meetings first."
    )


@transaction.atomic
def forum_slots_generate(*, forum: Forum) -> list[Slot]:
    """(Re)make the forum's slots from its days: each session is cut into meetings of
    `meeting_minutes` with `break_minutes` between them. Refused once meetings are scheduled."""
    if forum_has_scheduled_meetings(forum):
        raise ForumSetupError(_slots_locked_message())
    zone = ZoneInfo(forum.time_zone)
    step = dt.timedelta(minutes=forum.meeting_minutes + forum.break_minutes)
    length = dt.timedelta(minutes=forum.meeting_minutes)
    forum.slots.all().delete()
    slots: list[Slot] = []
    for day in forum.days.order_by("date"):
        for session, start, end in DayPlan.of(day).sessions():
            begins = dt.datetime.combine(day.date, start, tzinfo=zone)
            stop = dt.datetime.combine(day.date, end, tzinfo=zone)
            while begins + length <= stop:
                slots.append(
                    Slot(
                        forum=forum,
                        day=day,
                        index=len(slots),
                        session=session,
                        starts_at=begins,
                        ends_at=begins + length,
                    )
                )
                begins += step
    return Slot.objects.bulk_create(slots)


# --- Participants ---------------------------------------------------------------------------


def _token() -> str:
    return secrets.token_urlsafe(32)


def _registration_check(forum: Forum) -> None:
    if forum.status == Forum.Status.CLOSED:
        raise ForumSetupError(_("This forum is closed; registration has ended."))


@transaction.atomic
def forum_producer_register(*, forum: Forum, producer: Producer, user: User) -> ForumProducer:
    """A member registers their business; the organisers assign its booth later."""
    if not producer.members.filter(pk=user.pk).exists():
        raise ForumSetupError(_("You are not a member of this business."), field="producer")
    _registration_check(forum)
    entry, _created = ForumProducer.objects.get_or_create(
        forum=forum, producer=producer, defaults={"calendar_token": _token()}
    )
    return entry


@transaction.atomic
def forum_buyer_register(*, forum: Forum, buyer: Buyer, user: User) -> ForumBuyer:
    if not buyer.members.filter(pk=user.pk).exists():
        raise ForumSetupError(_("You do not buy for this organisation."), field="buyer")
    _registration_check(forum)
    entry, _created = ForumBuyer.objects.get_or_create(
        forum=forum, buyer=buyer, defaults={"calendar_token": _token()}
    )
    return entry


@transaction.atomic
def forum_booths_assign(*, forum: Forum, booths: dict[int, str]) -> int:
    """Set the booth label of participating producers ({ForumProducer pk: label})."""
    labels = [label.strip() for label in booths.values() if label.strip()]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ForumSetupError(
            _("Each booth goes to one producer; given twice: %(booths)s.")
            % {"booths": ", ".join(duplicates)}
        )
    entries = {e.pk: e for e in ForumProducer.objects.filter(forum=forum, pk__in=list(booths))}
    for pk, label in booths.items():
        if pk in entries:
            entries[pk].booth = label.strip()
    ForumProducer.objects.bulk_update(entries.values(), ["booth"])
    return len(entries)


@transaction.atomic
def forum_availability_set(
    *, entry: ForumProducer | ForumBuyer, unavailable_slot_ids: Iterable[int]
) -> None:
    """The slots when a participant cannot meet (only this forum's slots count)."""
    slots = Slot.objects.filter(forum_id=entry.forum_id, pk__in=list(unavailable_slot_ids))
    entry.unavailable_slots.set(slots)
