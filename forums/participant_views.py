"""Participant pages of a forum: my forums, registering (a producer's business or a buyer's
organisation), unavailable slots, the agenda (with feedback after the forum) and the private
calendar feed.

A participant is a producer or buyer the user is a member of; pages show only those, and
anyone else gets 404. The feed is reached by its unguessable token alone (calendar apps do
not log in); a wrong token is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from buyers.models import Buyer
from forums import calendar, scheduling, setup
from forums.calendar import BUYER, PRODUCER, Participant
from forums.forms_forum import FeedbackForm, RegisterForm
from forums.models import Forum, ForumBuyer, ForumProducer, Meeting, MeetingFeedback, Slot
from producers.models import Producer

# --- Access helpers -------------------------------------------------------------------------


def _parties_of(user) -> tuple[list[Producer], list[Buyer]]:
    producers = list(Producer.objects.filter(members=user).order_by("name"))
    buyers = list(Buyer.objects.filter(members=user).order_by("name"))
    return producers, buyers


def participants_for_user(user, forum: Forum) -> list[Participant]:
    """The user's producers and buyers taking part in the forum (registered or meeting)."""
    producers, buyers = _parties_of(user)
    entries_p = {
        e.producer_id: e for e in ForumProducer.objects.filter(forum=forum, producer__in=producers)
    }
    entries_b = {e.buyer_id: e for e in ForumBuyer.objects.filter(forum=forum, buyer__in=buyers)}
    meeting_pairs = set(
        Meeting.objects.filter(forum=forum)
        .filter(Q(producer__in=producers) | Q(buyer__in=buyers))
        .values_list("producer_id", "buyer_id")
    )
    out = []
    for p in producers:
        if p.pk in entries_p or any(pid == p.pk for pid, _b in meeting_pairs):
            out.append(Participant(PRODUCER, p.pk, p.name, entries_p.get(p.pk)))
    for b in buyers:
        if b.pk in entries_b or any(bid == b.pk for _p, bid in meeting_pairs):
            out.append(Participant(BUYER, b.pk, b.name, entries_b.get(b.pk)))
    return out


def _forum_or_404(pk: int) -> Forum:
    return get_object_or_404(Forum.objects.select_related("province__country"), pk=pk)


def _registered_or_404(user, forum: Forum) -> list[Participant]:
    parties = [p for p in participants_for_user(user, forum) if p.entry is not None]
    if not parties:
        raise Http404
    return parties


# --- Pages ----------------------------------------------------------------------------------


