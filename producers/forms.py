"""Forms for producer profiles, listings, photos, certifications, review and the catalogue.

Forms check what a person typed and say what is wrong next to the field; the services
decide what the listing's state allows.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from producers.models import MONTHS, HeldCertification, Producer, Product, months_to_mask
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

    class Meta:
        model = Product
        fields = [
            "category",
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
            "name_en": gettext_lazy("Optional: shown to buyers who read English."),
            "description_en": gettext_lazy("Optional."),
            "price_min": gettext_lazy("Optional. Per unit of sale."),
            "price_max": gettext_lazy("Optional. The same as the lowest price if it is fixed."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["months"] = self.instance.months
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


class CategoryFilterIterator(ModelChoiceIterator):
    """Each group is an <optgroup> opening with “All of <group>”, then its subgroups."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        categories = list(self.queryset)
        children: dict[int, list[Category]] = {}
        for category in categories:
            if category.parent_id:
                children.setdefault(category.parent_id, []).append(category)
        for group in categories:
            if group.parent_id is None:
                everything = (
                    self.choice(group)[0],
                    _("All of %(group)s") % {"group": group.name},
                )
                yield (
                    group.name,
                    [everything, *(self.choice(child) for child in children.get(group.pk, []))],
                )


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


class CategoryFilterField(FilterChoiceMixin, forms.ModelChoiceField):
    iterator = CategoryFilterIterator


class ProvinceFilterField(FilterChoiceMixin, GroupedModelChoiceField):
    pass


class CatalogueFilterForm(forms.Form):
    """GET filters; codes (not ids) in the URL so links stay readable and stable."""

    use_required_attribute = False

    category = CategoryFilterField(
        queryset=Category.objects.order_by("position", "code"),
        to_field_name="code",
        required=False,
        label=gettext_lazy("Category"),
        empty_label=gettext_lazy("All categories"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "There is no category “%(value)s”, so all categories are shown."
            )
        },
    )
    province = ProvinceFilterField(
        queryset=provinces_current(),
        group_by=lambda province: province.country.name,
        to_field_name="code",
        required=False,
        label=gettext_lazy("Province"),
        empty_label=gettext_lazy("All provinces"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "There is no province “%(value)s”, so all provinces are shown."
            )
        },
    )

    def filters(self) -> dict:
        """The filters that are valid; invalid ones are dropped (and reported as errors)."""
        self.is_valid()
        return {
            name: self.cleaned_data.get(name)
            for name in ("category", "province")
            if self.cleaned_data.get(name) is not None
        }
