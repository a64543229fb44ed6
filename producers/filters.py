"""The catalogue's search and filters as a django-filter FilterSet, shared by the catalogue page
and the REST API (`filterset_class = CatalogueFilterSet` with DjangoFilterBackend).

The FilterSet reads and checks the parameters; `selectors.products_search` does the search.
Bad values never fail a page: the page drops them and shows the form's message next to the
field's name, while the API answers 400 with the same messages keyed by parameter.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from producers import selectors
from producers.forms import CatalogueFilterForm, FastSelect, TaxonomyCodeField
from producers.models import Product
from producers.selectors import CatalogueSort
from taxonomy.models import Currency
from taxonomy.selectors import reference_rows

# The <select> choices made from the cached rows, per taxonomy, language and empty label,
# with the rows they were made from: made again once those rows are read again.
_CHOICES_MADE: dict[tuple[str, str, str], tuple[tuple, list]] = {}


class CachedTaxonomyCodeField(TaxonomyCodeField):
    """TaxonomyCodeField reading its rows from the per-process copy of the reference tables
    (taxonomy.selectors.reference_rows), and its choices made once per language from them:
    no query, and little work, for the four <select>s of most pages."""

    def rows(self) -> tuple:
        if self._rows is None:
            self._rows = reference_rows(self.taxonomy)
        return self._rows

    def _choice_list(self) -> list:
        if self._choices_made is None:
            rows = self.rows()
            key = (self.taxonomy, translation.get_language() or "", str(self.empty_label))
            made = _CHOICES_MADE.get(key)
            if made is not None and made[0] is rows:
                self._choices_made = made[1]
            else:
                _CHOICES_MADE[key] = (rows, super()._choice_list())
        return self._choices_made


class TaxonomyFilter(django_filters.Filter):
    """A category, province, certification or unit given by its code."""

    field_class = CachedTaxonomyCodeField


class CatalogueFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_(
            "Words in the names, descriptions or producer's name; with or without accents, "
            "in Vietnamese, Khmer or English."
        ),
    )
    category = TaxonomyFilter(
        taxonomy="category",
        label=_("Category"),
        empty_label=_("All categories"),
        error_messages={
            "invalid_choice": _("There is no category “%(value)s”, so all categories are shown.")
        },
    )
    province = TaxonomyFilter(
        taxonomy="province",
        label=_("Province"),
        empty_label=_("All provinces"),
        error_messages={
            "invalid_choice": _("There is no province “%(value)s”, so all provinces are shown.")
        },
    )
    certification = TaxonomyFilter(
        taxonomy="certification",
        label=_("Certification"),
        empty_label=_("Any or none"),
        help_text=_("Verified and unexpired."),
        error_messages={
            "invalid_choice": _(
                "There is no certification “%(value)s”, so certifications are not filtered."
            )
        },
    )
    min_stars = django_filters.TypedChoiceFilter(
        label=_("OCOP/OVOP stars"),
        choices=[
            ("", _("Any")),
            (3, _("3 stars or more")),
            (4, _("4 stars or more")),
            (5, _("5 stars")),
        ],
        coerce=int,
        empty_value=None,
        widget=FastSelect,
        error_messages={
            "invalid_choice": _(
                "“%(value)s” is not a star rating (choose 3, 4 or 5), so stars are not filtered."
            )
        },
    )
    min_capacity = django_filters.NumberFilter(
        label=_("Monthly capacity of at least"),
        min_value=0,
        max_digits=14,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
    )
    capacity_unit = TaxonomyFilter(
        taxonomy="unit",
        label=_("Capacity unit"),
        empty_label=_("unit"),
        error_messages={
            "invalid_choice": _("There is no unit “%(value)s”, so capacity is not filtered.")
        },
    )
    currency = django_filters.ChoiceFilter(
        label=_("Currency"),
        choices=Currency.choices,
        empty_label=_("Any currency"),
        widget=FastSelect,
        error_messages={
            "invalid_choice": _("There is no currency “%(value)s”, so prices are not filtered.")
        },
    )
    min_price = django_filters.NumberFilter(
        label=_("Price from"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
    )
    max_price = django_filters.NumberFilter(
        label=_("Price up to"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[
            (CatalogueSort.RELEVANCE, _("Best match")),
            (CatalogueSort.NEWEST, _("Newest")),
            (CatalogueSort.CAPACITY, _("Largest capacity")),
        ],
        empty_label=None,
        widget=FastSelect,
        error_messages={
            "invalid_choice": _("There is no order “%(value)s”, so the usual order is used.")
        },
    )

    class Meta:
        model = Product
        fields: list[str] = []
        form = CatalogueFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = Product.objects.approved()
        super().__init__(data, queryset, request=request, prefix=prefix)

    @property
    def qs(self):
        # Whatever queryset a caller passes, only public listings come out (the selector
        # sees to that when there are parameters; this, when there are none).
        if not self.is_bound:
            return selectors.products_search(products=self.queryset)
        return super().qs

    def filter_queryset(self, queryset):
        """The valid parameters go to the search selector; invalid ones were dropped."""
        cleaned = self.form.cleaned_data
        return selectors.products_search(
            products=queryset,
            **{name: cleaned[name] for name in self.filters if cleaned.get(name) not in (None, "")},
        )
