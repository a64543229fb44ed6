"""Forms of the import pages: the upload, the column mapping, the commit, choosing
producers for claim codes, and the producer's claim form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from producers.importing.columns import COLUMNS
from producers.importing.models import ImportBatch
from producers.importing.reader import CSV_EXTENSIONS, XLSX_EXTENSIONS
from producers.models import Producer

ACCEPT = ",".join(f".{extension}" for extension in sorted(CSV_EXTENSIONS | XLSX_EXTENSIONS))


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy(
            "An .xlsx or .csv file with one row per product (or per producer without "
            "products). Nothing is saved before you have checked the preview."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        error_messages={
            "required": gettext_lazy("Choose the file to import."),
            "empty": gettext_lazy("The file is empty."),
        },
    )


def field_choices() -> list[tuple[str, str]]:
    return [("", _("— ignore this column —"))] + [
        (column.key, str(column.label)) for column in COLUMNS
    ]


class MappingForm(forms.Form):
    """One select per column of the file: the field it holds, or ignore."""

    def __init__(self, *args, batch: ImportBatch, samples: list[list[str]] | None = None, **kw):
        super().__init__(*args, **kw)
        self.batch = batch
        choices = field_choices()
        samples = samples or []
        for index, header in enumerate(batch.headers):
            name = f"column_{index}"
            example = ", ".join(samples[index][:3]) if index < len(samples) else ""
            self.fields[name] = forms.ChoiceField(
                label=header or _("Column %(number)s (no header)") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=batch.mapping[index] if index < len(batch.mapping) else "",
                help_text=_("e.g. %(values)s") % {"values": example} if example else "",
            )

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"column_{i}", "") for i in range(len(self.batch.headers))]

    def rows(self):
        """(bound field, mapped automatically?) for the template."""
        for index, _header in enumerate(self.batch.headers):
            yield self[f"column_{index}"]


class CommitForm(forms.Form):
    approve_directly = forms.BooleanField(
        label=gettext_lazy("Approve the listings directly"),
        required=False,
        help_text=gettext_lazy(
            "Leave unticked to send new and changed listings to the review queue. Photos can "
            "be added later either way."
        ),
    )


class ProducerChoiceForm(forms.Form):
    producer = forms.ModelMultipleChoiceField(
        queryset=Producer.objects.all(),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("One of the producers no longer exists.")},
    )
    batch = forms.UUIDField(required=False, widget=forms.HiddenInput)
    everyone = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("producer") and not (cleaned.get("everyone") and cleaned.get("batch")):
            raise forms.ValidationError(_("Tick at least one producer."))
        return cleaned


class ClaimForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Claim code"),
        max_length=20,
        help_text=gettext_lazy("8 letters and digits, such as K7Q4-M9XP."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )
    email = forms.EmailField(
        label=gettext_lazy("Your email address"),
        help_text=gettext_lazy("You log in with it. If the code came by email, use that address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    full_name = forms.CharField(label=gettext_lazy("Your name"), max_length=150, required=False)
    password = forms.CharField(
        label=gettext_lazy("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("At least 8 characters; not only digits."),
    )

    def __init__(self, *args, signed_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:
            # A producer who is logged in only needs the code.
            for name in ("email", "full_name", "password"):
                del self.fields[name]
