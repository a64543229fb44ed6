"""Who may do what to producers and listings, decided in one place.

Object helpers return the object or raise 404: a producer asking for another producer's
listing learns nothing, not even that it exists. Role decorators send anonymous visitors to
log in and answer 403 to people whose role does not allow the page.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from accounts.models import User
from producers.models import HeldCertification, Product, ProductPhoto
from producers.selectors import producer_for_user, product_for_page


def organiser_required(view):
    """Organisers only: anonymous visitors are asked to log in, everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_organiser:
            raise PermissionDenied(_("Only organisers can review listings."))
        return view(request, *args, **kwargs)

    return wrapper


def producer_user_required(view):
    """Producer users only (with or without a business profile yet)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_producer:
            raise PermissionDenied(_("This page is for producers."))
        return view(request, *args, **kwargs)

    return wrapper


def producer_required(view):
    """Producer users with a business profile; sets `request.producer`.

    A producer without a profile is sent to create one first.
    """

    @producer_user_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        producer = producer_for_user(user=request.user)
        if producer is None:
            messages.info(request, _("First tell buyers about your business."))
            return redirect("producers:profile_create")
        request.producer = producer
        return view(request, *args, **kwargs)

    return wrapper


def is_member(user: User, product: Product) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return product.producer.members.filter(pk=user.pk).exists()


def product_for_member_or_404(user: User, pk: int) -> Product:
    """A listing (or revision) of a producer the user is a member of."""
    return get_object_or_404(
        Product.objects.select_related(
            "producer", "category__parent", "unit_of_sale", "capacity_unit", "revision_of"
        ),
        pk=pk,
        producer__members=user,
    )


def photo_for_member_or_404(user: User, pk: int) -> ProductPhoto:
    return get_object_or_404(
        ProductPhoto.objects.select_related("product"), pk=pk, product__producer__members=user
    )


def held_certification_for_member_or_404(user: User, pk: int) -> HeldCertification:
    return get_object_or_404(
        HeldCertification.objects.select_related("product", "certification"),
        pk=pk,
        product__producer__members=user,
    )


def held_certification_for_viewer_or_404(user: User, pk: int) -> HeldCertification:
    """Evidence is seen by the listing's producer members and by organisers, nobody else."""
    if getattr(user, "is_organiser", False):
        return get_object_or_404(
            HeldCertification.objects.select_related("product", "certification"), pk=pk
        )
    return held_certification_for_member_or_404(user, pk)


def product_for_review_or_404(user: User, pk: int) -> Product:
    if not getattr(user, "is_organiser", False):
        raise Http404
    return get_object_or_404(Product, pk=pk)


def product_visible_or_404(user: User, pk: int) -> tuple[Product, bool]:
    """A listing's page: public when approved; otherwise only its members and organisers see
    a preview. Returns the listing and whether it is a preview."""
    product = product_for_page(pk=pk)
    if product is None:
        raise Http404
    if product.is_public:
        return product, False
    if getattr(user, "is_organiser", False) or is_member(user, product):
        return product, True
    raise Http404
