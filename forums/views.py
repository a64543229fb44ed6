"""Meeting-request pages: ask to meet (from a product page or a sourcing need), the incoming
and outgoing lists, one request's page, and the accept / decline / cancel actions.

Views stay thin: an access helper (here or in `forums.selectors`) returns the object or raises
404, a form checks the input, one service does the work, and a MeetingRequestError becomes a
message (on the field it names, when there is one). Every change is a POST with CSRF.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from buyers.models import SourcingNeed
from buyers.selectors import buyer_for_user, needs_open_for_producer
from forums import selectors, services
from forums.forms import MeetingOfferForm, MeetingRequestForm, RequestFilterForm, ResponseForm
from forums.models import MeetingRequest
from forums.services import MeetingRequestError
from producers.models import Product
from producers.selectors import producer_for_user, product_for_page

PAGE_SIZE = 20
Side = MeetingRequest.Side
Status = MeetingRequest.Status


# --- Access helpers -------------------------------------------------------------------------


def _public_product_or_404(pk: int) -> Product:
    """A listing buyers may ask about: approved and public."""
    product = product_for_page(pk=pk)
    if product is None or not product.is_public:
        raise Http404
    return product


def _need_for_offer_or_404(request, pk: int) -> SourcingNeed:
    """A need the producer may offer on: open, unexpired, in their listings' categories."""
    queryset = needs_open_for_producer(user=request.user).select_related("buyer__country")
    return get_object_or_404(queryset, pk=pk)


def _next_or(request, fallback: str) -> str:
    """A same-site `next` URL from the form, or the fallback."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _posted(request):
    return request.POST if request.method == "POST" else None


def _form_error(form, error: MeetingRequestError) -> None:
    if error.code == "not_found":
        raise Http404
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --- Asking to meet -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request, product_pk: int):
    """A buyer asks the producer of a product page to meet."""
    if not request.user.is_buyer:
        raise Http404
    product = _public_product_or_404(product_pk)
    buyer = buyer_for_user(user=request.user)
    if buyer is None:
        messages.info(request, _("Please tell us about your organisation first."))
        return redirect("buyers:profile")
    form = MeetingRequestForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            meeting_request = services.meeting_request_create(
                user=request.user,
                buyer=buyer,
                producer=product.producer,
                product=product,
                initiated_by=Side.BUYER,
                **form.service_data(),
            )
        except MeetingRequestError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Your request is sent. %(producer)s has been emailed and can now answer it.")
                % {"producer": product.producer.name},
            )
            return redirect("forums:request_detail", pk=meeting_request.pk)
    return render(
        request,
        "forums/requests/form.html",
        {
            "form": form,
            "product": product,
            "producer": product.producer,
            "buyer": buyer,
            "expiry_days": settings.MEETING_REQUEST_EXPIRY_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_offer(request, need_pk: int):
    """A producer with an approved listing offers to meet the buyer of a sourcing need."""
    if not request.user.is_producer:
        raise Http404
    need = _need_for_offer_or_404(request, need_pk)
    producer = producer_for_user(user=request.user)
    if producer is None:
        raise Http404
    form = MeetingOfferForm(_posted(request), producer=producer)
    if request.method == "POST" and form.is_valid():
        try:
            meeting_request = services.meeting_request_create(
                user=request.user,
                buyer=need.buyer,
                producer=producer,
                need=need,
                initiated_by=Side.PRODUCER,
                **form.service_data(),
            )
        except MeetingRequestError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Your offer is sent. %(buyer)s has been emailed and can now answer it.")
                % {"buyer": need.buyer.name},
            )
            return redirect("forums:request_detail", pk=meeting_request.pk)
    return render(
        request,
        "forums/requests/form.html",
        {
            "form": form,
            "need": need,
            "producer": producer,
            "buyer": need.buyer,
            "expiry_days": settings.MEETING_REQUEST_EXPIRY_DAYS,
        },
    )


# --- Lists ----------------------------------------------------------------------------------


def _request_list(request, *, direction: str):
    form = RequestFilterForm(request.GET or None)
    status = form.status_value()
    if direction == "incoming":
        requests = selectors.meeting_requests_incoming(user=request.user, status=status)
    else:
        requests = selectors.meeting_requests_outgoing(user=request.user, status=status)
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "forums/requests/list.html",
        {
            "direction": direction,
            "form": form,
            "status": status,
            "page": page,
            "requests": page.object_list,
            "open_incoming": selectors.meeting_requests_incoming_open_count(user=request.user),
            "is_buyer_without_profile": request.user.is_buyer
            and buyer_for_user(user=request.user) is None,
        },
    )


@login_required
@require_safe
def requests_incoming(request):
    """Requests addressed to the user's side: the ones they answer."""
    return _request_list(request, direction="incoming")


