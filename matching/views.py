"""Pages: a buyer's suggested producers per need, a producer's suggested buyers, and the
organisers' runs and weights.

Views stay thin: objects come from the `*_or_404` selectors (a buyer asking for another
buyer's need learns nothing), every change goes through a service, and a refusal from a
service becomes a message.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from forums.models import Forum, MeetingRequest
from forums.services import MeetingRequestError
from matching import selectors, services
from matching.forms import MatchingWeightsForm, RunStartForm
from matching.models import Dismissal
from matching.reasons import BUYER, PRODUCER, ReasonContext, reasons
from producers.permissions import producer_required

PAGE_SIZE = 10
RUNS_PAGE_SIZE = 20


def organiser_required(view):
    """Organisers only: anonymous visitors are asked to log in, everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_organiser:
            raise PermissionDenied(_("Only organisers can manage matching."))
        return view(request, *args, **kwargs)

    return wrapper


def _next_or(request, fallback: str) -> str:
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _items(page, audience: str) -> list[dict]:
    context = ReasonContext.load()
    return [
        {"suggestion": s, "reasons": reasons(s, context=context, audience=audience)} for s in page
    ]


# --- buyers -----------------------------------------------------------------------------------


@login_required
def need_suggestions(request, pk: int):
    need = selectors.need_for_member_or_404(user=request.user, pk=pk)
    page = Paginator(selectors.suggestions_for_need(need=need), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "matching/need_suggestions.html",
        {"need": need, "page": page, "items": _items(page, BUYER)},
    )


@login_required
@require_POST
def suggestion_request(request, pk: int):
    suggestion = selectors.suggestion_for_buyer_or_404(user=request.user, pk=pk)
    back = _next_or(request, reverse("matching:need_suggestions", args=[suggestion.need_id]))
    try:
        services.suggestion_meeting_request(
            user=request.user, suggestion=suggestion, side=MeetingRequest.Side.BUYER
        )
    except MeetingRequestError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Meeting request sent to %(producer)s. You will get an email when they answer.")
            % {"producer": suggestion.producer.name},
        )
    return redirect(back)


@login_required
@require_POST
def suggestion_dismiss_buyer(request, pk: int):
    suggestion = selectors.suggestion_for_buyer_or_404(user=request.user, pk=pk)
    services.suggestion_dismiss(user=request.user, suggestion=suggestion, side=Dismissal.Side.BUYER)
    messages.success(
        request,
        _("“%(product)s” is hidden from this need’s suggestions and will not come back.")
        % {"product": suggestion.product.display_name},
    )
    return redirect(
        _next_or(request, reverse("matching:need_suggestions", args=[suggestion.need_id]))
    )


# --- producers --------------------------------------------------------------------------------


@producer_required
def producer_suggestions(request):
    page = Paginator(
        selectors.suggestions_for_producer(producer=request.producer), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "matching/producer_suggestions.html",
        {"producer": request.producer, "page": page, "items": _items(page, PRODUCER)},
    )


@login_required
@require_POST
def suggestion_offer(request, pk: int):
    suggestion = selectors.suggestion_for_producer_or_404(user=request.user, pk=pk)
    back = _next_or(request, reverse("matching:producer_suggestions"))
    try:
        services.suggestion_meeting_request(
            user=request.user, suggestion=suggestion, side=MeetingRequest.Side.PRODUCER
        )
    except MeetingRequestError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Offer to meet sent to %(buyer)s. You will get an email when they answer.")
            % {"buyer": suggestion.buyer.name},
        )
    return redirect(back)


@login_required
@require_POST
def suggestion_dismiss_producer(request, pk: int):
    suggestion = selectors.suggestion_for_producer_or_404(user=request.user, pk=pk)
    services.suggestion_dismiss(
        user=request.user, suggestion=suggestion, side=Dismissal.Side.PRODUCER
    )
    messages.success(
        request,
        _("This need of %(buyer)s is hidden from your suggestions and will not come back.")
        % {"buyer": suggestion.buyer.name},
    )
    return redirect(_next_or(request, reverse("matching:producer_suggestions")))


# --- organisers -------------------------------------------------------------------------------


@organiser_required
@require_http_methods(["GET", "POST"])
def runs(request):
    form = RunStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        run = services.match_run_start(forum=form.cleaned_data["forum"], user=request.user)
        messages.success(request, _("Run #%(run)s started.") % {"run": run.pk})
        return redirect("matching:runs")
    page = Paginator(selectors.runs_recent(), RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "matching/runs.html",
        {
            "form": form,
            "page": page,
            "refresh": any(run.is_active for run in page),
        },
    )


@organiser_required
@require_http_methods(["GET", "POST"])
def weights(request, forum_pk: int | None = None):
    forum = get_object_or_404(Forum, pk=forum_pk) if forum_pk is not None else None
    instance = selectors.weights_row(forum=forum)
    form = MatchingWeightsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.matching_weights_save(forum=forum, data=form.cleaned_data, user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The weights are saved. The next run uses them."))
            return redirect(request.path)
    forums = Forum.objects.order_by("-created_at").only("pk", "name")
    return render(
        request, "matching/weights.html", {"form": form, "forum": forum, "forums": forums}
    )
