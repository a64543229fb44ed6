"""Forms for the buyer's profile and sourcing needs.

Every error names its field in plain words, because on a phone the message and the field it
belongs to are often a screen apart. The rules themselves live on the models (and in
`certifications_overlap_check`) so that the services and the API apply the same ones.
"""

from decimal import Decimal
from itertools import groupby

from django import forms
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from buyers.models import Buyer, SourcingNeed, certifications_overlap_check
from taxonomy.models import Category, Certification, Currency, Province, Unit

# "{label}" is filled with the field's label; "%(...)s" placeholders are Django's own. Limits
# such as "more than zero" are not here: the model validators carry their own named messages
# (a code listed here would replace them).
FIELD_MESSAGES = {
    "required": _("Please fill in “{label}”."),
    "invalid_choice": _("Choose one of the options for “{label}”."),
    "invalid_pk_value": _("Choose one of the options for “{label}”."),
    "invalid_list": _("Choose one or more of the options for “{label}”."),
    "max_length": _("“{label}” can be at most %(limit_value)d characters long."),
    "max_digits": _("“{label}” has too many digits (at most %(max)s in all)."),
    "max_decimal_places": _("“{label}” can have at most %(max)s digits after the decimal point."),
    "max_whole_digits": _("“{label}” can have at most %(max)s digits before the decimal point."),
}
REQUIRED_CHOICE = _("Please choose “{label}”.")
INVALID_BY_FIELD = {
    forms.DecimalField: _("“{label}” must be a number, like 1500 or 2.5."),
    forms.DateField: _("“{label}” must be a date, like 2026-12-31."),
    forms.URLField: _("“{label}” must be a web address, like https://example.com."),
}
INVALID_OTHER = _("“{label}” is not valid.")


def plain_decimal(value: Decimal) -> Decimal:
    """The stored 200.000 shown as 200 and 1.500 as 1.5 (never as 2E+2)."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class NamedErrorsMixin:
    """Rewrite the generic field messages so that each one says which field it is about."""

    template_name = "buyers/forms/form.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            label = field.label
            messages = {
                code: format_lazy(text, label=label) for code, text in FIELD_MESSAGES.items()
            }
            if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
                messages["required"] = format_lazy(REQUIRED_CHOICE, label=label)
            invalid = next(
                (text for kind, text in INVALID_BY_FIELD.items() if isinstance(field, kind)),
                INVALID_OTHER,
            )
            messages["invalid"] = format_lazy(invalid, label=label)
            field.error_messages = {**field.error_messages, **messages}

    @property
    def error_count(self) -> int:
        return sum(len(errors) for errors in self.errors.values())


class GroupedModelChoiceIterator(forms.models.ModelChoiceIterator):
    """Yields (group label, [choices]) so that the select shows <optgroup>s."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for group, objects in groupby(self.queryset.iterator(), key=self.field.group_of):
            yield (self.field.group_label(group), [self.choice(obj) for obj in objects])


def provinces_by_country():
    return (
        Province.objects.current().select_related("country").order_by("country__name_en", "name_en")
    )


def categories_as_tree():
    """Each group immediately followed by its subgroups, in the tree's own order."""
    return (
        Category.objects.select_related("parent")
        .annotate(
            group_position=Coalesce("parent__position", "position"),
            group_code=Coalesce("parent__code", "code"),
        )
        .order_by(
            "group_position", "group_code", F("parent").asc(nulls_first=True), "position", "code"
        )
    )


def _country_of(province):
    return province.country


def _group_of(category):
    return category.parent or category


class ProvinceMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Current provinces as one <optgroup> per country."""

    iterator = GroupedModelChoiceIterator
    group_of = staticmethod(_country_of)
    group_label = staticmethod(str)

    def __init__(self, **kwargs):
        super().__init__(queryset=provinces_by_country(), **kwargs)


class ProvinceChoiceField(forms.ModelChoiceField):
    iterator = GroupedModelChoiceIterator
    group_of = staticmethod(_country_of)
    group_label = staticmethod(str)

    def __init__(self, **kwargs):
        super().__init__(queryset=provinces_by_country(), **kwargs)


class CategoryChoiceField(forms.ModelChoiceField):
    """One <optgroup> per group, offering the whole group first and then its subgroups."""

    iterator = GroupedModelChoiceIterator
    group_of = staticmethod(_group_of)
    group_label = staticmethod(str)

    def __init__(self, **kwargs):
        super().__init__(queryset=categories_as_tree(), **kwargs)

    def label_from_instance(self, obj):
        if obj.is_group:
            return format_lazy(_("Any product in “{group}”"), group=obj.name)
        return obj.name


class BuyerProfileForm(NamedErrorsMixin, forms.ModelForm):
    province = ProvinceChoiceField(
        label=_("Province"),
        required=False,
        empty_label=_("None (outside Cambodia and Vietnam)"),
        help_text=Buyer._meta.get_field("province").help_text,
    )
    website = forms.URLField(
        label=_("Website"), required=False, max_length=200, assume_scheme="https"
    )

    class Meta:
        model = Buyer
        fields = ["name", "kind", "country", "province", "description", "website"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class SourcingNeedForm(NamedErrorsMixin, forms.ModelForm):
    category = CategoryChoiceField(
        label=_("Category"),
        empty_label=_("Choose a category"),
        help_text=_("Pick a whole group to hear from producers of any product in it."),
    )
    provinces = ProvinceMultipleChoiceField(
        label=_("Provinces to source from"),
        required=False,
        help_text=_("Leave empty to source from anywhere. Hold Ctrl (or Cmd) to choose several."),
    )
    required_certifications = forms.ModelMultipleChoiceField(
        label=_("Required certifications"),
        queryset=Certification.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Producers must hold every one of these."),
    )
    preferred_certifications = forms.ModelMultipleChoiceField(
        label=_("Preferred certifications"),
        queryset=Certification.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=SourcingNeed._meta.get_field("preferred_certifications").help_text,
    )

    class Meta:
        model = SourcingNeed
        fields = [
            "category",
            "volume",
            "unit",
            "order_size",
            "provinces",
            "required_certifications",
            "preferred_certifications",
            "min_stars",
            "target_price",
            "currency",
            "deadline",
            "notes",
        ]
        widgets = {
            "deadline": forms.DateInput(attrs={"type": "date"}),
            "volume": forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
            "order_size": forms.NumberInput(
                attrs={"step": "any", "min": "0", "inputmode": "decimal"}
            ),
            "target_price": forms.NumberInput(
                attrs={"step": "any", "min": "0", "inputmode": "decimal"}
            ),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, buyer: Buyer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.all()
        for name in ("volume", "order_size", "target_price"):
            if self.initial.get(name) is not None:
                self.initial[name] = plain_decimal(self.initial[name])
        # A buyer usually prices in the money of its own country.
        new = not self.instance.pk and not self.is_bound
        if new and buyer is not None and buyer.country.currency in Currency.values:
            self.initial.setdefault("currency", buyer.country.currency)

    def clean(self):
        cleaned = super().clean()
        required = cleaned.get("required_certifications")
        preferred = cleaned.get("preferred_certifications")
        if required is not None and preferred is not None:
            try:
                certifications_overlap_check(required, preferred)
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned

    def service_data(self) -> dict:
        """The cleaned values under the names the services take."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