@login_required
@require_safe
def forums_mine(request):
    producers, buyers = _parties_of(request.user)
    mine = (
        Forum.objects.filter(
            Q(producer_entries__producer__in=producers) | Q(buyer_entries__buyer__in=buyers)
        )
        .select_related("province")
        .distinct()
    )
    open_forums = (
        Forum.objects.filter(status=Forum.Status.OPEN)
        .exclude(pk__in=mine.values("pk"))
        .select_related("province")
    )
    return render(
        request,
        "forums/forum/mine.html",
        {"mine": mine, "open_forums": open_forums, "has_party": bool(producers or buyers)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def forum_register(request, pk: int):
    forum = _forum_or_404(pk)
    producers, buyers = _parties_of(request.user)
    choices = [(f"producer:{p.pk}", p.name) for p in producers] + [
        (f"buyer:{b.pk}", b.name) for b in buyers
    ]
    registered = [p for p in participants_for_user(request.user, forum) if p.entry is not None]
    taken = {f"{p.kind}:{p.party_id}" for p in registered}
    choices = [c for c in choices if c[0] not in taken]
    form = RegisterForm(
        request.POST if request.method == "POST" else None,
        choices=choices,
        initial={"party": choices[0][0] if choices else None},
    )
    if request.method == "POST" and form.is_valid():
        kind, _sep, party_pk = form.cleaned_data["party"].partition(":")
        try:
            if kind == PRODUCER:
                setup.forum_producer_register(
                    forum=forum,
                    producer=next(p for p in producers if p.pk == int(party_pk)),
                    user=request.user,
                )
            else:
                setup.forum_buyer_register(
                    forum=forum,
                    buyer=next(b for b in buyers if b.pk == int(party_pk)),
                    user=request.user,
                )
        except setup.ForumSetupError as error:
            form.add_error("party", error.message)
        else:
            messages.success(
                request,
                _("You are registered for %(forum)s. Now mark when you cannot meet.")
                % {"forum": forum.name},
            )
            return redirect("forum_pages:availability", pk=forum.pk)
    return render(
        request,
        "forums/forum/register.html",
        {
            "forum": forum,
            "form": form,
            "registered": registered,
            "choices": choices,
            "days": forum.days.all(),
            "is_closed": forum.status == Forum.Status.CLOSED,
        },
    )


def _entry_choice(request, parties: list[Participant]) -> Participant:
    wanted = request.POST.get("party") or request.GET.get("party")
    for party in parties:
        if wanted == f"{party.kind}:{party.party_id}":
            return party
    return parties[0]


@login_required
@require_http_methods(["GET", "POST"])
def forum_availability(request, pk: int):
    forum = _forum_or_404(pk)
    parties = _registered_or_404(request.user, forum)
    party = _entry_choice(request, parties)
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("unavailable") if v.isdigit()]
        setup.forum_availability_set(entry=party.entry, unavailable_slot_ids=ids)
        messages.success(request, _("Your availability is saved."))
        return redirect(f"{request.path}?party={party.kind}:{party.party_id}")
    blocked = set(party.entry.unavailable_slots.values_list("pk", flat=True))
    grid: list[dict] = []
    for slot in Slot.objects.filter(forum=forum).select_related("day").order_by("index"):
        if not grid or grid[-1]["day"] != slot.day:
            grid.append({"day": slot.day, "sessions": []})
        sessions = grid[-1]["sessions"]
        if not sessions or sessions[-1]["session"] != slot.session:
            sessions.append(
                {"session": slot.session, "label": slot.get_session_display(), "slots": []}
            )
        sessions[-1]["slots"].append({"slot": slot, "blocked": slot.pk in blocked})
    return render(
        request,
        "forums/forum/availability.html",
        {"forum": forum, "party": party, "parties": parties, "grid": grid},
    )


@login_required
@require_safe
def forum_agenda(request, pk: int):
    forum = _forum_or_404(pk)
    parties = participants_for_user(request.user, forum)
    if not parties:
        raise Http404
    booths = calendar.booths_by_producer(forum)
    sections = []
    for party in parties:
        meetings = list(
            calendar.agenda_meetings(forum=forum, kind=party.kind, party_id=party.party_id)
        )
        given = {
            f.meeting_id: f
            for f in MeetingFeedback.objects.filter(
                meeting__in=[m.pk for m in meetings], side=party.kind
            )
        }
        rows = [
            {
                "meeting": m,
                "other": m.buyer.name if party.kind == PRODUCER else m.producer.name,
                "booth": booths.get(m.producer_id, ""),
                "feedback": given.get(m.pk),
                "feedback_form": FeedbackForm(instance=given.get(m.pk), prefix=f"m{m.pk}")
                if m.status == Meeting.Status.HELD
                else None,
            }
            for m in meetings
        ]
        sections.append({"party": party, "rows": rows})
    return render(request, "forums/forum/agenda.html", {"forum": forum, "sections": sections})


@login_required
@require_POST
def meeting_feedback(request, pk: int, meeting_pk: int):
    forum = _forum_or_404(pk)
    meeting = get_object_or_404(Meeting, pk=meeting_pk, forum=forum)
    parties = [
        p
        for p in participants_for_user(request.user, forum)
        if (p.kind == PRODUCER and p.party_id == meeting.producer_id)
        or (p.kind == BUYER and p.party_id == meeting.buyer_id)
    ]
    if not parties:
        raise Http404
    party = parties[0]
    form = FeedbackForm(request.POST, prefix=f"m{meeting.pk}")
    if form.is_valid():
        try:
            scheduling.meeting_feedback_give(
                meeting=meeting,
                user=request.user,
                side=party.kind,
                rating=form.cleaned_data["rating"],
                outcome=form.cleaned_data["outcome"],
                comment=form.cleaned_data["comment"],
            )
        except scheduling.ScheduleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Thank you for your feedback."))
    else:
        messages.error(
            request,
            _("Feedback not saved: %(errors)s")
            % {
                "errors": "; ".join(
                    f"{form[k].label}: {' '.join(v)}" for k, v in form.errors.items()
                )
            },
        )
    return redirect("forum_pages:agenda", pk=forum.pk)


@require_safe
def calendar_feed(request, token: str):
    participant = participant_for_token_or_404(token)
    forum = participant.entry.forum
    content = calendar.agenda_ics(forum=forum, participant=participant)
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="agenda.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


def participant_for_token_or_404(token: str) -> Participant:
    participant = calendar.participant_for_token(token)
    if participant is None:
        raise Http404
    return participant
