"""Local formats: numbers, quantities, money, dates and times, from one source, CLDR (through
Babel), in the language that Django has active.

Pages, emails and the review diff all call these functions (templates through the
`l10n_tags` library), so a price or a meeting time reads the same everywhere. The decisions,
with the CLDR values behind them, are written down in docs/formats.md; in short:

- en is shown with CLDR's en_GB data (day before month, 24-hour clock), km with km_KH and
  vi with vi_VN;
- riel (KHR) and đồng (VND) are whole numbers; the riel sign is ៛ in every language;
- aware datetimes are converted to a time zone first: the one given (a forum's), otherwise
  the active one (`{% timezone forum.time_zone %}` sets it on forum pages).
"""

from __future__ import annotations

import copy
import datetime as dt
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_interval, get_datetime_format
from babel.dates import format_time as babel_format_time
from babel.numbers import NumberPattern, get_currency_precision, get_currency_symbol
from django.conf import settings
from django.utils import timezone, translation

# Django language code -> CLDR locale. English is for an audience in Cambodia and Vietnam and
# for visiting buyers: en_GB writes the day before the month and uses the 24-hour clock, as
# both countries do (CLDR's plain "en" is American: "Nov 4, 2025, 2:30 PM").
LOCALES = {"en": "en_GB", "km": "km_KH", "vi": "vi_VN"}
FALLBACK_LOCALE = "en_GB"

# CLDR (supplemental currencyData) gives the riel the default 2 fraction digits, but riel
# prices are never written with cents, so it is whole here, like the đồng and the yen (0 in
# CLDR). Other currencies keep CLDR's digits (USD and THB: 2).
WHOLE_CURRENCIES = frozenset({"KHR", "VND", "JPY"})

# The standard symbol for the riel in CLDR's en and vi data is the code "KHR"; ៛ is CLDR's
# narrow symbol (root locale), which Babel does not ship. Riel prices are written with ៛.
SYMBOLS = {"KHR": "៛"}

# Width names for dates; "day" is the weekday, day and month of an agenda ("Tue 4 Nov"),
# CLDR's skeleton MMMEd.
DATE_WIDTHS = ("short", "medium", "long", "full")
DAY = "day"
DAY_SKELETON = "MMMEd"

NBSP = "\u00a0"


# --- Locales --------------------------------------------------------------------------------


def locale_for(language: str | None = None) -> Locale:
    """The CLDR locale for a Django language code (the active language by default)."""
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    return _locale(LOCALES.get(language) or LOCALES.get(language.split("-")[0], FALLBACK_LOCALE))


@lru_cache(maxsize=16)
def _locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


def number_symbols(language: str | None = None) -> dict[str, str]:
    """CLDR's decimal and group separators for the language (Latin digits)."""
    symbols = locale_for(language).number_symbols["latn"]
    return {"decimal": symbols["decimal"], "group": symbols["group"]}


# --- Numbers --------------------------------------------------------------------------------


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def natural_places(value: Decimal) -> int:
    """The decimal places a person writes: 1500.000 -> 0, 2.500 -> 1."""
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _with_places(pattern: NumberPattern, places: int) -> NumberPattern:
    pattern = copy.copy(pattern)
    pattern.frac_prec = (places, places)
    return pattern


def format_number(
    value, decimals: int | None = None, *, language: str | None = None, grouping: bool = True
) -> str:
    """A number with the locale's grouping and decimal sign. `decimals` fixes the places
    (rounding half-even); by default the value's own places are kept, trailing zeros
    dropped: 1500.000 -> "1,500" (en), 2.5 -> "2,5" (vi)."""
    number = _decimal(value)
    if number is None:
        return "" if value is None or value == "" else str(value)
    places = natural_places(number) if decimals is None else decimals
    locale = locale_for(language)
    pattern = _with_places(locale.decimal_formats[None], places)
    return pattern.apply(number, locale, group_separator=grouping)


def format_quantity(value, *, language: str | None = None) -> str:
    """A stored quantity as people write it: 1500.000 -> "1,500", 2.500 -> "2.5" (en)."""
    return format_number(value, language=language)


# --- Money ----------------------------------------------------------------------------------


def currency_digits(currency: str) -> int:
    return 0 if currency in WHOLE_CURRENCIES else get_currency_precision(currency)


def currency_symbol(currency: str, *, language: str | None = None) -> str:
    return SYMBOLS.get(currency) or get_currency_symbol(currency, locale_for(language))


def _is_spacing_needed(symbol_edge: str, number_edge: str) -> bool:
    """CLDR's currencySpacing (the same in en, km and vi): a symbol whose edge is not itself
    a symbol (a letter, as in "THB" or "JP¥") is kept apart from the digits by a no-break
    space. Babel leaves this rule out, so it is applied here."""
    category = unicodedata.category(symbol_edge)
    return number_edge.isdigit() and not category.startswith(("S", "Z"))


