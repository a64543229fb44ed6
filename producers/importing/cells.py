"""Reading one spreadsheet cell as what it means: numbers written the Vietnamese, Khmer or
English way, quantities with a unit ("2 tấn", "៥០០ គីឡូ"), price ranges, stars, months,
kinds of business and currencies.

Each parser returns a plain value or raises CellError with a message for the organiser;
validate.py adds the row and the column.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from producers.importing.columns import text_fold
from producers.models import ALL_MONTHS_MASK, Producer
from taxonomy.models import Currency


class CellError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


EXCEL_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!"}
_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_NUMBER = re.compile(r"^[0-9][0-9.,]*$")


def cell_text(value: object) -> str:
    """A cell as text: numbers without a spurious ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(Decimal(repr(value)).normalize()) if value == value else ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def number_parse(value: object, *, thousands_dot: bool = False) -> Decimal:
    """A non-negative number from a cell.

    Spreadsheet numbers are taken as they are. Text may use Khmer digits, spaces between
    thousands, and either "." or "," as the decimal mark: when both appear the last one is
    the decimal mark; a mark that repeats ("1.500.000") groups thousands; a lone "," before
    exactly three digits groups thousands ("1,500"), otherwise it is the decimal mark
    ("2,5"). A lone "." is the decimal mark, unless `thousands_dot` (prices in đồng or
    riel, which have no decimals) and three digits follow ("15.000").
    """
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not a number.") % {"value": cell_text(value)})
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(_("“%(value)s” is not a number.") % {"value": value})
        number = Decimal(repr(value))
    else:
        text = _SPACES.sub("", str(value).translate(_KHMER_DIGITS))
        if not _NUMBER.match(text):
            raise CellError(_("“%(value)s” is not a number.") % {"value": str(value).strip()})
        number = Decimal(_number_normalise(text, thousands_dot=thousands_dot))
    if number < 0:
        raise CellError(_("“%(value)s” is less than zero.") % {"value": cell_text(value)})
    return number


def _number_normalise(text: str, *, thousands_dot: bool) -> str:
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
        grouping = "," if decimal_mark == "." else "."
        if text.count(decimal_mark) > 1:
            raise CellError(_("“%(value)s” is not a number.") % {"value": text})
        return text.replace(grouping, "").replace(decimal_mark, ".")
    for mark, count in ((".", dots), (",", commas)):
        if not count:
            continue
        groups = text.split(mark)
        if count > 1:
            if not all(len(group) == 3 for group in groups[1:]) or not groups[0]:
                raise CellError(_("“%(value)s” is not a number.") % {"value": text})
            return "".join(groups)
        whole, fraction = groups
        if not whole or not fraction:
            raise CellError(_("“%(value)s” is not a number.") % {"value": text})
        thousands = len(fraction) == 3 and (mark == "," or thousands_dot)
        return whole + fraction if thousands else f"{whole}.{fraction}"
    return text


def decimal_fit(number: Decimal, *, places: int, max_digits: int) -> tuple[Decimal, bool]:
    """`number` rounded to the places the database keeps; (value, whether it was rounded).
    Raises CellError when it is too large to store."""
    try:
        rounded = number.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        rounded = None
    if rounded is None or len(rounded.as_tuple().digits) > max_digits:
        raise CellError(_("“%(value)s” is too large.") % {"value": number})
    return rounded, rounded != number


# --- Quantities -----------------------------------------------------------------------------

_QUANTITY = re.compile(r"^\s*([0-9០-៩][0-9០-៩.,\s\u00a0\u202f]*)\s*(.*?)\s*$", re.S)
# "per month" in the three languages, after a capacity ("2 tấn/tháng", "500 kg per month").
_PER_MONTH = re.compile(
    r"\s*(?:/|per|a|mỗi|một|moi|mot|each)?\s*(?:month|tháng|thang|mo)\.?\s*$"
    r"|\s*/?\s*(?:ក្នុង)?(?:មួយ)?ខែ\s*$|\s*ប្រចាំខែ\s*$",
    re.I,
)


