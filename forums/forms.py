"""Forms for meeting requests: asking to meet, answering, and filtering the lists.

The forms check the shape of the input; the rules (open forums, one open request per pair,
the cap, approved listings) live in `forums.services`, whose errors the views put back on the
field they name. Generic messages name their field (see `buyers.forms.NamedErrorsMixin`).
"""

from __future__ import annotations

from django import forms
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from buyers.forms import NamedErrorsMixin
from forums.models import Forum, MeetingRequest
from forums.selectors import forums_open_for_requests
from forums.services import MESSAGE_MAX_LENGTH
from producers.models import Producer, Product

ANY_TIME = _("Any time: we arrange the meeting ourselves")


def forum_label(forum: Forum) -> str:
    label = f"{forum.name} · {forum.province.name}"
    if forum.requests_close_at:
        closes = date_format(localtime(forum.requests_close_at), "DATE_FORMAT")
        label += " · " + str(_("requests close on %(date)s") % {"date": closes})
    return label


class ForumChoiceField(forms.ModelChoiceField):
    """Offers the forums open for requests now (and "any time"), but accepts any published
    forum's id, so that a forum that closed while the form was open gets the service's clear
    reason rather than "not one of the choices"."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Forum.objects.exclude(status=Forum.Status.DRAFT),
            required=False,
            empty_label=None,
            label=_("Forum"),
            help_text=_(
                "Meet at a forum (its organisers then give the meeting a time and a table), "
                "or any time, arranged between you."
            ),
            widget=forms.RadioSelect,
            **kwargs,
        )

    def offer_open_forums(self) -> None:
        """Show the forums open now; called per form, never at import time."""
        self.choices = [("", ANY_TIME)] + [
            (forum.pk, forum_label(forum)) for forum in forums_open_for_requests()
        ]


def _message_field(label, help_text):
    return forms.CharField(
        label=label,
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=help_text,
    )


class MeetingRequestForm(NamedErrorsMixin, forms.Form):
    """A buyer asks a producer to meet about one product."""

    forum = ForumChoiceField()
    message = _message_field(
        _("Message"),
        _("What would you like to talk about? For example volumes, prices, samples or delivery."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forum"].offer_open_forums()
        self.initial.setdefault("forum", "")

    def service_data(self) -> dict:
        return {"forum": self.cleaned_data["forum"], "message": self.cleaned_data["message"]}


class MeetingOfferForm(MeetingRequestForm):
    """A producer offers to meet a buyer about a sourcing need, perhaps naming a product."""

    field_order = ["forum", "product", "message"]

    def __init__(self, *args, producer: Producer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"] = forms.ModelChoiceField(
            queryset=Product.objects.approved().filter(producer=producer).order_by("name"),
            required=False,
            label=_("Product"),
            empty_label=_("No particular product"),
            help_text=_("One of your approved listings that answers this need, if any."),
        )
        self.order_fields(self.field_order)
        # The mixin names the field in its messages; the product field came after it ran.
        self.fields["product"].error_messages["invalid_choice"] = _(
            "Choose one of your approved products for “Product”, or none."
        )

    def service_data(self) -> dict:
        return {**super().service_data(), "product": self.cleaned_data.get("product")}


class ResponseForm(NamedErrorsMixin, forms.Form):
    """Accepting, declining or cancelling, with an optional note for the other side."""

    message = _message_field(
        _("Message (optional)"), _("The other side sees this with your answer.")
    )


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))] + list(MeetingRequest.Status.choices),
        error_messages={"invalid_choice": _("Choose one of the options for “Status”.")},
    )

    def status_value(self) -> str | None:
        if self.is_valid():
            return self.cleaned_data["status"] or None
        return None
