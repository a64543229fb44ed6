"""Forms for producer profiles, listings, photos, certifications, review and the catalogue.

Forms check what a person typed and say what is wrong next to the field; the services
decide what the listing's state allows.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from itertools import groupby

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from producers.models import (
    CONTENT_LANGUAGE_AUTONYMS,
    MONTHS,
    ContentLanguage,
    HeldCertification,
    Producer,
    Product,
    content_language_default,
    content_language_for_producer,
    months_to_mask,
    reader_language,
)
from producers.services import LISTING_FIELDS
from producers.validators import validate_evidence_file, validate_image_file
from taxonomy.models import Category, Certification, Province, Unit

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
EVIDENCE_ACCEPT = "application/pdf,image/jpeg,image/png,image/webp"


# --- Fields ---------------------------------------------------------------------------------


class GroupedModelChoiceIterator(ModelChoiceIterator):
    """Yields (group label, choices) pairs, which a <select> shows as <optgroup>s."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for label, objects in groupby(self.queryset, key=self.field.group_by):
            yield (label, [self.choice(obj) for obj in objects])


class GroupedModelChoiceField(forms.ModelChoiceField):
    """A model choice grouped in the select; the queryset must be ordered by group."""

    iterator = GroupedModelChoiceIterator

    def __init__(self, queryset, *, group_by: Callable[[object], str], **kwargs):
        self.group_by = group_by
        super().__init__(queryset, **kwargs)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit: Unit) -> str:
        return f"{unit.name} ({unit.symbol})"


