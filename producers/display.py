"""How listing facts read on a page or in an email: quantities, money, months, categories.

Shared by the templates (through `producers_display` tags) and the review diff, so a fact
reads the same wherever it appears.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from producers.models import ALL_MONTHS_MASK, MONTHS, mask_to_months
from taxonomy.models import Category, Currency

# Currencies nobody prices in fractions of.
WHOLE_CURRENCIES = {Currency.KHR, Currency.VND, Currency.JPY}
MONTH_LABELS = dict(MONTHS)


def quantity_display(value: Decimal | None) -> str:
    """1500.000 -> "1,500" and 2.500 -> "2.5" (grouped and localised)."""
    if value is None:
        return ""
    value = Decimal(value)
    exponent = value.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def money_display(value: Decimal | None, currency: str) -> str:
    if value is None:
        return ""
    places = 0 if currency in WHOLE_CURRENCIES else 2
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def price_range_display(product) -> str:
    low, high, currency = product.price_min, product.price_max, product.currency
    if low is None and high is None:
        return _("Ask the producer")
    if low is not None and high is not None and low != high:
        return _("%(low)s – %(high)s %(currency)s") % {
            "low": money_display(low, currency),
            "high": money_display(high, currency),
            "currency": currency,
        }
    if low is not None and high is None:
        return _("from %(low)s %(currency)s") % {
            "low": money_display(low, currency),
            "currency": currency,
        }
    if low is None:
        return _("up to %(high)s %(currency)s") % {
            "high": money_display(high, currency),
            "currency": currency,
        }
    return f"{money_display(low, currency)} {currency}"


def months_display(mask: int) -> str:
    if mask == ALL_MONTHS_MASK:
        return _("All year")
    if not mask:
        return _("No months given")
    return ", ".join(str(MONTH_LABELS[month]) for month in mask_to_months(mask))


def category_display(category: Category) -> str:
    if category.parent_id:
        return f"{category.parent.name} › {category.name}"
    return category.name