def quantity_split(value: object) -> tuple[Decimal, str]:
    """(number, unit text) from "2 tấn", "2tấn/tháng", "៥០០ គីឡូ" or a bare number."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return number_parse(value), ""
    text = cell_text(value)
    match = _QUANTITY.match(text)
    if not match:
        raise CellError("")
    number_text, unit_text = match.group(1).strip(), match.group(2)
    unit_text = _PER_MONTH.sub("", unit_text).strip()
    try:
        return number_parse(number_text), unit_text
    except CellError:
        raise CellError("") from None


# --- Prices ---------------------------------------------------------------------------------

_CURRENCY_WORDS: dict[str, str] = {
    "vnd": Currency.VND,
    "vnđ": Currency.VND,
    "đ": Currency.VND,
    "d": Currency.VND,
    "₫": Currency.VND,
    "dong": Currency.VND,
    "đồng": Currency.VND,
    "khr": Currency.KHR,
    "riel": Currency.KHR,
    "riels": Currency.KHR,
    "៛": Currency.KHR,
    "រៀល": Currency.KHR,
    "usd": Currency.USD,
    "$": Currency.USD,
    "us$": Currency.USD,
    "dollar": Currency.USD,
    "dollars": Currency.USD,
    "đô": Currency.USD,
    "do la": Currency.USD,
    "đô la": Currency.USD,
    "ដុល្លារ": Currency.USD,
    "thb": Currency.THB,
    "baht": Currency.THB,
    "฿": Currency.THB,
    "bạt": Currency.THB,
    "បាត": Currency.THB,
    "jpy": Currency.JPY,
    "yen": Currency.JPY,
    "yên": Currency.JPY,
    "¥": Currency.JPY,
    "円": Currency.JPY,
    "យ៉េន": Currency.JPY,
}
CURRENCY_INDEX = {text_fold(word): code for word, code in _CURRENCY_WORDS.items()}
CURRENCY_INDEX.update({code.lower(): code for code in Currency.values})
# Currencies nobody prices in fractions of: a "." before three digits groups thousands.
WHOLE_CURRENCIES = {Currency.VND, Currency.KHR, Currency.JPY}

_PRICE_RANGE = re.compile(r"\s*(?:–|—|-|~|->|→|\bto\b|đến|den|tới|toi|ដល់)\s*", re.I)
_PRICE_FROM = re.compile(r"^\s*(?:from|từ|tu|ពី)\s+", re.I)
_CURRENCY_TOKEN = re.compile(r"(us\$|[$₫៛฿¥円]|[^\W\d_]+(?:\s+la)?)\s*$|^\s*(us\$|[$₫៛฿¥円])", re.I)
_PER_UNIT = re.compile(r"\s*/\s*[^\d/]+$")


def currency_parse(value: object) -> str:
    text = cell_text(value)
    code = CURRENCY_INDEX.get(text_fold(text))
    if code is None:
        raise CellError(
            _("“%(value)s” is not a currency we know; write KHR, VND, USD, THB or JPY.")
            % {"value": text}
        )
    return code


# What a committee may write for the language of a listing, folded (text_fold): the code,
# and the name in English, Vietnamese, Khmer and the language itself.
CONTENT_LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "km": (
        "km",
        "khm",
        "khmer",
        "cambodian",
        "tieng khmer",
        "tieng kho me",
        "tieng campuchia",
        "ភាសាខ្មែរ",
        "ខ្មែរ",
    ),
    "vi": ("vi", "vie", "vn", "vietnamese", "tieng viet", "viet", "ភាសាវៀតណាម", "វៀតណាម"),
    "en": ("en", "eng", "english", "tieng anh", "anh", "ភាសាអង់គ្លេស", "អង់គ្លេស"),
    "th": ("th", "tha", "thai", "tieng thai", "ភាសាថៃ", "ថៃ", "ภาษาไทย", "ไทย"),
    "ja": ("ja", "jpn", "jp", "japanese", "tieng nhat", "ភាសាជប៉ុន", "ជប៉ុន", "日本語"),
}
CONTENT_LANGUAGE_INDEX = {
    text_fold(word): code for code, words in CONTENT_LANGUAGE_WORDS.items() for word in words
}


def content_language_parse(value: object) -> str:
    """The language a listing is written in: "vi", "Tiếng Việt", "Vietnamese" -> "vi"."""
    text = cell_text(value)
    code = CONTENT_LANGUAGE_INDEX.get(text_fold(text))
    if code is None:
        raise CellError(
            _(
                "“%(value)s” is not a language a listing can be written in; write km, vi, en, "
                "th or ja."
            )
            % {"value": text}
        )
    return code


def price_split(value: object) -> tuple[list[str | Decimal], str | None]:
    """The one or two numbers of a price cell ("15-22", "15.000 – 22.000 đ", "$12"), still
    unparsed, and the currency written in it (or None)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return [number_parse(value)], None
    text = _PER_UNIT.sub("", cell_text(value))
    text = _PRICE_FROM.sub("", text)
    currency = None
    while True:
        match = _CURRENCY_TOKEN.search(text)
        if not match:
            break
        token = text_fold(match.group(1) or match.group(2))
        code = CURRENCY_INDEX.get(token)
        if code is None:
            break
        if currency not in (None, code):
            raise CellError(_("“%(value)s” names two currencies.") % {"value": cell_text(value)})
        currency = code
        text = (text[: match.start()] + text[match.end() :]).strip()
    parts = [part for part in _PRICE_RANGE.split(text.strip()) if part.strip()]
    if not 1 <= len(parts) <= 2:
        raise CellError(
            _("“%(value)s” is not a price or a range such as 15-22.") % {"value": cell_text(value)}
        )
    return [part.strip() for part in parts], currency


