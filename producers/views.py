"""Pages for producers (profile, listings), organisers (review queue) and everyone (catalogue).

Views stay thin: an access helper from `permissions` fetches the object (or 404s), a form
checks the input, one service does the work, and a ListingError becomes a message.
"""

from __future__ import annotations

import mimetypes
import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from producers import selectors, services
from producers.filters import CatalogueFilterSet
from producers.forms import (
    HeldCertificationForm,
    PhotoUploadForm,
    ProducerForm,
    ProductForm,
    RejectForm,
)
from producers.models import MAX_PHOTOS, Product
from producers.permissions import (
    held_certification_for_member_or_404,
    held_certification_for_viewer_or_404,
    is_member,
    organiser_required,
    photo_for_member_or_404,
    producer_required,
    producer_user_required,
    product_for_member_or_404,
    product_for_review_or_404,
    product_visible_or_404,
)
from producers.services import ListingError

CATALOGUE_PAGE_SIZE = 24
# Filters folded under "More filters" on the catalogue page unless one is in use.
CATALOGUE_MORE_FILTERS = (
    "certification",
    "min_stars",
    "min_capacity",
    "capacity_unit",
    "currency",
    "min_price",
    "max_price",
)
REVIEW_PAGE_SIZE = 10
Status = Product.Status


