"""Participants' agendas: the published meetings of one producer or buyer at a forum, and the
same as an iCalendar file (an email attachment, and the private feed calendar apps subscribe
to at /calendar/<token>.ics).

Times are written in the forum's time zone with a TZID and its VTIMEZONE, so a phone set to
another zone still shows the meeting at the right moment. Each meeting has a stable UID, so
a re-published schedule updates the event instead of adding a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from forums.models import Forum, ForumBuyer, ForumProducer, Meeting

PRODUCER = "producer"
BUYER = "buyer"


@dataclass
class Participant:
    """One side taking part in a forum: a producer or a buyer, with its registration (if
    any), its name and the booth (producers)."""

    kind: str
    party_id: int
    name: str
    entry: ForumProducer | ForumBuyer | None = None

    @property
    def booth(self) -> str:
        return getattr(self.entry, "booth", "") if self.kind == PRODUCER else ""


def participant_for_token(token: str) -> Participant | None:
    if not token or len(token) < 20:
        return None
    entry = (
        ForumProducer.objects.select_related("producer", "forum")
        .filter(calendar_token=token)
        .first()
    )
    if entry is not None:
        return Participant(PRODUCER, entry.producer_id, entry.producer.name, entry)
    buyer_entry = (
        ForumBuyer.objects.select_related("buyer", "forum").filter(calendar_token=token).first()
    )
    if buyer_entry is not None:
        return Participant(BUYER, buyer_entry.buyer_id, buyer_entry.buyer.name, buyer_entry)
    return None


def agenda_meetings(*, forum: Forum, kind: str, party_id: int) -> QuerySet[Meeting]:
    """The participant's published meetings, in time order (cancelled ones left out)."""
    side = Q(producer_id=party_id) if kind == PRODUCER else Q(buyer_id=party_id)
    return (
        Meeting.objects.filter(side, forum=forum, slot__isnull=False)
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("slot", "buyer", "producer", "product")
        .order_by("slot__index")
    )


def booths_by_producer(forum: Forum) -> dict[int, str]:
    return dict(ForumProducer.objects.filter(forum=forum).values_list("producer_id", "booth"))


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "forum-market"


def meeting_uid(meeting: Meeting) -> str:
    return f"forum-{meeting.forum_id}-meeting-{meeting.pk}@{_host()}"


def agenda_ics(*, forum: Forum, participant: Participant) -> bytes:
    """The participant's agenda as an iCalendar file, in the language currently active."""
    zone = ZoneInfo(forum.time_zone)
    booths = booths_by_producer(forum)
    calendar = Calendar()
    calendar.add("prodid", "-//Forum Market//Forum agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{forum.name}: {participant.name}")
    calendar.add("x-wr-timezone", forum.time_zone)
    stamp = forum.schedule_published_at or timezone.now()
    for meeting in agenda_meetings(
        forum=forum, kind=participant.kind, party_id=participant.party_id
    ):
        other = meeting.buyer.name if participant.kind == PRODUCER else meeting.producer.name
        booth = booths.get(meeting.producer_id, "")
        event = Event()
        event.add("uid", meeting_uid(meeting))
        event.add("dtstamp", stamp)
        event.add("dtstart", meeting.slot.starts_at.astimezone(zone))
        event.add("dtend", meeting.slot.ends_at.astimezone(zone))
        if meeting.product is not None:
            summary = _("Meeting with %(other)s about %(product)s") % {
                "other": other,
                "product": meeting.product.display_name,
            }
        else:
            summary = _("Meeting with %(other)s") % {"other": other}
        event.add("summary", summary)
        where = [_("Table %(table)s") % {"table": meeting.table}] if meeting.table else []
        if booth:
            where.append(_("booth %(booth)s") % {"booth": booth})
        where.append(forum.venue)
        event.add("location", ", ".join(where))
        event.add(
            "description",
            _("%(forum)s. Producer: %(producer)s. Buyer: %(buyer)s.")
            % {"forum": forum.name, "producer": meeting.producer.name, "buyer": meeting.buyer.name},
        )
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
