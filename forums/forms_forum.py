"""Forms for the forum pages: a forum and its days (a formset), booths, availability, the
scheduler's options, marking meetings held, and feedback.

The session-plan rules are `forums.setup.session_plan_errors`; `forum_form_errors_attach`
puts each of its messages on the field (and day row) it names.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from forums.models import Forum, MeetingFeedback, ScheduleRun
from forums.setup import PLAN_FIELDS, DayPlan, ForumSetupError, session_plan_errors
from taxonomy.models import Province


class ErrorCountMixin:
    """For the shared error summary (buyers/_form_errors.html)."""

    @property
    def error_count(self) -> int:
        return sum(len(errors) for errors in self.errors.values())


class ForumForm(ErrorCountMixin, forms.ModelForm):
    organiser_emails = forms.CharField(
        label=_("Other organisers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Their account emails, separated by commas or new lines. You are one."),
    )

    class Meta:
        model = Forum
        fields = [
            "name",
            "province",
            "venue",
            "time_zone",
            "meeting_minutes",
            "break_minutes",
            "tables",
            "requests_open_at",
            "requests_close_at",
            "status",
        ]
        widgets = {
            "requests_open_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "requests_close_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        help_texts = {
            "time_zone": _("Leave empty to use the time zone of the province’s country."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = Province.objects.current().select_related("country")
        self.fields["time_zone"].required = False
        if self.instance._state.adding:
            # Empty, not the model's default, so that the province's country decides.
            self.initial["time_zone"] = ""
        self.fields["tables"].min_value = None  # the plan check says why, on the field
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"field-{name}")

    def organiser_email_list(self) -> list[str]:
        raw = self.cleaned_data.get("organiser_emails") or ""
        return [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]


class ForumDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    morning_start = forms.TimeField(
        label=_("Morning starts"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    morning_end = forms.TimeField(
        label=_("Morning ends"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    afternoon_start = forms.TimeField(
        label=_("Afternoon starts"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    afternoon_end = forms.TimeField(
        label=_("Afternoon ends"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def plan(self) -> DayPlan | None:
        data = getattr(self, "cleaned_data", None) or {}
        if not data.get("date"):
            return None
        return DayPlan(**{name: data.get(name) for name in PLAN_FIELDS})


def day_formset(*, data=None, days=(), extra: int = 3):
    initial = [{name: getattr(day, name) for name in PLAN_FIELDS} for day in days]
    formset_class = forms.formset_factory(ForumDayForm, extra=extra, max_num=31, absolute_max=31)
    return formset_class(data=data, initial=initial or None, prefix="days")


def formset_day_plans(formset) -> list[DayPlan]:
    return [plan for form in formset.forms if (plan := form.plan()) is not None]


def forum_form_errors_attach(form: ForumForm, formset) -> bool:
    """Check the session plan and put each problem on its field; True when all is well."""
    filled = [form_ for form_ in formset.forms if form_.plan() is not None]
    plans = [form_.plan() for form_ in filled]
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    errors = session_plan_errors(
        days=plans, meeting_minutes=data.get("meeting_minutes"), tables=data.get("tables")
    )
    for error in errors:
        error_attach(form, formset, error, filled)
    return not errors


def error_attach(form: ForumForm, formset, error: ForumSetupError, filled=None) -> None:
    if error.day is not None:
        filled = filled if filled is not None else [f for f in formset.forms if f.plan()]
        target = filled[error.day]
        target.add_error(error.field if error.field in target.fields else None, error.message)
        # Also listed at the top of the form, with the day's number.
        number = formset.forms.index(target) + 1
        form.add_error(None, _("Day %(number)s: %(error)s") % {"number": number, "error": error})
    elif error.field in form.fields:
        form.add_error(error.field, error.message)
    else:
        form.add_error(None, error.message)


class BoothForm(ErrorCountMixin, forms.Form):
    """One booth field per participating producer (named booth_<entry pk>)."""

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = list(entries)
        for entry in self.entries:
            self.fields[f"booth_{entry.pk}"] = forms.CharField(
                label=entry.producer.name, max_length=32, required=False, initial=entry.booth
            )

    def booths(self) -> dict[int, str]:
        return {entry.pk: self.cleaned_data.get(f"booth_{entry.pk}", "") for entry in self.entries}


class RegisterForm(ErrorCountMixin, forms.Form):
    """Which of the user's businesses (or buying organisations) takes part."""

    party = forms.ChoiceField(label=_("Taking part as"))

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = choices


class ScheduleStartForm(ErrorCountMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What to schedule"), choices=ScheduleRun.Kind.choices, initial="full"
    )
    time_limit = forms.IntegerField(
        label=_("Time limit (seconds)"),
        min_value=1,
        max_value=600,
        initial=30,
        help_text=_("The scheduler stops after this long with the best schedule found."),
    )


class MeetingMarkForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("planned", _("Planned")),
            ("held", _("Held")),
            ("no_show", _("No-show")),
        ],
    )


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = MeetingFeedback
        fields = ["rating", "outcome", "comment"]
        widgets = {
            "rating": forms.RadioSelect,
            "comment": forms.Textarea(attrs={"rows": 3}),
        }