def _next_or(request, fallback: str) -> str:
    """A same-site `next` URL from the form, or the fallback."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _page(request, items, per_page: int, paginator_class: type[Paginator] = Paginator):
    """The requested page; a missing or past-the-end page shows the nearest one, and says so."""
    paginator = paginator_class(items, per_page)
    asked = request.GET.get("page")
    page = paginator.get_page(asked)
    if asked not in (None, "", str(page.number)):
        messages.info(
            request,
            _("There is no page “%(asked)s”; showing page %(page)s of %(pages)s.")
            % {"asked": asked[:20], "page": page.number, "pages": paginator.num_pages},
        )
    return page


# --- Home and catalogue ---------------------------------------------------------------------


@require_safe
def home(request):
    return render(request, "producers/home.html", {"products": selectors.products_newest(limit=8)})


@require_safe
def catalogue_list(request):
    """Search and filters in the URL; bad values are dropped with a message by the field."""
    filterset = CatalogueFilterSet(
        request.GET, queryset=selectors.products_for_cards(Product.objects.all())
    )
    page = _page(
        request, filterset.qs, CATALOGUE_PAGE_SIZE, paginator_class=selectors.DeferredJoinPaginator
    )
    form = filterset.form
    return render(
        request,
        "producers/catalogue_list.html",
        {
            "form": form,
            "page": page,
            "products": page.object_list,
            "searching": bool(form.cleaned_data.get("q")),
            "more_filters": any(request.GET.get(name) for name in CATALOGUE_MORE_FILTERS),
        },
    )


@require_safe
def catalogue_detail(request, pk: int):
    product, preview = product_visible_or_404(request.user, pk)
    return render(
        request,
        "producers/catalogue_detail.html",
        {
            "product": product,
            "preview": preview,
            "certifications": selectors.certifications_verified(product=product),
            "is_organiser": getattr(request.user, "is_organiser", False),
            "is_member": is_member(request.user, product),
        },
    )


# --- Producer profile -----------------------------------------------------------------------


@producer_user_required
@require_http_methods(["GET", "POST"])
def profile_create(request):
    if selectors.producer_for_user(user=request.user) is not None:
        return redirect("producers:profile_edit")
    form = ProducerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        services.producer_create(user=request.user, **form.service_data())
        messages.success(request, _("Your business profile is saved. Now add your products."))
        return redirect("producers:dashboard")
    return render(request, "producers/profile_form.html", {"form": form, "creating": True})


@producer_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    form = ProducerForm(request.POST or None, request.FILES or None, instance=request.producer)
    if request.method == "POST" and form.is_valid():
        services.producer_update(producer=request.producer, data=form.service_data())
        messages.success(request, _("Your business profile is saved."))
        return redirect("producers:dashboard")
    return render(request, "producers/profile_form.html", {"form": form, "creating": False})


# --- Listings -------------------------------------------------------------------------------


@producer_required
@require_safe
def dashboard(request):
    products = selectors.products_for_producer(producer=request.producer)
    return render(
        request,
        "producers/dashboard.html",
        {"producer": request.producer, "products": products},
    )


@producer_required
@require_http_methods(["GET", "POST"])
def product_create(request):
    form = ProductForm(request.POST or None, producer=request.producer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(producer=request.producer, **form.listing_data())
        except ListingError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(
                request, _("Listing saved as a draft. Add photos, then submit it for review.")
            )
            return redirect("producers:product_detail", pk=product.pk)
    return render(request, "producers/product_form.html", {"form": form, "product": None})


def _manage_context(product: Product, **forms) -> dict:
    revision = None
    if product.status == Status.APPROVED and product.revision_of_id is None:
        revision = selectors.product_revision(product=product)
    photos = list(product.photos.all())
    return {
        "product": product,
        "revision": revision,
        "photos": photos,
        "certifications": list(product.certifications.select_related("certification")),
        "editable": product.status in (Status.DRAFT, Status.REJECTED),
        "can_add_photos": len(photos) < MAX_PHOTOS,
        "max_photos": MAX_PHOTOS,
        "photo_form": forms.get("photo_form") or PhotoUploadForm(),
        "certification_form": forms.get("certification_form") or HeldCertificationForm(),
    }


@producer_required
@require_safe
def product_detail(request, pk: int):
    product = product_for_member_or_404(request.user, pk)
    return render(request, "producers/product_detail.html", _manage_context(product))


@producer_required
@require_http_methods(["GET", "POST"])
def product_edit(request, pk: int):
    product = product_for_member_or_404(request.user, pk)
    if product.status == Status.APPROVED:
        revision = selectors.product_revision(product=product)
        if revision is not None:
            return redirect("producers:product_edit", pk=revision.pk)
    if product.status == Status.SUBMITTED:
        messages.info(
            request, _("This listing is waiting for review; you can change it after the decision.")
        )
        return redirect("producers:product_detail", pk=product.pk)
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.product_update(product=product, data=form.listing_data())
        except ListingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if changed.pk != product.pk:
                messages.success(
                    request,
                    _(
                        "Your changes are saved as a draft. Buyers keep seeing the current "
                        "listing until an organiser approves your changes: submit them when "
                        "they are ready."
                    ),
                )
            else:
                messages.success(request, _("Your changes are saved."))
            return redirect("producers:product_detail", pk=changed.pk)
    return render(request, "producers/product_form.html", {"form": form, "product": product})


@producer_required
@require_http_methods(["GET", "POST"])
def product_delete(request, pk: int):
    product = product_for_member_or_404(request.user, pk)
    if request.method == "POST":
        original_pk = product.revision_of_id
        try:
            services.product_delete(product=product)
        except ListingError as exc:
            messages.error(request, exc.message)
            return redirect("producers:product_detail", pk=product.pk)
        if original_pk:
            messages.success(request, _("Your changes are discarded."))
            return redirect("producers:product_detail", pk=original_pk)
        messages.success(request, _("The listing is deleted."))
        return redirect("producers:dashboard")
    return render(request, "producers/product_confirm_delete.html", {"product": product})


@producer_required
@require_POST
def product_submit(request, pk: int):
    product = product_for_member_or_404(request.user, pk)
    try:
        services.product_submit(product=product)
    except ListingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Submitted. An organiser will review it; you will get an email.")
        )
    return redirect("producers:product_detail", pk=product.pk)


@producer_required
@require_POST
def product_revise(request, pk: int):
    product = product_for_member_or_404(request.user, pk)
    try:
        revision = services.product_revision_get_or_create(product=product)
    except ListingError as exc:
        messages.error(request, exc.message)
        return redirect("producers:product_detail", pk=product.pk)
    return redirect("producers:product_detail", pk=revision.pk)


@producer_required
@require_POST
def photo_upload(request, pk: int):
    product = product_for_member_or_404(request.user, pk)
    form = PhotoUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            target, photos = services.product_photos_add(
                product=product, images=form.cleaned_data["images"]
            )
        except ListingError as exc:
            form.add_error("images", exc.message)
        else:
            messages.success(
                request,
                ngettext("%(count)s photo added.", "%(count)s photos added.", len(photos))
                % {"count": len(photos)},
            )
            return redirect("producers:product_detail", pk=target.pk)
    return render(
        request, "producers/product_detail.html", _manage_context(product, photo_form=form)
    )


@producer_required
@require_POST
def photo_delete(request, pk: int):
    photo = photo_for_member_or_404(request.user, pk)
    try:
        product = services.product_photo_delete(photo=photo)
    except ListingError as exc:
        messages.error(request, exc.message)
        return redirect("producers:product_detail", pk=photo.product_id)
    messages.success(request, _("The photo is removed."))
    return redirect("producers:product_detail", pk=product.pk)


@producer_required
@require_POST
def certification_add(request, pk: int):
    product = product_for_member_or_404(request.user, pk)
    form = HeldCertificationForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            held = services.held_certification_add(product=product, **form.service_data())
        except ListingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, _("Certification added. An organiser will check the evidence.")
            )
            return redirect("producers:product_detail", pk=held.product_id)
    return render(
        request,
        "producers/product_detail.html",
        _manage_context(product, certification_form=form),
    )


@producer_required
@require_POST
def certification_delete(request, pk: int):
    held = held_certification_for_member_or_404(request.user, pk)
    try:
        product = services.held_certification_delete(held_certification=held)
    except ListingError as exc:
        messages.error(request, exc.message)
        return redirect("producers:product_detail", pk=held.product_id)
    messages.success(request, _("The certification is removed."))
    return redirect("producers:product_detail", pk=product.pk)


@login_required
@require_safe
def certification_evidence(request, pk: int):
    """Stream an evidence file to the listing's members and organisers; 404 for others."""
    held = held_certification_for_viewer_or_404(request.user, pk)
    try:
        handle = held.evidence.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    filename = os.path.basename(held.evidence.name)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Review ---------------------------------------------------------------------------------