@login_required
@require_safe
def requests_outgoing(request):
    """Requests the user's side sent: the ones they may cancel while pending."""
    return _request_list(request, direction="outgoing")


# --- One request ----------------------------------------------------------------------------


def _detail(request, meeting_request: MeetingRequest, *, form=None, status_code: int = 200):
    pending = meeting_request.current_status == Status.PENDING
    sides = selectors.meeting_request_sides_for_user(
        user=request.user, meeting_request=meeting_request
    )
    return render(
        request,
        "forums/requests/detail.html",
        {
            "mr": meeting_request,
            "may_answer": pending and selectors.receiving_side(meeting_request) in sides,
            "may_cancel": pending and meeting_request.initiated_by in sides,
            "contacts": selectors.meeting_request_contacts(meeting_request=meeting_request),
            "form": form or ResponseForm(),
            "meeting": getattr(meeting_request, "meeting", None),
        },
        status=status_code,
    )


@login_required
@require_safe
def request_detail(request, pk: int):
    meeting_request = selectors.meeting_request_for_user_or_404(user=request.user, pk=pk)
    return _detail(request, meeting_request)


def _success_message(action: str, meeting_request: MeetingRequest) -> str:
    if action == "accept" and meeting_request.forum_id is not None:
        return _(
            "You accepted the meeting request. The organisers of %(forum)s will give it a "
            "time and a table; both sides have been emailed."
        ) % {"forum": meeting_request.forum.name}
    if action == "accept":
        return _(
            "You accepted the meeting request. Both sides have been emailed; get in touch to "
            "agree when and where to meet."
        )
    if action == "decline":
        return _("You declined the meeting request. Both sides have been emailed.")
    return _("You cancelled the meeting request. Both sides have been emailed.")


def _act(request, pk: int, *, action: str):
    if action == "cancel":
        meeting_request = selectors.meeting_request_to_cancel_or_404(user=request.user, pk=pk)
        service = services.meeting_request_cancel
    else:
        meeting_request = selectors.meeting_request_to_answer_or_404(user=request.user, pk=pk)
        service = (
            services.meeting_request_accept
            if action == "accept"
            else services.meeting_request_decline
        )
    form = ResponseForm(request.POST)
    if not form.is_valid():
        return _detail(request, meeting_request, form=form, status_code=400)
    try:
        changed = service(
            meeting_request=meeting_request,
            user=request.user,
            message=form.cleaned_data["message"],
        )
    except MeetingRequestError as error:
        if error.code == "not_found":
            raise Http404 from None
        messages.error(request, error.message)
    else:
        messages.success(request, _success_message(action, changed))
    detail = reverse("forums:request_detail", args=[meeting_request.pk])
    return HttpResponseRedirect(_next_or(request, detail))


@login_required
@require_POST
def request_accept(request, pk: int):
    return _act(request, pk, action="accept")


@login_required
@require_POST
def request_decline(request, pk: int):
    return _act(request, pk, action="decline")


@login_required
@require_POST
def request_cancel(request, pk: int):
    return _act(request, pk, action="cancel")