class CheckedImageField(forms.FileField):
    """A file that must really be a JPEG, PNG or WebP photo (Pillow decides, not the name).
    Only a new upload is checked; the file already stored was checked when it came."""

    widget = forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT})

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            validate_image_file(value)
        return value


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos at once; each error starts with the name of the file it is about."""

    widget = MultipleFileInput(attrs={"accept": IMAGE_ACCEPT})

    def clean(self, data, initial=None):
        files = list(data) if isinstance(data, (list, tuple)) else ([data] if data else [])
        if not files:
            raise ValidationError(self.error_messages["required"], code="required")
        cleaned, errors = [], []
        for upload in files:
            try:
                upload = super().clean(upload, initial)
                validate_image_file(upload)
                cleaned.append(upload)
            except ValidationError as exc:
                name = getattr(upload, "name", "") or _("(no name)")
                errors.extend(
                    ValidationError(
                        _("%(file)s: %(error)s"),
                        params={"file": name, "error": message},
                        code="image",
                    )
                    for message in exc.messages
                )
        if errors:
            raise ValidationError(errors)
        return cleaned


def categories_for_listing():
    return (
        Category.objects.filter(parent__isnull=False)
        .select_related("parent")
        .order_by("parent__position", "parent__code", "position", "code")
    )


def provinces_current():
    return Province.objects.current().select_related("country").order_by("country__code", "name_en")


# --- Producer profile -----------------------------------------------------------------------


class ProducerForm(forms.ModelForm):
    province = GroupedModelChoiceField(
        queryset=provinces_current(),
        group_by=lambda province: province.country.name,
        label=gettext_lazy("Province"),
        empty_label=gettext_lazy("Choose your province"),
    )
    logo = CheckedImageField(
        label=gettext_lazy("Logo"),
        required=False,
        help_text=gettext_lazy("Optional. JPEG, PNG or WebP, up to 10 MB."),
    )

    class Meta:
        model = Producer
        fields = ["name", "kind", "village", "province", "phone", "email", "description", "logo"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }
        help_texts = {
            "name": gettext_lazy("The name buyers will see, e.g. “Kampot Pepper Cooperative”."),
            "village": gettext_lazy("Where you produce: village, commune or ward."),
        }

    def service_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.Meta.fields}


# --- Listings -------------------------------------------------------------------------------


class ProductForm(forms.ModelForm):
    category = GroupedModelChoiceField(
        queryset=categories_for_listing(),
        group_by=lambda category: category.parent.name,
        label=gettext_lazy("Category"),
        empty_label=gettext_lazy("Choose a category"),
    )
    unit_of_sale = UnitChoiceField(
        queryset=Unit.objects.all(),
        label=gettext_lazy("Unit of sale"),
        help_text=gettext_lazy("How buyers order it, e.g. kg, bottle or box."),
    )
    capacity_unit = UnitChoiceField(
        queryset=Unit.objects.all(), label=gettext_lazy("Unit of the monthly capacity")
    )
    months = forms.TypedMultipleChoiceField(
        choices=MONTHS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Months available"),
        error_messages={
            "required": gettext_lazy("Tick at least one month when the product is available.")
        },
    )

    content_language = forms.ChoiceField(
        choices=ContentLanguage.choices,
        label=gettext_lazy("Language you write in"),
        help_text=gettext_lazy(
            "The language of the product name and description. Buyers who read another "
            "language see your English name and description, if you add them."
        ),
    )

    class Meta:
        model = Product
        fields = [
            "category",
            "content_language",
            "name",
            "description",
            "name_en",
            "description_en",
            "unit_of_sale",
            "capacity",
            "capacity_unit",
            "min_order",
            "price_min",
            "price_max",
            "currency",
            "stars",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "name_en": gettext_lazy(
                "Optional: shown to buyers who do not read the language you write in."
            ),
            "description_en": gettext_lazy("Optional."),
            "price_min": gettext_lazy("Optional. Per unit of sale."),
            "price_max": gettext_lazy("Optional. The same as the lowest price if it is fixed."),
        }

    def __init__(self, *args, producer: Producer | None = None, user=None, **kwargs):
        """`producer` and `user` (the member filling it in), when given, choose the language
        a new listing starts with; see content_language_default."""
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["months"] = self.instance.months
            if not self.instance.content_language:
                self.initial["content_language"] = (
                    content_language_for_producer(producer, user)
                    if producer is not None
                    else content_language_default(
                        preferred=getattr(user, "language", "") or reader_language()
                    )
                )
        self.fields["content_language"].choices = _content_language_choices()
        # Spell checkers and screen readers follow `lang`.
        written_in = self.instance.content_language or self.initial.get("content_language")
        for name, language in (
            ("name", written_in),
            ("description", written_in),
            ("name_en", "en"),
            ("description_en", "en"),
        ):
            if language:
                self.fields[name].widget.attrs["lang"] = language
        for name in ("capacity", "min_order", "price_min", "price_max"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "price_max",
                _("The highest price must be the same as or more than the lowest price (%(low)s).")
                % {"low": low},
            )
        if cleaned.get("months"):
            cleaned["months_mask"] = months_to_mask(cleaned["months"])
        return cleaned

    def listing_data(self) -> dict:
        """The cleaned values, named as the listing services expect them."""
        return {field: self.cleaned_data[field] for field in LISTING_FIELDS}


def _content_language_choices() -> list[tuple[str, str]]:
    """Each language in its own script and in the page's language: "Tiếng Việt (Vietnamese)",
    so a producer finds their own whatever language the page is in."""
    page_language = reader_language()
    choices = []
    for code, label in ContentLanguage.choices:
        autonym = CONTENT_LANGUAGE_AUTONYMS[code]
        alone = code == page_language or autonym == str(label)
        choices.append((code, autonym if alone else f"{autonym} ({label})"))
    return choices


class PhotoUploadForm(forms.Form):
    images = MultipleImageField(
        label=gettext_lazy("Add photos"),
        help_text=gettext_lazy(
            "JPEG, PNG or WebP, up to 10 MB each; up to 8 photos per listing. "
            "You can choose several at once."
        ),
        error_messages={"required": gettext_lazy("Choose at least one photo to upload.")},
    )


class HeldCertificationForm(forms.ModelForm):
    certification = GroupedModelChoiceField(
        queryset=Certification.objects.order_by("kind", "code"),
        group_by=lambda certification: str(certification.get_kind_display()),
        label=gettext_lazy("Certification"),
        empty_label=gettext_lazy("Choose a certification"),
    )
    evidence = forms.FileField(
        label=gettext_lazy("Evidence"),
        validators=[validate_evidence_file],
        widget=forms.FileInput(attrs={"accept": EVIDENCE_ACCEPT}),
        help_text=gettext_lazy(
            "A scan or photo of the certificate: PDF, JPEG, PNG or WebP, up to 10 MB. "
            "Only organisers and your business see it."
        ),
        error_messages={"required": gettext_lazy("Attach the certificate as evidence.")},
    )

    class Meta:
        model = HeldCertification
        fields = ["certification", "expires_on", "evidence"]
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        if expires_on < timezone.localdate():
            raise ValidationError(
                _("This certificate expired on %(date)s; add a current one."),
                params={"date": date_format(expires_on)},
                code="expired",
            )
        return expires_on

    def _post_clean(self):
        # The listing is set by the service (it may be a revision), so the model's checks
        # that need it run there.
        pass

    def service_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.Meta.fields}


# --- Review ---------------------------------------------------------------------------------


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for rejection"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=gettext_lazy("The producer reads this by email: say what to change."),
        error_messages={
            "required": gettext_lazy("Write the reason, so the producer knows what to change.")
        },
    )


# --- Catalogue ------------------------------------------------------------------------------
# The catalogue's filters come in the URL (GET), so a search can be shared. The fields are
# declared by producers.filters.CatalogueFilterSet (which the REST API shares); this is its
# form: taxonomy choices, and the checks that involve two fields.


class FastSelect(forms.Select):
    """A <select> written in Python, with the same HTML as Django's template. The catalogue's
    filters have some 150 options, and rendering each through the template engine took
    longer than the search itself. (Only the `selected` attribute is written on options.)"""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = [f'<select name="{escape(widget["name"])}"{flatatt(widget["attrs"])}>']
        for group, options, _index in widget["optgroups"]:
            if group:
                html.append(f'<optgroup label="{escape(str(group))}">')
            html.extend(
                f'<option value="{escape(str(option["value"]))}"'
                f"{' selected' if option['selected'] else ''}>"
                f"{escape(str(option['label']))}</option>"
                for option in options
            )
            if group:
                html.append("</optgroup>")
        html.append("</select>")
        return mark_safe("".join(html))  # noqa: S308 (every value is escaped above)


class FilterChoiceMixin:
    """Any bad value in a URL filter gets the one plain "there is no such ..." message."""

    def clean(self, value):
        try:
            return super().clean(value)
        except ValidationError:
            shown = str(value).replace("\x00", "")[:60]
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": shown},
            ) from None


def _category_choices(categories: list[Category]) -> list:
    """Each group is an <optgroup> opening with “All of <group>”, then its subgroups."""
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    return [
        (
            group.name,
            [
                (group.code, _("All of %(group)s") % {"group": group.name}),
                *((child.code, child.name) for child in children.get(group.pk, [])),
            ],
        )
        for group in categories
        if group.parent_id is None
    ]


def _grouped_choices(rows, group_by: Callable, label: Callable = str) -> list:
    """<optgroup>s of consecutive rows with the same group (rows come ordered by it)."""
    return [
        (str(group), [(row.code, label(row)) for row in members])
        for group, members in groupby(rows, key=group_by)
    ]


# For each taxonomy filter: how to read its rows, and how they show in a <select>. Groups are
# keyed by code (one translated label per group, not per row).
TAXONOMY_FILTERS: dict[str, tuple[Callable, Callable]] = {
    "category": (
        lambda: list(Category.objects.order_by("position", "code")),
        _category_choices,
    ),
    "province": (
        lambda: list(provinces_current()),
        lambda rows: _grouped_choices(rows, lambda province: province.country.name),
    ),
    "certification": (
        lambda: list(Certification.objects.order_by("kind", "code")),
        lambda rows: [
            (Certification.Kind(kind).label, choices)
            for kind, choices in _grouped_choices(rows, lambda cert: cert.kind)
        ],
    ),
    "unit": (
        lambda: list(Unit.objects.order_by("dimension", "to_base")),
        lambda rows: [
            (Unit.Dimension(dimension).label, choices)
            for dimension, choices in _grouped_choices(
                rows, lambda unit: unit.dimension, lambda unit: f"{unit.name} ({unit.symbol})"
            )
        ],
    ),
}


class TaxonomyCodeField(FilterChoiceMixin, forms.ChoiceField):
    """A row of the shared vocabulary (category, province, ...) chosen by its code: codes,
    not ids, keep URLs readable and stable. Cleans to the row itself, or None.

    The rows are read once per form, when first needed, and serve both the check of the
    value and the <select>: one query per taxonomy, and none for a taxonomy the request
    neither uses nor shows.
    """

    widget = FastSelect

    def __init__(self, *, taxonomy: str, empty_label: str, **kwargs):
        self.taxonomy = taxonomy
        self.empty_label = empty_label
        self._rows: list | None = None
        self._choices_made: list | None = None
        super().__init__(choices=self._choice_list, **kwargs)

    def __deepcopy__(self, memo):
        field = super().__deepcopy__(memo)
        field._rows = field._choices_made = None
        field.choices = field._choice_list  # read through the copy, not the declared field
        return field

    def rows(self) -> list:
        if self._rows is None:
            self._rows = TAXONOMY_FILTERS[self.taxonomy][0]()
        return self._rows

    def _choice_list(self) -> list:
        # Asked for several times per page (the check, the widget); made once per form.
        if self._choices_made is None:
            make_choices = TAXONOMY_FILTERS[self.taxonomy][1]
            self._choices_made = [("", self.empty_label), *make_choices(self.rows())]
        return self._choices_made

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        return next(row for row in self.rows() if row.code == code)


class CatalogueFilterForm(forms.Form):
    """The base form of CatalogueFilterSet: checks between fields, and the sort shown."""

    use_required_attribute = False

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("sort"):
            # Show the order that applies: best match when searching, otherwise newest.
            data = data.copy()
            data["sort"] = "relevance" if str(data.get("q", "")).strip() else "newest"
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("min_capacity") is not None and not cleaned.get("capacity_unit"):
            cleaned.pop("min_capacity")
            if "capacity_unit" not in self.errors:
                self.add_error(
                    "capacity_unit",
                    _(
                        "Choose the unit of the monthly capacity (for example kg), so it can "
                        "be compared; capacity is not filtered meanwhile."
                    ),
                )
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if (low is not None or high is not None) and not cleaned.get("currency"):
            cleaned.pop("min_price", None)
            cleaned.pop("max_price", None)
            if "currency" not in self.errors:
                self.add_error(
                    "currency",
                    _(
                        "Choose the currency of the price: prices in different currencies "
                        "are not compared, so price is not filtered meanwhile."
                    ),
                )
        elif low is not None and high is not None and low > high:
            self.add_error(
                "max_price",
                _(
                    "The highest price must be the same as or more than the lowest price "
                    "(%(low)s), so price is not filtered."
                )
                % {"low": low},
            )
            cleaned.pop("min_price", None)
        return cleaned
