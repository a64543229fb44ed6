"""Organiser pages of a forum: create and edit it, booths, schedule (progress, review,
publish), mark meetings held, the dashboard and the exports.

Access goes through `forum_for_organiser_or_404`: people who are not organisers get 403, and
organisers get 404 for a forum they do not organise. Views stay thin: a form checks the
input, one service does the work, and its error becomes a message on the field it names.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forums import dashboard as dashboard_data
from forums import exports, scheduling, setup
from forums.forms_forum import (
    BoothForm,
    ForumForm,
    MeetingMarkForm,
    ScheduleStartForm,
    day_formset,
    error_attach,
    formset_day_plans,
    forum_form_errors_attach,
)
from forums.models import Forum, ForumBuyer, ForumProducer, Meeting, ScheduleRun

# --- Access helpers -------------------------------------------------------------------------


def organiser_required(view):
    """Organisers only: anonymous visitors are asked to log in, everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_organiser:
            raise PermissionDenied(_("Only organisers can manage forums."))
        return view(request, *args, **kwargs)

    return wrapper


def forum_for_organiser_or_404(user, pk: int) -> Forum:
    """A forum this user organises; any other forum does not exist for them."""
    return get_object_or_404(
        Forum.objects.select_related("province__country"), pk=pk, organisers=user
    )


def _forum_fields(form: ForumForm) -> dict:
    return {
        name: form.cleaned_data.get(name)
        for name in ForumForm.Meta.fields
        if name in form.cleaned_data
    }


# --- Forums ---------------------------------------------------------------------------------


@organiser_required
@require_safe
def forum_list(request):
    forums = (
        Forum.objects.filter(organisers=request.user)
        .select_related("province")
        .annotate(
            n_producers=Count("producer_entries", distinct=True),
            n_buyers=Count("buyer_entries", distinct=True),
        )
    )
    return render(request, "forums/forum/list.html", {"forums": forums})


@organiser_required
@require_http_methods(["GET", "POST"])
def forum_create(request):
    data = request.POST if request.method == "POST" else None
    form = ForumForm(data)
    formset = day_formset(data=data, extra=5)
    if data is not None:
        valid = form.is_valid() & formset.is_valid()
        if valid and forum_form_errors_attach(form, formset):
            try:
                organisers = setup.organisers_from_emails(emails=form.organiser_email_list())
                fields = _forum_fields(form)
                forum = setup.forum_create(
                    user=request.user,
                    days=formset_day_plans(formset),
                    organisers=organisers,
                    **fields,
                )
            except setup.ForumSetupError as error:
                error_attach(form, formset, error)
            else:
                messages.success(
                    request,
                    _("Forum created with %(count)s slots.") % {"count": forum.slots.count()},
                )
                return redirect("forum_pages:detail", pk=forum.pk)
    return render(
        request, "forums/forum/form.html", {"form": form, "formset": formset, "forum": None}
    )


@organiser_required
@require_http_methods(["GET", "POST"])
def forum_edit(request, pk: int):
    forum = forum_for_organiser_or_404(request.user, pk)
    data = request.POST if request.method == "POST" else None
    form = ForumForm(
        data,
        instance=forum,
        initial={
            "organiser_emails": ", ".join(
                u.email for u in forum.organisers.exclude(pk=request.user.pk)
            )
        },
    )
    formset = day_formset(data=data, days=list(forum.days.all()), extra=2)
    if data is not None:
        valid = form.is_valid() & formset.is_valid()
        if valid and forum_form_errors_attach(form, formset):
            try:
                organisers = setup.organisers_from_emails(emails=form.organiser_email_list())
                forum = setup.forum_update(
                    forum=Forum.objects.get(pk=forum.pk),
                    days=formset_day_plans(formset),
                    organisers=organisers,
                    **_forum_fields(form),
                )
            except setup.ForumSetupError as error:
                error_attach(form, formset, error)
            else:
                messages.success(request, _("Forum saved."))
                return redirect("forum_pages:detail", pk=forum.pk)
    return render(
        request, "forums/forum/form.html", {"form": form, "formset": formset, "forum": forum}
    )


@organiser_required
@require_safe
def forum_detail(request, pk: int):
    forum = forum_for_organiser_or_404(request.user, pk)
    slots = list(forum.slots.select_related("day").order_by("index"))
    return render(
        request,
        "forums/forum/detail.html",
        {
            "forum": forum,
            "days": forum.days.all(),
            "slots": slots,
            "organisers": forum.organisers.all(),
            "n_producers": forum.producer_entries.count(),
            "n_buyers": forum.buyer_entries.count(),
            "meeting_counts": Meeting.objects.filter(forum=forum).aggregate(
                total=Count("pk", filter=~Q(status=Meeting.Status.CANCELLED)),
                scheduled=Count(
                    "pk", filter=Q(slot__isnull=False) & ~Q(status=Meeting.Status.CANCELLED)
                ),
            ),
            "latest_run": scheduling.schedule_run_latest(forum=forum),
            "pending": scheduling.schedule_pending_changes(forum=forum),
        },
    )


@organiser_required
@require_POST
def forum_slots_regenerate(request, pk: int):
    forum = forum_for_organiser_or_404(request.user, pk)
    try:
        slots = setup.forum_slots_generate(forum=forum)
    except setup.ForumSetupError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(count)s slots generated.") % {"count": len(slots)})
    return redirect("forum_pages:detail", pk=forum.pk)


