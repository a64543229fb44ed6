"""How listing facts read on a page or in an email: quantities, money, months, categories.

Shared by the templates (through `producers_display` tags) and the review diff, so a fact
reads the same wherever it appears. Numbers and money come from forum_market.l10n (CLDR).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from forum_market import l10n
from producers.models import ALL_MONTHS_MASK, MONTHS, mask_to_months
from taxonomy.models import Category

MONTH_LABELS = dict(MONTHS)


def quantity_display(value: Decimal | None) -> str:
    """1500.000 -> "1,500" and 2.500 -> "2.5" in English; "2,5" in Vietnamese (CLDR)."""
    return l10n.format_quantity(value)


def money_display(value: Decimal | None, currency: str) -> str:
    """An amount with its currency sign, as the reader's language writes it:
    15000 VND -> "₫15,000" (en), "15,000₫" (km), "15.000 ₫" (vi)."""
    return l10n.format_money(value, currency)


def price_range_display(product) -> str:
    low, high, currency = product.price_min, product.price_max, product.currency
    if low is None and high is None:
        return _("Ask the producer")
    if low is not None and high is not None and low != high:
        # Translators: a price range, e.g. "₫12,000 – ₫15,000".
        return _("%(low)s – %(high)s") % {
            "low": money_display(low, currency),
            "high": money_display(high, currency),
        }
    if low is not None and high is None:
        # Translators: a price with no upper limit, e.g. "from ₫12,000".
        return _("from %(low)s") % {"low": money_display(low, currency)}
    if low is None:
        # Translators: a price with no lower limit, e.g. "up to ₫15,000".
        return _("up to %(high)s") % {"high": money_display(high, currency)}
    return money_display(low, currency)


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
