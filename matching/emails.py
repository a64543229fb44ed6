"""The suggestion digest: one email per reader per run, listing the best new suggestions
with their reasons, in the reader's language, as text and HTML."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from matching.reasons import BUYER, PRODUCER, ReasonContext, reasons

if TYPE_CHECKING:
    from accounts.models import User
    from matching.models import Suggestion


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def digest_email_send(
    *,
    user: User,
    buyer_items: list[Suggestion],
    buyer_total: int,
    producer_items: list[Suggestion],
    producer_total: int,
) -> int:
    """Render and send one digest; raises on SMTP failure (the caller rolls back)."""
    context = ReasonContext.load()
    with translation.override(user.language or settings.LANGUAGE_CODE):
        data = {
            "user": user,
            "buyer_items": [
                {
                    "suggestion": s,
                    "reasons": reasons(s, context=context, audience=BUYER),
                    "link": _absolute(reverse("matching:need_suggestions", args=[s.need_id])),
                }
                for s in buyer_items
            ],
            "buyer_total": buyer_total,
            "producer_items": [
                {
                    "suggestion": s,
                    "reasons": reasons(s, context=context, audience=PRODUCER),
                    "link": _absolute(reverse("matching:producer_suggestions")),
                }
                for s in producer_items
            ],
            "producer_total": producer_total,
            "total": buyer_total + producer_total,
            "opt_out_link": _absolute(reverse("accounts:profile")),
            "producer_link": _absolute(reverse("matching:producer_suggestions")),
        }
        subject = render_to_string("matching/email/digest_subject.txt", data)
        text = render_to_string("matching/email/digest.txt", data)
        html = render_to_string("matching/email/digest.html", data)
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    return get_connection().send_messages([message]) or 0
