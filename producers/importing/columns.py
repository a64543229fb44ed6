"""The columns of an import or export sheet and how a header names one.

A committee's spreadsheet can head its columns in English, Khmer or Vietnamese, in any case,
with or without accents, and with words of its own ("SĐT", "Hạng sao", "Địa chỉ"). Headers
are folded (see `header_fold`) and looked up among each field's template headers and
synonyms. The template headers are data, not translations: they must read the same
whether or not a language's message catalogue is compiled, because files come back with them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("en", "km", "vi")
# A header row is the first row that names at least this many different fields.
HEADER_MIN_FIELDS = 3
HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    headers: dict[str, str]  # the template header in each language
    synonyms: tuple[str, ...] = ()
    help: Promise | str = ""
    # In every row (producer fields), or in every row that lists a product.
    required: bool = False
    product: bool = False
    # Left out of the public export (contact details are shown to organisers only).
    private: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "producer_name",
        _("Producer name"),
        {"en": "Producer name", "km": "ឈ្មោះអាជីវកម្ម", "vi": "Tên chủ thể"},
        (
            "producer",
            "business name",
            "business",
            "name of business",
            "cooperative",
            "enterprise name",
            "chủ thể",
            "tên cơ sở",
            "cơ sở sản xuất",
            "tên doanh nghiệp",
            "tên hộ",
            "tên HTX",
            "tên đơn vị",
            "đơn vị sản xuất",
            "ឈ្មោះផលិតករ",
            "ផលិតករ",
            "ឈ្មោះសហគមន៍",
        ),
        required=True,
    ),
    Column(
        "kind",
        _("Kind of business"),
        {"en": "Kind of business", "km": "ប្រភេទអាជីវកម្ម", "vi": "Loại hình"},
        (
            "kind",
            "type",
            "business type",
            "type of business",
            "legal form",
            "loại hình chủ thể",
            "loại hình kinh doanh",
            "loại chủ thể",
            "ប្រភេទ",
        ),
        help=_("household, cooperative or enterprise; guessed from the name when left empty"),
    ),
    Column(
        "village",
        _("Village or commune"),
        {"en": "Village or commune", "km": "ភូមិ ឬឃុំ", "vi": "Xã/phường, thôn"},
        (
            "village",
            "commune",
            "address",
            "location",
            "village commune",
            "xã",
            "phường",
            "thôn",
            "xã phường",
            "thôn xã",
            "địa chỉ",
            "địa bàn",
            "ភូមិ",
            "ឃុំ",
            "ឃុំ សង្កាត់",
            "អាសយដ្ឋាន",
        ),
        required=True,
    ),
    Column(
        "province",
        _("Province"),
        {"en": "Province", "km": "ខេត្ត", "vi": "Tỉnh/thành phố"},
        (
            "province city",
            "city province",
            "tỉnh",
            "tỉnh thành",
            "tỉnh thành phố",
            "thành phố",
            "ខេត្ត រាជធានី",
            "រាជធានី ខេត្ត",
        ),
        required=True,
    ),
    Column(
        "phone",
        _("Phone"),
        {"en": "Phone", "km": "ទូរស័ព្ទ", "vi": "Số điện thoại"},
        (
            "telephone",
            "phone number",
            "mobile",
            "mobile phone",
            "tel",
            "contact phone",
            "điện thoại",
            "SĐT",
            "ĐT",
            "số ĐT",
            "điện thoại liên hệ",
            "លេខទូរស័ព្ទ",
        ),
        private=True,
    ),
    Column(
        "email",
        _("Email"),
        {"en": "Email", "km": "អ៊ីមែល", "vi": "Email"},
        ("e-mail", "email address", "mail", "thư điện tử", "địa chỉ email", "អ៊ីម៉ែល"),
        private=True,
    ),
    Column(
        "product_name",
        _("Product name"),
        {"en": "Product name", "km": "ឈ្មោះផលិតផល", "vi": "Tên sản phẩm"},
        ("product", "product title", "listing", "sản phẩm", "tên SP", "ផលិតផល"),
        help=_("leave empty in a row that only registers the producer"),
        product=True,
    ),
    Column(
        "product_name_en",
        _("Product name in English"),
        {
            "en": "Product name in English",
            "km": "ឈ្មោះផលិតផលជាភាសាអង់គ្លេស",
            "vi": "Tên sản phẩm (tiếng Anh)",
        },
        ("english name", "name in english", "name en", "tên tiếng anh", "ឈ្មោះជាភាសាអង់គ្លេស"),
        product=True,
    ),
    Column(
        "description",
        _("Description"),
        {"en": "Description", "km": "ការពិពណ៌នា", "vi": "Mô tả"},
        ("product description", "details", "mô tả sản phẩm", "ការពិពណ៌នាផលិតផល"),
        product=True,
    ),
    Column(
        "language",
        _("Language"),
        {"en": "Language", "km": "ភាសា", "vi": "Ngôn ngữ"},
        (
            "content language",
            "language of the listing",
            "listing language",
            "written in",
            "lang",
            "ngôn ngữ sản phẩm",
            "ngôn ngữ mô tả",
            "viết bằng tiếng",
            "ភាសាផលិតផល",
            "សរសេរជាភាសា",
        ),
        help=_(
            "the language of the product name and description: km, vi, en, th or ja, or its "
            "name; the producer’s country’s language when left empty"
        ),
        product=True,
    ),
    Column(
        "category",
        _("Category"),
        {"en": "Category", "km": "ប្រភេទផលិតផល", "vi": "Nhóm sản phẩm"},
        (
            "product category",
            "product group",
            "group",
            "OCOP group",
            "ngành",
            "nhóm",
            "phân nhóm",
            "bộ sản phẩm",
            "ngành hàng",
            "ក្រុមផលិតផល",
        ),
        required=True,
        product=True,
    ),
    Column(
        "unit",
        _("Unit of sale"),
        {"en": "Unit of sale", "km": "ឯកតាលក់", "vi": "Đơn vị bán"},
        ("unit", "sales unit", "uom", "đơn vị", "đơn vị tính", "ĐVT", "ឯកតា"),
        required=True,
        product=True,
    ),
    Column(
        "capacity",
        _("Monthly capacity"),
        {"en": "Monthly capacity", "km": "សមត្ថភាពផ្គត់ផ្គង់ប្រចាំខែ", "vi": "Sản lượng hằng tháng"},
        (
            "capacity",
            "capacity per month",
            "supply capacity",
            "monthly supply",
            "monthly volume",
            "volume",
            "output",
            "sản lượng",
            "sản lượng tháng",
            "sản lượng hàng tháng",
            "sản lượng mỗi tháng",
            "công suất",
            "năng lực cung ứng",
            "khả năng cung ứng",
            "សមត្ថភាព",
            "សមត្ថភាពផលិត",
            "បរិមាណ",
        ),
        help=_('a number with its unit, e.g. "2 tấn", or a number and a capacity unit column'),
        required=True,
        product=True,
    ),
    Column(
        "capacity_unit",
        _("Capacity unit"),
        {"en": "Capacity unit", "km": "ឯកតាសមត្ថភាព", "vi": "Đơn vị sản lượng"},
        ("unit of capacity", "capacity uom", "đơn vị công suất", "ឯកតាបរិមាណ"),
        product=True,
    ),
    Column(
        "min_order",
        _("Minimum order"),
        {"en": "Minimum order", "km": "ការបញ្ជាទិញអប្បបរមា", "vi": "Đơn hàng tối thiểu"},
        ("MOQ", "min order", "minimum order quantity", "số lượng tối thiểu", "បញ្ជាទិញអប្បបរមា"),
        help=_("in units of sale"),
        product=True,
    ),
    Column(
        "price",
        _("Price"),
        {"en": "Price", "km": "តម្លៃ", "vi": "Giá"},
        ("price range", "unit price", "giá bán", "đơn giá", "khoảng giá", "តម្លៃលក់"),
        help=_('one price, or a range such as "15-22"'),
        product=True,
    ),
    Column(
        "price_min",
        _("Lowest price"),
        {"en": "Lowest price", "km": "តម្លៃទាបបំផុត", "vi": "Giá thấp nhất"},
        ("min price", "minimum price", "price from", "giá từ", "giá tối thiểu"),
        product=True,
    ),
    Column(
        "price_max",
        _("Highest price"),
        {"en": "Highest price", "km": "តម្លៃខ្ពស់បំផុត", "vi": "Giá cao nhất"},
        ("max price", "maximum price", "price to", "giá đến", "giá tối đa"),
        product=True,
    ),
    Column(
        "currency",
        _("Currency"),
        {"en": "Currency", "km": "រូបិយប័ណ្ណ", "vi": "Tiền tệ"},
        ("currency code", "đơn vị tiền", "đơn vị tiền tệ", "loại tiền", "រូបិយវត្ថុ"),
        help=_("KHR, VND, USD, THB or JPY; the country's own when left empty"),
        product=True,
    ),
    Column(
        "stars",
        _("Stars"),
        {"en": "Stars", "km": "ផ្កាយ", "vi": "Số sao"},
        (
            "OCOP stars",
            "OVOP stars",
            "star rating",
            "rating",
            "hạng sao",
            "xếp hạng",
            "phân hạng",
            "hạng",
            "sao",
            "số sao OCOP",
            "ចំនួនផ្កាយ",
        ),
        help=_("3, 4 or 5; empty when not rated"),
        product=True,
    ),
    Column(
        "certifications",
        _("Certifications"),
        {"en": "Certifications", "km": "វិញ្ញាបនបត្រ", "vi": "Chứng nhận"},
        (
            "certification",
            "certificates",
            "certificate",
            "chứng nhận khác",
            "chứng chỉ",
            "giấy chứng nhận",
            "វិញ្ញាបនប័ត្រ",
        ),
        help=_(
            "codes or names separated by commas or semicolons, each optionally with its "
            'expiry date: "VIETGAP (2027-06-30); HACCP"'
        ),
        product=True,
    ),
    Column(
        "months",
        _("Months available"),
        {"en": "Months available", "km": "ខែដែលមាន", "vi": "Tháng có hàng"},
        ("months", "season", "seasonality", "availability", "mùa vụ", "thời vụ", "រដូវ"),
        help=_('e.g. "1-4, 11-12"; all year when left empty'),
        product=True,
    ),
)

BY_KEY: dict[str, Column] = {column.key: column for column in COLUMNS}
FIELD_KEYS = tuple(BY_KEY)
PRODUCER_KEYS = ("producer_name", "kind", "village", "province", "phone", "email")
PRODUCT_KEYS = tuple(column.key for column in COLUMNS if column.product)
REQUIRED_KEYS = tuple(column.key for column in COLUMNS if column.required and not column.product)
PRODUCT_REQUIRED_KEYS = tuple(
    column.key for column in COLUMNS if column.required and column.product
)

_LATIN_MARKS = re.compile("[\u0300-\u036f]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_BRACKETS = re.compile(r"[(\[{].*?[)\]}]")
_KHMER_COENG_TA, _KHMER_COENG_DA = "\u17d2\u178f", "\u17d2\u178a"


def text_fold(text: str) -> str:
    """Case-folded, without Latin accents (đ -> d), spaces collapsed: for comparing words
    that people type ("Hợp tác xã" == "hop tac xa"). Khmer signs are kept."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", str(text))).casefold()
    text = text.replace(_KHMER_COENG_TA, _KHMER_COENG_DA).replace("đ", "d")
    text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", text)))
    return " ".join(text.split())