@organiser_required
@require_safe
def review_queue(request):
    page = _page(request, selectors.products_waiting_for_review(), REVIEW_PAGE_SIZE)
    items = [
        {
            "product": product,
            "changes": selectors.product_revision_changes(revision=product)
            if product.revision_of_id
            else [],
            "reject_form": RejectForm(prefix=f"p{product.pk}"),
        }
        for product in page.object_list
    ]
    return render(
        request,
        "producers/review_queue.html",
        {"page": page, "items": items, "counts": selectors.review_counts()},
    )


@organiser_required
@require_POST
def review_approve(request, pk: int):
    product = product_for_review_or_404(request.user, pk)
    try:
        public = services.product_approve(product=product, reviewer=request.user)
    except ListingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("“%(name)s” is approved and public.") % {"name": public.display_name}
        )
    return HttpResponseRedirect(_next_or(request, reverse("producers:review_queue")))


@organiser_required
@require_http_methods(["GET", "POST"])
def review_reject(request, pk: int):
    product = product_for_review_or_404(request.user, pk)
    # The queue's inline forms use a per-listing prefix; this page's own form uses none.
    prefix = f"p{pk}" if f"p{pk}-reason" in request.POST else None
    form = RejectForm(request.POST or None, prefix=prefix)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_reject(
                product=product, reviewer=request.user, reason=form.cleaned_data["reason"]
            )
        except ListingError as exc:
            if exc.field == "reason":
                form.add_error("reason", exc.message)
            else:
                messages.error(request, exc.message)
                return HttpResponseRedirect(_next_or(request, reverse("producers:review_queue")))
        else:
            messages.success(
                request,
                _("“%(name)s” is sent back to the producer with your reason.")
                % {"name": product.display_name},
            )
            return HttpResponseRedirect(_next_or(request, reverse("producers:review_queue")))
    product = selectors.product_for_page(pk=pk)
    if product is None:
        messages.error(request, _("This listing no longer exists: it was decided meanwhile."))
        return redirect("producers:review_queue")
    return render(
        request,
        "producers/review_reject.html",
        {
            "product": product,
            "form": form,
            "next": _next_or(request, ""),
        },
    )


@organiser_required
@require_POST
def certification_verify(request, pk: int):
    held = held_certification_for_viewer_or_404(request.user, pk)
    try:
        services.held_certification_verify(held_certification=held, verifier=request.user)
    except ListingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” is verified.") % {"name": held.certification.name})
    return HttpResponseRedirect(_next_or(request, reverse("producers:review_queue")))
