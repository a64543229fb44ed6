"""Meeting-request emails: each member of a side gets one, in their own language.

Who is told: a new request goes to the side it is addressed to; an answer (accepted,
declined, cancelled) and an expiry go to both sides. These functions are called after the
change is committed (`transaction.on_commit`), so they read the request fresh by its id.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from forum_market import l10n
from forums.models import MeetingRequest

Side = MeetingRequest.Side
EVENTS = ("created", "accepted", "declined", "cancelled", "expired")


def _requests(ids: Iterable[int]):
    return (
        MeetingRequest.objects.filter(pk__in=list(ids))
        .select_related("buyer", "producer", "product", "need__category", "forum__province")
        .prefetch_related("buyer__members", "producer__members")
        .order_by("pk")
    )


def _recipients(meeting_request: MeetingRequest, event: str) -> list[tuple[User, str]]:
    """(member, their side) for everyone to tell, each address once."""
    receiving = Side.PRODUCER if meeting_request.initiated_by == Side.BUYER else Side.BUYER
    sides = [receiving] if event == "created" else [Side.BUYER, Side.PRODUCER]
    seen: set[str] = set()
    recipients = []
    for side in sides:
        side_object = meeting_request.buyer if side == Side.BUYER else meeting_request.producer
        for member in sorted(side_object.members.all(), key=lambda user: user.pk):
            if member.is_active and member.email and member.email not in seen:
                seen.add(member.email)
                recipients.append((member, side))
    return recipients


def _lead(event: str, *, is_initiator: bool, names: dict) -> tuple[str, str]:
    """The subject and the first sentence, for the reader's side of the request."""
    if event == "created":
        subject = _("%(other)s would like to meet you") % names
        if names["need"] and names["offer"] and names["product"]:
            lead = (
                _(
                    "%(other)s offers to meet you about your sourcing need “%(need)s”, with "
                    "their product “%(product)s”."
                )
                % names
            )
        elif names["need"] and names["offer"]:
            lead = _("%(other)s offers to meet you about your sourcing need “%(need)s”.") % names
        elif names["product"]:
            lead = _("%(other)s would like to meet you about “%(product)s”.") % names
        else:
            lead = _("%(other)s would like to meet you.") % names
    elif event == "accepted":
        if is_initiator:
            subject = _("%(other)s accepted your meeting request") % names
            lead = _("%(other)s accepted your meeting request.") % names
        else:
            subject = _("You accepted the meeting request from %(other)s") % names
            lead = _("%(actor)s accepted the meeting request from %(other)s.") % names
    elif event == "declined":
        if is_initiator:
            subject = _("%(other)s declined your meeting request") % names
            lead = _("%(other)s declined your meeting request.") % names
        else:
            subject = _("You declined the meeting request from %(other)s") % names
            lead = _("%(actor)s declined the meeting request from %(other)s.") % names
    elif event == "cancelled":
        if is_initiator:
            subject = _("Your meeting request to %(other)s is cancelled") % names
            lead = _("%(actor)s cancelled your meeting request to %(other)s.") % names
        else:
            subject = _("%(other)s cancelled their meeting request") % names
            lead = _("%(other)s cancelled their meeting request to you.") % names
    elif event == "expired":
        if is_initiator:
            subject = _("Your meeting request to %(other)s expired") % names
            lead = (
                _(
                    "Your meeting request to %(other)s expired without an answer. You can send "
                    "a new one if you still want to meet."
                )
                % names
            )
        else:
            subject = _("The meeting request from %(other)s expired") % names
            lead = (
                _(
                    "The meeting request from %(other)s expired before anyone answered it. "
                    "They can send a new one."
                )
                % names
            )
    else:
        raise ValueError(f"Unknown meeting-request event: {event}")
    return subject, lead


def _messages_for(
    meeting_request: MeetingRequest, event: str, actor: User | None
) -> list[EmailMultiAlternatives]:
    link = settings.SITE_URL + reverse("forums:request_detail", args=[meeting_request.pk])
    contacts = None
    if event == "accepted":
        contacts = {
            "buyer_emails": [m.email for m in meeting_request.buyer.members.all() if m.is_active],
            "producer_emails": [
                m.email for m in meeting_request.producer.members.all() if m.is_active
            ],
            "producer_phone": meeting_request.producer.phone,
            "producer_email": meeting_request.producer.email,
        }
    messages = []
    for member, side in _recipients(meeting_request, event):
        is_initiator = side == meeting_request.initiated_by
        other = meeting_request.producer if side == Side.BUYER else meeting_request.buyer
        with translation.override(member.language or settings.LANGUAGE_CODE):
            names = {
                "other": other.name,
                "actor": actor.get_full_name() if actor else "",
                "product": meeting_request.product.display_name if meeting_request.product else "",
                "need": str(meeting_request.need.category) if meeting_request.need else "",
                "offer": meeting_request.initiated_by == Side.PRODUCER,
            }
            subject, lead = _lead(event, is_initiator=is_initiator, names=names)
            context = {
                "member": member,
                "event": event,
                "meeting_request": meeting_request,
                "is_initiator": is_initiator,
                "lead": lead,
                "names": names,
                "contacts": contacts,
                # In the forum's time zone, where the two sides will meet.
                "expires": l10n.format_datetime(
                    meeting_request.expires_at,
                    tz=meeting_request.forum.time_zone if meeting_request.forum else None,
                ),
                "link": link,
            }
            text = render_to_string("forums/email/meeting_request.txt", context)
            html = render_to_string("forums/email/meeting_request.html", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=text,
            to=[member.email],
        )
        message.attach_alternative(html, "text/html")
        messages.append(message)
    return messages