# --- Stars, months, kinds -------------------------------------------------------------------

_STARS_NONE = {"", "0", "-", "none", "no", "not rated", "khong", "chua", "chua xep hang", "គ្មាន"}
_STARS = re.compile(r"^\s*([0-9០-៩])\s*(?:\*|★|☆|stars?|sao|ផ្កាយ)?\s*(?:ocop|ovop)?\s*$", re.I)


def stars_parse(value: object) -> int:
    text = cell_text(value)
    folded = text_fold(text)
    if folded in _STARS_NONE:
        return 0
    if set(text.replace(" ", "")) <= {"★", "*"}:
        count = len(text.replace(" ", ""))
    else:
        folded = re.sub(r"^(?:ocop|ovop)\s*", "", folded)
        match = _STARS.match(folded)
        if not match:
            raise CellError(_("“%(value)s” is not 3, 4 or 5 stars.") % {"value": text})
        count = int(match.group(1).translate(_KHMER_DIGITS))
    if count not in (0, 3, 4, 5):
        raise CellError(
            _("“%(value)s”: OCOP and OVOP ratings are 3, 4 or 5 stars.") % {"value": text}
        )
    return count


_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ALL_YEAR = {"all", "all year", "year round", "ca nam", "quanh nam", "tat ca", "ពេញមួយឆ្នាំ"}
_MONTH_WORDS = {"thang", "month", "months", "ខែ"}
_MONTH_TOKEN = re.compile(r"^(?:thang|t|m|month|ខែ)?([0-9]{1,2})$")
_MONTH_WORD = re.compile(r"(?:\bthang|\bmonths?|ខែ)\s*(?=[0-9])")
_MONTH_RANGE = re.compile(r"\s*(?:-|–|—|~|\bto\b|\bden\b)\s*")


def _month(token: str) -> int:
    token = token.strip().translate(_KHMER_DIGITS)
    if token in _MONTH_NAMES:
        return _MONTH_NAMES[token]
    match = _MONTH_TOKEN.match(token)
    if match and 1 <= int(match.group(1)) <= 12:
        return int(match.group(1))
    raise CellError("")


def months_parse(value: object) -> int:
    """A months mask from "1-4, 11-12", "Jan-Mar", "T11-T2" (wrapping the year) or "all"."""
    text = cell_text(value)
    folded = text_fold(text)
    if folded in _ALL_YEAR or not folded:
        return ALL_MONTHS_MASK
    mask = 0
    try:
        folded = _MONTH_WORD.sub("", folded.translate(_KHMER_DIGITS))
        for token in re.split(r"[,;/\s]+", _MONTH_RANGE.sub("-", folded)):
            if not token or token in _MONTH_WORDS:
                continue
            bounds = token.split("-")
            if len(bounds) == 1:
                mask |= 1 << (_month(bounds[0]) - 1)
            elif len(bounds) == 2:
                month, last = _month(bounds[0]), _month(bounds[1])
                while True:
                    mask |= 1 << (month - 1)
                    if month == last:
                        break
                    month = month % 12 + 1
            else:
                raise CellError("")
    except CellError:
        raise CellError(
            _("“%(value)s” is not a list of months such as 1-4, 11-12.") % {"value": text}
        ) from None
    return mask


def months_format(mask: int) -> str:
    """The inverse of months_parse: "1-4, 11-12"; "1-12" for all year."""
    months = [month for month in range(1, 13) if mask & (1 << (month - 1))]
    runs: list[list[int]] = []
    for month in months:
        if runs and runs[-1][-1] == month - 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