@organiser_required
@require_http_methods(["GET", "POST"])
def forum_participants(request, pk: int):
    forum = forum_for_organiser_or_404(request.user, pk)
    entries = list(
        ForumProducer.objects.filter(forum=forum)
        .select_related("producer__province")
        .order_by("producer__name")
    )
    form = BoothForm(request.POST if request.method == "POST" else None, entries=entries)
    if request.method == "POST" and form.is_valid():
        try:
            setup.forum_booths_assign(forum=forum, booths=form.booths())
        except setup.ForumSetupError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Booths saved."))
            return redirect("forum_pages:participants", pk=forum.pk)
    buyers = ForumBuyer.objects.filter(forum=forum).select_related("buyer__country")
    return render(
        request,
        "forums/forum/participants.html",
        {"forum": forum, "form": form, "buyers": buyers.order_by("buyer__name")},
    )


# --- Scheduling -----------------------------------------------------------------------------


@organiser_required
@require_http_methods(["GET", "POST"])
def forum_schedule(request, pk: int):
    forum = forum_for_organiser_or_404(request.user, pk)
    initial = {"kind": "changes" if forum.schedule_published_at else "full", "time_limit": 30}
    form = ScheduleStartForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            run = scheduling.schedule_run_start(
                forum=forum,
                user=request.user,
                kind=form.cleaned_data["kind"],
                time_limit=form.cleaned_data["time_limit"],
            )
        except scheduling.ScheduleError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect("forum_pages:run", pk=forum.pk, run_pk=run.pk)
    return render(
        request,
        "forums/forum/schedule.html",
        {
            "forum": forum,
            "form": form,
            "runs": forum.schedule_runs.all()[:10],
            "pending": scheduling.schedule_pending_changes(forum=forum),
        },
    )


@organiser_required
@require_safe
def schedule_run(request, pk: int, run_pk: int):
    forum = forum_for_organiser_or_404(request.user, pk)
    run = get_object_or_404(ScheduleRun, pk=run_pk, forum=forum)
    context = {"forum": forum, "run": run}
    if run.status in (ScheduleRun.Status.DONE, ScheduleRun.Status.PUBLISHED):
        meetings = list(
            Meeting.objects.filter(forum=forum)
            .select_related("draft_slot", "slot", "buyer", "producer", "product")
            .order_by("draft_slot__index", "draft_table", "pk")
        )
        summary = run.summary or {}
        top = max((row["load"] for row in summary.get("table_load", [])), default=0)
        context.update(
            {
                "scheduled": [m for m in meetings if m.draft_slot_id is not None],
                "unscheduled": [
                    m
                    for m in meetings
                    if m.draft_slot_id is None and m.status != Meeting.Status.CANCELLED
                ],
                "summary": summary,
                "load_rows": [
                    {"starts_at": dt.datetime.fromisoformat(row["starts_at"]), "load": row["load"]}
                    for row in summary.get("table_load", [])
                ],
                "load_top": top or 1,
                "latest": run.pk == scheduling.schedule_run_latest(forum=forum).pk,
                "n_moved": sum(
                    1
                    for m in meetings
                    if (m.slot_id, m.table)
                    != (
                        None if m.status == Meeting.Status.CANCELLED else m.draft_slot_id,
                        None
                        if m.status == Meeting.Status.CANCELLED or m.draft_slot_id is None
                        else m.draft_table,
                    )
                ),
            }
        )
    return render(request, "forums/forum/run.html", context)


@organiser_required
@require_POST
def schedule_run_publish(request, pk: int, run_pk: int):
    forum = forum_for_organiser_or_404(request.user, pk)
    run = get_object_or_404(ScheduleRun, pk=run_pk, forum=forum)
    try:
        outcome = scheduling.schedule_publish(run=run, user=request.user)
    except scheduling.ScheduleError as error:
        messages.error(request, error.message)
        return redirect("forum_pages:run", pk=forum.pk, run_pk=run.pk)
    if outcome.everyone:
        messages.success(request, _("Schedule published; every participant gets their agenda."))
    else:
        messages.success(
            request,
            _("Changes published; %(count)s participants affected are told.")
            % {"count": len(outcome.producers) + len(outcome.buyers)},
        )
    return redirect("forum_pages:detail", pk=forum.pk)


# --- After the forum ------------------------------------------------------------------------


@organiser_required
@require_safe
def forum_meetings(request, pk: int):
    forum = forum_for_organiser_or_404(request.user, pk)
    meetings = (
        Meeting.objects.filter(forum=forum, slot__isnull=False)
        .select_related("slot", "buyer", "producer", "product")
        .order_by("slot__index", "table")
    )
    return render(request, "forums/forum/meetings.html", {"forum": forum, "meetings": meetings})


@organiser_required
@require_POST
def meeting_mark(request, pk: int, meeting_pk: int):
    forum = forum_for_organiser_or_404(request.user, pk)
    meeting = get_object_or_404(Meeting, pk=meeting_pk, forum=forum)
    form = MeetingMarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose held, no-show or planned."))
    else:
        try:
            scheduling.meeting_mark(meeting=meeting, status=form.cleaned_data["status"])
        except scheduling.ScheduleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Meeting marked."))
    return redirect("forum_pages:meetings", pk=forum.pk)


# --- Dashboard and exports ------------------------------------------------------------------


@organiser_required
@require_safe
def forum_dashboard(request, pk: int):
    forum = forum_for_organiser_or_404(request.user, pk)
    data = dashboard_data.forum_dashboard(forum=forum)
    return render(
        request,
        "forums/forum/dashboard.html",
        {"forum": forum, "d": data, "export_kinds": exports.KINDS},
    )


@organiser_required
@require_safe
def forum_export(request, pk: int, kind: str, fmt: str):
    forum = forum_for_organiser_or_404(request.user, pk)
    if kind not in exports.KINDS or fmt not in ("csv", "xlsx"):
        raise Http404
    content, content_type, filename = exports.forum_export(forum=forum, kind=kind, fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