def _send(messages: list[EmailMultiAlternatives]) -> int:
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0


def meeting_request_email_send(
    *, meeting_request_id: int, event: str, actor_id: int | None = None
) -> int:
    """Tell the people concerned that a request was created, accepted, declined or
    cancelled (by the user `actor_id`). Returns how many emails were sent."""
    if event not in EVENTS:
        raise ValueError(f"Unknown meeting-request event: {event}")
    meeting_request = _requests([meeting_request_id]).first()
    if meeting_request is None:
        return 0
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return _send(_messages_for(meeting_request, event, actor))


def meeting_requests_expired_email_send(*, meeting_request_ids: Iterable[int]) -> int:
    """Tell both sides of each request that it expired; one connection for the batch."""
    messages = []
    for meeting_request in _requests(meeting_request_ids):
        messages.extend(_messages_for(meeting_request, "expired", None))
    return _send(messages)


# --- Forum agendas (appended for the forum pages; see forums/scheduling.py) ----------------


def forum_agendas_email_send(
    *, forum_id: int, producer_ids: Iterable[int], buyer_ids: Iterable[int], event: str
) -> int:
    """Email each member of these participants their agenda for the forum, with an .ics
    attachment, in their own language. `event` is "published" (the first publication) or
    "changed" (a re-publication that moved their meetings). Returns how many were sent."""
    from buyers.models import Buyer
    from forums import calendar
    from forums.models import Forum
    from producers.models import Producer

    forum = Forum.objects.select_related("province").filter(pk=forum_id).first()
    if forum is None:
        return 0
    booths = calendar.booths_by_producer(forum)
    parties = [
        calendar.Participant(calendar.PRODUCER, p.pk, p.name)
        for p in Producer.objects.filter(pk__in=list(producer_ids)).prefetch_related("members")
    ] + [
        calendar.Participant(calendar.BUYER, b.pk, b.name)
        for b in Buyer.objects.filter(pk__in=list(buyer_ids)).prefetch_related("members")
    ]
    members = {
        (calendar.PRODUCER, p.pk): list(p.members.all())
        for p in Producer.objects.filter(pk__in=list(producer_ids)).prefetch_related("members")
    }
    members.update(
        {
            (calendar.BUYER, b.pk): list(b.members.all())
            for b in Buyer.objects.filter(pk__in=list(buyer_ids)).prefetch_related("members")
        }
    )
    link = settings.SITE_URL + reverse("forum_pages:agenda", args=[forum.pk])
    zone = forum.time_zone
    messages = []
    for party in parties:
        meetings = list(
            calendar.agenda_meetings(forum=forum, kind=party.kind, party_id=party.party_id)
        )
        seen: set[str] = set()
        for member in sorted(members.get((party.kind, party.party_id), []), key=lambda u: u.pk):
            if not member.is_active or not member.email or member.email in seen:
                continue
            seen.add(member.email)
            with (
                translation.override(member.language or settings.LANGUAGE_CODE),
                timezone.override(zone),
            ):
                if event == "changed":
                    subject = _("Your agenda for %(forum)s has changed") % {"forum": forum.name}
                else:
                    subject = _("Your agenda for %(forum)s") % {"forum": forum.name}
                rows = [
                    {
                        "when": l10n.format_slot(m.slot.starts_at, m.slot.ends_at, zone),
                        "other": (
                            m.buyer.name if party.kind == calendar.PRODUCER else m.producer.name
                        ),
                        "product": m.product.display_name if m.product else "",
                        "table": m.table,
                        "booth": booths.get(m.producer_id, ""),
                    }
                    for m in meetings
                ]
                context = {
                    "member": member,
                    "forum": forum,
                    "party": party,
                    "rows": rows,
                    "event": event,
                    "link": link,
                    "time_zone": zone,
                }
                text = render_to_string("forums/forum/email/agenda.txt", context)
                html = render_to_string("forums/forum/email/agenda.html", context)
                ics = calendar.agenda_ics(forum=forum, participant=party)
            message = EmailMultiAlternatives(
                subject=" ".join(subject.split()), body=text, to=[member.email]
            )
            message.attach_alternative(html, "text/html")
            message.attach("agenda.ics", ics, "text/calendar; charset=utf-8; method=PUBLISH")
            messages.append(message)
    return _send(messages)