Kind = Producer.Kind
_KIND_WORDS = {
    Kind.HOUSEHOLD: (
        "household",
        "family",
        "individual",
        "farmer",
        "hộ",
        "hộ gia đình",
        "hộ kinh doanh",
        "hộ sản xuất",
        "hộ cá thể",
        "cá nhân",
        "cơ sở",
        "cơ sở sản xuất",
        "គ្រួសារ",
        "ក្រុមគ្រួសារ",
        "អាជីវកម្មគ្រួសារ",
        "កសិករ",
    ),
    Kind.COOPERATIVE: (
        "cooperative",
        "co-operative",
        "coop",
        "co-op",
        "association",
        "group",
        "hợp tác xã",
        "htx",
        "tổ hợp tác",
        "tht",
        "liên hiệp hợp tác xã",
        "សហករណ៍",
        "សហគមន៍",
        "សហគមន៍កសិកម្ម",
        "ក្រុមផលិតករ",
    ),
    Kind.ENTERPRISE: (
        "enterprise",
        "company",
        "business",
        "firm",
        "sme",
        "ltd",
        "doanh nghiệp",
        "doanh nghiệp tư nhân",
        "dntn",
        "dn",
        "công ty",
        "cty",
        "tnhh",
        "công ty tnhh",
        "cổ phần",
        "công ty cổ phần",
        "សហគ្រាស",
        "ក្រុមហ៊ុន",
    ),
}
KIND_INDEX = {text_fold(word): kind for kind, words in _KIND_WORDS.items() for word in words}
# How names begin: "HTX Tiêu Phú Quốc", "Công ty TNHH ...", "Hộ kinh doanh ...", "សហគមន៍...".
_KIND_PREFIXES = (
    (Kind.COOPERATIVE, ("htx", "hop tac xa", "to hop tac", "sahakor", "សហករណ៍", "សហគមន៍")),
    (
        Kind.ENTERPRISE,
        ("cong ty", "cty", "doanh nghiep", "dntn", "company", "ក្រុមហ៊ុន", "សហគ្រាស"),
    ),
    (Kind.HOUSEHOLD, ("ho kinh doanh", "ho gia dinh", "ho san xuat", "ho ong", "ho ba", "co so")),
)
_KIND_SUFFIXES = (
    (Kind.COOPERATIVE, ("cooperative", "co-operative", "coop", "agricultural community")),
    (Kind.ENTERPRISE, ("co ltd", "co., ltd", "ltd", "company", "enterprise", "jsc")),
    (Kind.HOUSEHOLD, ("household", "family")),
)


def kind_parse(value: object) -> str:
    text = cell_text(value)
    folded = text_fold(text)
    if folded in KIND_INDEX:
        return KIND_INDEX[folded]
    for kind in Kind:
        if folded in (kind.value, text_fold(str(kind.label))):
            return kind.value
    raise CellError(
        _(
            "“%(value)s” is not a kind of business we know; write household, cooperative or "
            "enterprise."
        )
        % {"value": text}
    )


def _starts_with(folded: str, prefix: str) -> bool:
    # Khmer is written without spaces, so a Khmer prefix needs no word break after it.
    return (
        folded == prefix
        or folded.startswith(prefix + " ")
        or (not prefix.isascii() and folded.startswith(prefix))
    )


def kind_from_name(name: str) -> str | None:
    """The kind of business a name gives away ("HTX ...", "Công ty TNHH ...", "... Co., Ltd"),
    if any."""
    folded = text_fold(name)
    for kind, prefixes in _KIND_PREFIXES:
        if any(_starts_with(folded, prefix) for prefix in prefixes):
            return kind
    for kind, suffixes in _KIND_SUFFIXES:
        if any(folded.endswith(" " + suffix) for suffix in suffixes):
            return kind
    return None


# --- Dates ----------------------------------------------------------------------------------

_DATE_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DATE_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")


def date_find(text: str) -> tuple[dt.date | None, str]:
    """A date written in `text` (2027-06-30 or day first, 30/06/2027) and the text without
    it. Raises CellError for a date that does not exist."""
    text = text.translate(_KHMER_DIGITS)
    for pattern, order in ((_DATE_ISO, "ymd"), (_DATE_DMY, "dmy")):
        match = pattern.search(text)
        if match:
            parts = dict(zip(order, map(int, match.groups()), strict=True))
            try:
                day = dt.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                raise CellError(
                    _("“%(value)s” is not a date.") % {"value": match.group(0)}
                ) from None
            return day, text[: match.start()] + text[match.end() :]
    return None, text
