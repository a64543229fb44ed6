"""Template filters for buyers' pages. Numbers come from forum_market.l10n (CLDR), the same
as on producers' pages; `{% load l10n_tags %}` has money and dates."""

from django import template

from forum_market import l10n

register = template.Library()


@register.filter
def quantity(value):
    """A stored Decimal as people write it: 1.500 -> "1.5", 1500.000 -> "1,500" (en)."""
    return l10n.format_quantity(value)
