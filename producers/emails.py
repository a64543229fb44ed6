"""The review decision, emailed to every member of the producer in their own language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

if TYPE_CHECKING:
    from producers.models import Product


def listing_decision_email_send(*, product: Product, approved: bool, was_revision: bool) -> int:
    """Send one email per active member; returns how many were sent.

    Called after the decision is committed. `product` is the public listing after an
    approval, or the rejected row (listing or revision) after a rejection.
    """
    if approved:
        path = reverse("catalogue:detail", args=[product.pk])
    else:
        path = reverse("producers:product_detail", args=[product.pk])
    context = {
        "product": product,
        "approved": approved,
        "was_revision": was_revision,
        "reason": product.rejection_reason,
        "link": f"{settings.SITE_URL}{path}",
        "dashboard_link": f"{settings.SITE_URL}{reverse('producers:dashboard')}",
    }
    messages = []
    for member in product.producer.members.filter(is_active=True).order_by("pk"):
        with translation.override(member.language or settings.LANGUAGE_CODE):
            member_context = {**context, "member": member}
            subject = render_to_string(
                "producers/email/listing_decision_subject.txt", member_context
            )
            text = render_to_string("producers/email/listing_decision.txt", member_context)
            html = render_to_string("producers/email/listing_decision.html", member_context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()), body=text, to=[member.email]
        )
        message.attach_alternative(html, "text/html")
        messages.append(message)
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