def header_fold(text: str) -> str:
    """A header as the lookup compares it: folded, with every non-letter removed, so
    "Xã / Phường, thôn", "xa phuong thon" and "XÃ-PHƯỜNG THÔN" are the same."""
    folded = text_fold(text)
    return "".join(char for char in folded if unicodedata.category(char)[0] in "LNM")


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in COLUMNS:
        names = [column.key.replace("_", " "), *column.headers.values(), *column.synonyms]
        names.append(str(column.label))
        for name in names:
            key = header_fold(name)
            if key and index.setdefault(key, column.key) != column.key:
                raise ValueError(f"Header {name!r} names both {index[key]} and {column.key}")
    return index


HEADER_INDEX = _header_index()


def header_field(text: object) -> str | None:
    """The field a header names, or None.

    Tried as written, then without a bracketed part and a trailing "*" (so "Giá (VNĐ)" and
    "Province *" are found), then against the labels in the active language.
    """
    if text is None:
        return None
    raw = str(text).strip()
    if not raw:
        return None
    for candidate in (raw, _BRACKETS.sub(" ", raw).replace("*", " ")):
        key = header_fold(candidate)
        if key in HEADER_INDEX:
            return HEADER_INDEX[key]
    key = header_fold(raw)
    for column in COLUMNS:
        if header_fold(str(column.label)) == key:
            return column.key
    return None


def mapping_auto(headers: Sequence[object]) -> list[str]:
    """One field key per column ("" to ignore). When two columns name the same field, the
    first one is used and the other ignored; the organiser can swap them on the page."""
    seen: set[str] = set()
    mapping = []
    for header in headers:
        key = header_field(header)
        if key is None or key in seen:
            mapping.append("")
            continue
        seen.add(key)
        mapping.append(key)
    return mapping


def header_row_find(rows: Sequence[Sequence[object]]) -> int | None:
    """The index of the header row: the first of the first rows that names at least three
    different fields. Title rows above it (often merged across the columns) are skipped."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        fields = {header_field(cell) for cell in row} - {None}
        if len(fields) >= HEADER_MIN_FIELDS:
            return index
    return None


def headers_for(language: str, *, include_private: bool = True) -> list[tuple[str, str]]:
    """(field key, header) pairs in template order for a language."""
    language = language if language in LANGUAGES else "en"
    return [
        (column.key, column.headers[language])
        for column in COLUMNS
        if include_private or not column.private
    ]
