"""Template filters for local formats; each one calls forum_market.l10n in the active language.

    {% load l10n_tags %}
    {{ product.price_min|money:product.currency }}   ₫15,000 / 15.000 ₫
    {{ need.volume|quantity }}  {{ value|number }}  {{ value|number:2 }}
    {{ need.deadline|ldate }}  {{ need.deadline|ldate:"short" }}  {{ day.date|ldate:"full" }}
    {{ slot.starts_at|lday }}  {{ slot.starts_at|ltime }}  {{ run.published_at|ldatetime }}
    {% time_range slot.starts_at slot.ends_at %}  {% slot_when slot.starts_at slot.ends_at %}

The date filters take one optional argument: a width ("short", "medium", "long", "full",
"day") or a time zone (a name such as forum.time_zone). Without a zone, aware datetimes are
shown in the active one, which `{% timezone forum.time_zone %}` sets on forum pages.
"""

from __future__ import annotations

import datetime as dt

from django import template

from forum_market import l10n

register = template.Library()

WIDTHS = (*l10n.DATE_WIDTHS, l10n.DAY)


def _width_and_zone(arg, default: str) -> tuple[str, object]:
    if arg is None or arg == "":
        return default, None
    if isinstance(arg, dt.tzinfo):
        return default, arg
    if str(arg) in WIDTHS:
        return str(arg), None
    return default, str(arg)


@register.filter
def money(value, currency=""):
    return l10n.format_money(value, currency or "")


@register.filter
def number(value, decimals=None):
    places = None if decimals in (None, "") else int(decimals)
    return l10n.format_number(value, places)


@register.filter
def quantity(value):
    return l10n.format_quantity(value)


@register.filter
def ldate(value, arg=None):
    width, zone = _width_and_zone(arg, "long")
    return l10n.format_date(value, width, zone)


@register.filter
def lday(value, zone=None):
    return l10n.format_day(value, zone or None)


@register.filter
def ltime(value, zone=None):
    return l10n.format_time(value, tz=zone or None)


@register.filter
def ldatetime(value, arg=None):
    width, zone = _width_and_zone(arg, "long")
    return l10n.format_datetime(value, width, zone)


@register.simple_tag
def time_range(start, end, zone=None):
    """From one time to the other: 09:00–09:20 (en), 9:00 – 9:20 AM (km)."""
    return l10n.format_time_range(start, end, zone or None)


@register.simple_tag
def slot_when(start, end, zone=None):
    """A meeting slot's day and times: Tue 4 Nov, 09:00–09:20 (en)."""
    return l10n.format_slot(start, end, zone or None)
