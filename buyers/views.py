"""Pages for buyers (profile, dashboard, their sourcing needs) and for producers browsing needs.

Views stay thin: objects are fetched only through the `_get_*` helpers below, which return
the object or raise 404, and every change goes through a service.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buyers.forms import BuyerProfileForm, SourcingNeedForm
from buyers.models import Buyer, SourcingNeed
from buyers.selectors import (
    buyer_for_user,
    needs_editable_by,
    needs_for_buyer,
    needs_open_for_producer,
    needs_visible_to,
    producer_has_approved_listing,
)
from buyers.services import (
    buyer_profile_save,
    sourcing_need_close,
    sourcing_need_create,
    sourcing_need_reopen,
    sourcing_need_update,
)

PAGE_SIZE = 20


def _get_buyer_for_user(request) -> Buyer | None:
    """The user's buyer organisation, or None before they made one; 404 for non-buyers."""
    if not request.user.is_buyer:
        raise Http404
    return buyer_for_user(user=request.user)


def _get_need_for_member(request, pk: int) -> SourcingNeed:
    """A need the user may change (they belong to its buyer), or 404."""
    queryset = needs_editable_by(user=request.user).select_related("buyer__country", "unit")
    return get_object_or_404(queryset, pk=pk)


def _get_need_for_viewer(request, pk: int) -> SourcingNeed:
    """A need the user may read, or 404."""
    queryset = needs_visible_to(user=request.user).select_related(
        "buyer__country", "buyer__province", "category__parent", "unit"
    )
    queryset = queryset.prefetch_related(
        "provinces", "required_certifications", "preferred_certifications"
    )
    return get_object_or_404(queryset, pk=pk)


def _redirect_to_profile(request):
    messages.info(request, _("Please tell us about your organisation first."))
    return redirect("buyers:profile")


def _posted(request):
    return request.POST if request.method == "POST" else None


@login_required
def dashboard(request):
    buyer = _get_buyer_for_user(request)
    if buyer is None:
        return _redirect_to_profile(request)
    needs = needs_for_buyer(buyer=buyer)
    return render(request, "buyers/dashboard.html", {"buyer": buyer, "needs": needs})


@login_required
def profile(request):
    buyer = _get_buyer_for_user(request)
    form = BuyerProfileForm(_posted(request), instance=buyer)
    if request.method == "POST" and form.is_valid():
        try:
            buyer_profile_save(user=request.user, buyer=buyer, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your organisation’s profile is saved."))
            return redirect("buyers:dashboard")
    return render(request, "buyers/profile_form.html", {"form": form, "buyer": buyer})


@login_required
def need_create(request):
    buyer = _get_buyer_for_user(request)
    if buyer is None:
        return _redirect_to_profile(request)
    form = SourcingNeedForm(_posted(request), buyer=buyer)
    if request.method == "POST" and form.is_valid():
        try:
            sourcing_need_create(buyer=buyer, **form.service_data())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your sourcing need is published."))
            return redirect("buyers:dashboard")
    return render(request, "buyers/need_form.html", {"form": form, "buyer": buyer})


@login_required
def need_edit(request, pk: int):
    need = _get_need_for_member(request, pk)
    form = SourcingNeedForm(_posted(request), instance=need, buyer=need.buyer)
    if request.method == "POST" and form.is_valid():
        try:
            sourcing_need_update(need=need, data=form.service_data())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("buyers:dashboard")
    return render(
        request, "buyers/need_form.html", {"form": form, "buyer": need.buyer, "need": need}
    )


@login_required
@require_POST
def need_close(request, pk: int):
    need = _get_need_for_member(request, pk)
    sourcing_need_close(need=need)
    messages.success(request, _("The need is closed. Producers no longer see it."))
    return redirect("buyers:dashboard")


@login_required
@require_POST
def need_reopen(request, pk: int):
    need = _get_need_for_member(request, pk)
    need = sourcing_need_reopen(need=need)
    if need.deadline_passed:
        messages.warning(
            request,
            _(
                "The need is open again, but its deadline has passed: change the deadline "
                "so that producers can see it."
            ),
        )
    else:
        messages.success(request, _("The need is open again."))
    return redirect("buyers:dashboard")


@login_required
def needs_for_producer(request):
    if not request.user.is_producer:
        raise Http404
    can_browse = producer_has_approved_listing(user=request.user)
    page = None
    if can_browse:
        needs = needs_open_for_producer(user=request.user)
        page = Paginator(needs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "buyers/needs_for_producer.html", {"can_browse": can_browse, "page": page}
    )


@login_required
def need_detail(request, pk: int):
    need = _get_need_for_viewer(request, pk)
    is_member = needs_editable_by(user=request.user).filter(pk=need.pk).exists()
    return render(request, "buyers/need_detail.html", {"need": need, "is_member": is_member})