def format_money(
    value, currency: str, *, language: str | None = None, decimals: int | None = None
) -> str:
    """An amount with its currency as the locale writes it (CLDR's standard currency
    pattern): 15000 VND -> "₫15,000" (en), "15,000₫" (km), "15.000 ₫" (vi, with a no-break
    space). Riel and đồng are whole numbers; dollars have cents."""
    number = _decimal(value)
    if number is None:
        return "" if value is None or value == "" else str(value)
    currency = (currency or "").upper()
    if not currency:
        return format_number(number, decimals, language=language)
    places = currency_digits(currency) if decimals is None else decimals
    locale = locale_for(language)
    pattern = _with_places(locale.currency_formats["standard"], places)
    text = pattern.apply(number, locale, currency=None, currency_digits=False)
    symbol = currency_symbol(currency, language=language)
    at = text.find("¤")
    if at < 0:
        return text
    before, after = text[:at], text[at + 1 :]
    if after and _is_spacing_needed(symbol[-1], after[0]):
        symbol = symbol + NBSP
    if before and _is_spacing_needed(symbol[0], before[-1]):
        symbol = NBSP + symbol
    return before + symbol + after


# --- Dates and times ------------------------------------------------------------------------


def _zone(tz) -> dt.tzinfo:
    if tz is None or tz == "":
        return timezone.get_current_timezone()
    if isinstance(tz, dt.tzinfo):
        return tz
    return ZoneInfo(str(tz))


def local(value: dt.datetime, tz=None) -> dt.datetime:
    """An aware datetime in the given zone (the active one by default); naive ones as they
    are."""
    if timezone.is_aware(value):
        return value.astimezone(_zone(tz))
    return value


def _date_pattern(locale: Locale, format: str) -> str:
    if format == DAY:
        return locale.datetime_skeletons[DAY_SKELETON].pattern
    return format


def format_date(value, format: str = "long", tz=None, *, language: str | None = None) -> str:
    """A date (or the local date of an aware datetime) in one of CLDR's widths ("short",
    "medium", "long", "full"), "day" ("Tue 4 Nov"), or a CLDR pattern. "long" is the
    default, as Django's DATE_FORMAT is here: "4 November 2025" (en), "4 tháng 11, 2025"
    (vi)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = local(value, tz).date()
    locale = locale_for(language)
    return babel_format_date(value, _date_pattern(locale, format), locale=locale)


def format_day(value, tz=None, *, language: str | None = None) -> str:
    """Weekday, day and month, for agendas: "Tue 4 Nov" (en), "Th 3, 4 thg 11" (vi)."""
    return format_date(value, DAY, tz, language=language)


def _clock(value, tz) -> dt.time:
    if isinstance(value, dt.datetime):
        return local(value, tz).time()
    return value.replace(tzinfo=None)


def format_time(value, format: str = "short", tz=None, *, language: str | None = None) -> str:
    """A time of day, CLDR's short time by default: "14:30" (en, vi), "2:30 PM" (km)."""
    if value is None or value == "":
        return ""
    return babel_format_time(_clock(value, tz), format, locale=locale_for(language))


def format_datetime(value, format: str = "long", tz=None, *, language: str | None = None) -> str:
    """A date and its time, joined by the locale's CLDR pattern. `format` is the width of
    the date (or "day"); the time is always the short one (no seconds): "4 November 2025,
    14:30" (en), "14:30 4 tháng 11, 2025" (vi)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        return format_date(value, format, tz, language=language)
    glue = format if format in DATE_WIDTHS else "medium"
    locale = locale_for(language)
    return (
        get_datetime_format(glue, locale=locale)
        .replace("'", "")
        .replace("{0}", format_time(value, "short", tz, language=language))
        .replace("{1}", format_date(value, format, tz, language=language))
    )


def _range_skeleton(locale: Locale) -> str:
    """Hours and minutes, on the locale's own clock (12 or 24 hours)."""
    return "hm" if "h" in locale.time_formats["short"].pattern else "Hm"


def format_time_range(start, end, tz=None, *, language: str | None = None) -> str:
    """From one time to another with CLDR's interval pattern: "09:00–09:20" (en, vi),
    "9:00 – 9:20 AM" (km)."""
    if not start or not end:
        return format_time(start or end, tz=tz, language=language)
    locale = locale_for(language)
    start, end = _clock(start, tz), _clock(end, tz)
    return format_interval(start, end, _range_skeleton(locale), locale=locale)


def format_slot(start, end, tz=None, *, language: str | None = None) -> str:
    """A meeting slot: its day and its times, joined as the locale joins a date and a time:
    "Tue 4 Nov, 09:00–09:20" (en), "09:00–09:20 Th 3, 4 thg 11" (vi)."""
    if not start:
        return ""
    locale = locale_for(language)
    return (
        get_datetime_format("medium", locale=locale)
        .replace("'", "")
        .replace("{0}", format_time_range(start, end, tz, language=language))
        .replace("{1}", format_day(start, tz, language=language))
    )
