"""Suggestions that explain themselves: a stored breakdown turned into short phrases, e.g.
"same subgroup: Fish sauce · 45 km from Kien Giang · holds HACCP (required) · can supply
2,000 L of your 1,500 L a month".

Phrases are translated into the active language, name categories, provinces and
certifications in that language, and give quantities in the buyer's own unit. The buyer
reads "your"; the producer reads the same facts as "their" and "you".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from matching.models import Suggestion
from taxonomy.models import Certification, Province, Unit

BUYER, PRODUCER = "buyer", "producer"
SEPARATOR = " · "


@dataclass(frozen=True)
class ReasonContext:
    """Names the breakdowns point at (provinces and certifications by pk): two queries,
    however many suggestions a page shows."""

    provinces: dict[int, Province]
    certifications: dict[int, Certification]

    @classmethod
    def load(cls) -> ReasonContext:
        return cls(
            provinces={p.pk: p for p in Province.objects.all()},
            certifications={c.pk: c for c in Certification.objects.all()},
        )


def number(value: float) -> str:
    """A quantity as people write it, localised: 2000.0 -> "2,000", 1.25 -> "1.25"."""
    places = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    rounded = Decimal(str(round(value, places))).normalize()
    exponent = rounded.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    return number_format(rounded, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def quantity(base_value: float, unit: Unit) -> str:
    """A base-unit quantity (kg, L, piece) in `unit`: "2,000 L"."""
    return f"{number(base_value / float(unit.to_base))} {unit.symbol}"


def _category(suggestion: Suggestion, kind: str, audience: str) -> str:
    category = suggestion.product.category
    group = category.parent or category
    if kind == "subgroup":
        return _("same subgroup: %(category)s") % {"category": category.name}
    if kind == "whole_group":
        if audience == BUYER:
            return _("in the group you want: %(group)s") % {"group": group.name}
        return _("in the group they want: %(group)s") % {"group": group.name}
    return _("same group: %(group)s (%(category)s)") % {
        "group": group.name,
        "category": category.name,
    }


def _province(
    suggestion: Suggestion, data: dict, flags: set, context: ReasonContext, audience: str
) -> str:
    home = suggestion.producer.province.name
    if "anywhere" in flags:
        if audience == BUYER:
            return _("from %(province)s; you source from anywhere") % {"province": home}
        return _("they source from anywhere")
    if "inside_wanted" in flags:
        if audience == BUYER:
            return _("in %(province)s, one of your provinces") % {"province": home}
        return _("in %(province)s, one of their provinces") % {"province": home}
    nearest = context.provinces.get(data.get("nearest_province"))
    distance = data.get("distance_km")
    if nearest is None or distance is None:
        return _("from %(province)s") % {"province": home}
    return _("%(distance)s km from %(province)s") % {
        "distance": number(math.floor(distance + 0.5)),
        "province": nearest.name,
    }


def _certifications(data: dict, context: ReasonContext, audience: str) -> list[str]:
    phrases = []
    for pk in data.get("required_held") or []:
        cert = context.certifications.get(pk)
        if cert is not None:
            phrase = (
                _("holds %(certification)s (required)")
                if audience == BUYER
                else _("you hold %(certification)s (required)")
            )
            phrases.append(phrase % {"certification": cert.name})
    held = data.get("preferred_held") or []
    for pk in held:
        cert = context.certifications.get(pk)
        if cert is not None:
            phrase = (
                _("holds %(certification)s (preferred)")
                if audience == BUYER
                else _("you hold %(certification)s (preferred)")
            )
            phrases.append(phrase % {"certification": cert.name})
    missing = int(data.get("preferred_count") or 0) - len(held)
    if missing > 0:
        phrases.append(
            ngettext(
                "lacks %(count)s preferred certification",
                "lacks %(count)s preferred certifications",
                missing,
            )
            % {"count": missing}
        )
    return phrases


def _volume(suggestion: Suggestion, data: dict, flags: set, audience: str) -> list[str]:
    unit = suggestion.need.unit
    amounts = data.get("quantities") or {}
    phrases = []
    if "dimension_mismatch" in flags:
        phrases.append(
            _("sold in another kind of unit than %(unit)s, so quantities cannot be compared")
            % {"unit": unit.symbol}
        )
        return phrases
    capacity, volume = amounts.get("product_capacity"), amounts.get("need_volume")
    if volume is not None:
        if capacity is None:
            phrases.append(_("monthly capacity not stated"))
        elif audience == BUYER:
            phrases.append(
                _("can supply %(capacity)s of your %(volume)s a month")
                % {"capacity": quantity(capacity, unit), "volume": quantity(volume, unit)}
            )
        else:
            phrases.append(
                _("you can supply %(capacity)s of their %(volume)s a month")
                % {"capacity": quantity(capacity, unit), "volume": quantity(volume, unit)}
            )
    minimum, order = amounts.get("product_min_order"), amounts.get("need_order_size")
    if minimum is not None and order is not None:
        values = {"minimum": quantity(minimum, unit), "order": quantity(order, unit)}
        if minimum <= order:
            phrase = (
                _("minimum order %(minimum)s fits your usual order of %(order)s")
                if audience == BUYER
                else _("your minimum order %(minimum)s fits their usual order of %(order)s")
            )
        else:
            phrase = (
                _("minimum order %(minimum)s is more than your usual order of %(order)s")
                if audience == BUYER
                else _("your minimum order %(minimum)s is more than their usual order of %(order)s")
            )
        phrases.append(phrase % values)
    return phrases


def reasons(suggestion: Suggestion, *, context: ReasonContext, audience: str = BUYER) -> list[str]:
    """Why a suggestion was made, as phrases in the active language.

    Needs `suggestion.product.category.parent`, `suggestion.producer.province` and
    `suggestion.need.unit` loaded (see selectors.suggestions_with_relations).
    """
    data = suggestion.breakdown or {}
    flags = set(data.get("flags") or [])
    phrases = [
        _category(suggestion, data.get("match_kind", "subgroup"), audience),
        _province(suggestion, data, flags, context, audience),
        *_certifications(data, context, audience),
        *_volume(suggestion, data, flags, audience),
    ]
    return [p for p in phrases if p]


def reasons_text(suggestion: Suggestion, *, context: ReasonContext, audience: str = BUYER) -> str:
    return SEPARATOR.join(reasons(suggestion, context=context, audience=audience))
