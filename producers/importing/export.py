"""The catalogue as a spreadsheet in the import's own columns, so that a file exported and
imported again changes nothing; and the empty templates, with headers in English, Khmer
or Vietnamese.

CSV cells that a spreadsheet program would run as a formula (starting with =, +, -, @) are
written with a leading apostrophe, which the import removes again. XLSX cells are typed:
text is always a text cell, never a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from producers.importing.cells import months_format
from producers.importing.columns import BY_KEY, COLUMNS, LANGUAGES
from producers.models import HeldCertification, Producer, Product
from taxonomy.models import Category, Certification, Currency, Province, Unit

# The columns of an export and of the templates, in order. ("price", one cell for a range,
# is read by the import too, but a file written here uses the two numbers.)
EXPORT_KEYS = tuple(column.key for column in COLUMNS if column.key != "price")
PUBLIC_EXPORT_KEYS = tuple(key for key in EXPORT_KEYS if not BY_KEY[key].private)

# Kinds of business as the export writes them: fixed words the import reads back in any
# language, whether or not that language's translations are compiled.
KIND_WORDS = {
    "en": {"household": "household", "cooperative": "cooperative", "enterprise": "enterprise"},
    "km": {"household": "គ្រួសារ", "cooperative": "សហករណ៍", "enterprise": "សហគ្រាស"},
    "vi": {"household": "hộ gia đình", "cooperative": "hợp tác xã", "enterprise": "doanh nghiệp"},
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _language(language: str) -> str:
    return language if language in LANGUAGES else "en"


def _name(obj, language: str) -> str:
    return getattr(obj, f"name_{language}", "") or obj.name_en


def _number(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    normalised = value.normalize()
    # normalize() writes 1000 as 1E+3.
    return normalised.quantize(Decimal(1)) if normalised == normalised.to_integral() else normalised


def headers(keys: Iterable[str], language: str) -> list[str]:
    language = _language(language)
    return [BY_KEY[key].headers[language] for key in keys]


# --- The catalogue --------------------------------------------------------------------------


def catalogue_products(*, all_statuses: bool = False) -> QuerySet[Product]:
    """Listings to export: approved ones, or (for organisers) every listing. A listing with
    changes waiting for review is exported with those changes when all statuses are asked
    for, since that is what an import compares with."""
    products = Product.objects.originals() if all_statuses else Product.objects.approved()
    held = HeldCertification.objects.select_related("certification").filter(
        expires_on__gte=timezone.localdate()
    )
    return (
        products.select_related(
            "producer__province", "category", "unit_of_sale", "capacity_unit", "pending_revision"
        )
        .prefetch_related(Prefetch("certifications", queryset=held))
        .order_by("producer__name", "producer_id", "name", "pk")
    )


def catalogue_rows(
    *, language: str, all_statuses: bool = False, include_private: bool = False
) -> Iterator[list[object]]:
    """The export's rows: a header, then one row per listing, and for organisers one row
    for each producer without a listing."""
    language = _language(language)
    keys = EXPORT_KEYS if include_private else PUBLIC_EXPORT_KEYS
    yield headers(keys, language)
    units = {unit.pk: unit for unit in Unit.objects.all()}
    categories = {category.pk: category for category in Category.objects.all()}
    products = catalogue_products(all_statuses=all_statuses)
    listed: set[int] = set()
    for product in products.iterator(chunk_size=1000):
        source = product
        if all_statuses:
            revision = getattr(product, "pending_revision", None)
            if revision is not None and revision.status != Product.Status.APPROVED:
                source = revision
        listed.add(product.producer_id)
        values = _producer_values(product.producer, language)
        values.update(_product_values(source, language, units, categories))
        yield [values.get(key) for key in keys]
    if all_statuses and include_private:
        alone = Producer.objects.exclude(pk__in=listed).select_related("province")
        for producer in alone.order_by("name", "pk").iterator(chunk_size=1000):
            values = _producer_values(producer, language)
            yield [values.get(key) for key in keys]


def _producer_values(producer: Producer, language: str) -> dict[str, object]:
    return {
        "producer_name": producer.name,
        "kind": KIND_WORDS[language].get(producer.kind, producer.kind),
        "village": producer.village,
        "province": _name(producer.province, language),
        "phone": producer.phone,
        "email": producer.email,
    }


def _product_values(
    product: Product, language: str, units: dict[int, Unit], categories: dict[int, Category]
) -> dict[str, object]:
    # Prefetched for the listings; a revision's (rare) are read one by one.
    held = (
        product.certifications.all()
        if "certifications" in getattr(product, "_prefetched_objects_cache", {})
        else product.certifications.select_related("certification").filter(
            expires_on__gte=timezone.localdate()
        )
    )
    certifications = "; ".join(
        f"{item.certification.code} ({item.expires_on.isoformat()})"
        for item in sorted(held, key=lambda item: item.certification.code)
    )
    return {
        "product_name": product.name,
        "product_name_en": product.name_en,
        "description": product.description,
        "language": product.content_language,
        "category": _name(categories[product.category_id], language),
        "unit": units[product.unit_of_sale_id].symbol,
        "capacity": _number(product.capacity),
        "capacity_unit": units[product.capacity_unit_id].symbol,
        "min_order": _number(product.min_order),
        "price_min": _number(product.price_min),
        "price_max": _number(product.price_max),
        "currency": product.currency,
        "stars": product.stars or None,
        "certifications": certifications,
        "months": months_format(product.months_mask),
    }


# --- Writing files --------------------------------------------------------------------------


def csv_safe(value: object) -> str:
    """A cell for CSV: numbers plainly, text with an apostrophe before a formula start."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[list[object]]) -> Iterator[str]:
    """CSV text in pieces (UTF-8 with a BOM, so Excel shows Khmer and Vietnamese right)."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([csv_safe(value) for value in row])


def csv_bytes(rows: Iterable[list[object]]) -> bytes:
    return "".join(csv_stream(rows)).encode("utf-8")


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DFF0E5")


def _cell(sheet, value: object, *, header: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text, even when it starts with "="
    if header:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def xlsx_bytes(rows: Iterable[list[object]], *, title: str = "Catalogue") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    rows = iter(rows)
    header = next(rows, [])
    for index in range(len(header)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 18
    sheet.append([_cell(sheet, value, header=True) for value in header])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Templates ------------------------------------------------------------------------------

TEMPLATE_SHEET_TITLES = {"en": "Producers", "km": "ផលិតករ", "vi": "Chủ thể"}
LISTS_SHEET_TITLES = {"en": "Lists", "km": "បញ្ជី", "vi": "Danh mục"}
HELP_SHEET_TITLES = {"en": "Help", "km": "ជំនួយ", "vi": "Hướng dẫn"}


def template_csv(language: str) -> bytes:
    return csv_bytes([headers(EXPORT_KEYS, language)])


def template_xlsx(language: str) -> bytes:
    """An empty sheet with the headers, drop-down lists for kinds, provinces, categories,
    units and currencies, and a help sheet saying what each column takes."""
    from django.utils import translation

    language = _language(language)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET_TITLES[language]
    keys = list(EXPORT_KEYS)
    sheet.append(headers(keys, language))
    for index, _key in enumerate(keys, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(index)].width = 20
    sheet.freeze_panes = "A2"

    lists = workbook.create_sheet(LISTS_SHEET_TITLES[language])
    choices = {
        "kind": list(KIND_WORDS[language].values()),
        "province": [_name(p, language) for p in Province.objects.current()],
        "category": [
            _name(c, language)
            for c in Category.objects.filter(parent__isnull=False).order_by("position", "code")
        ],
        "unit": [unit.symbol for unit in Unit.objects.all()],
        "currency": list(Currency.values),
        "certifications": [c.code for c in Certification.objects.order_by("kind", "code")],
    }
    for column, (key, values) in enumerate(choices.items(), start=1):
        lists.cell(row=1, column=column, value=BY_KEY[key].headers[language]).font = _HEADER_FONT
        lists.column_dimensions[get_column_letter(column)].width = 28
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=column, value=value)
        if key == "certifications":
            continue  # several per cell: no drop-down
        letter = get_column_letter(column)
        ranges = f"'{lists.title}'!${letter}$2:${letter}${len(values) + 1}"
        validation = DataValidation(type="list", formula1=f"={ranges}", allow_blank=True)
        validation.showErrorMessage = False  # other spellings are fine: the import reads them
        sheet.add_data_validation(validation)
        targets = [keys.index(key)]
        if key == "unit":
            targets.append(keys.index("capacity_unit"))
        for target in targets:
            target_letter = get_column_letter(target + 1)
            validation.add(f"{target_letter}2:{target_letter}5000")

    help_sheet = workbook.create_sheet(HELP_SHEET_TITLES[language])
    help_sheet.column_dimensions["A"].width = 32
    help_sheet.column_dimensions["B"].width = 90
    with translation.override(language):
        for key in keys:
            column = BY_KEY[key]
            required = "*" if column.required else ""
            help_sheet.append([column.headers[language] + required, str(column.help or "")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
