"""Checking every row of an import against the database without writing anything: the
preview that the organiser reads, and the plan that the commit carries out.

Rows are matched to what exists:
- a producer by a stable key, the hash of its normalised name, province (today's, so a
  file naming "Kiên Giang" finds a producer filed under An Giang) and phone, stored as
  `Producer.import_key` when the import creates it. Producers are also matched by the key of
  their current data, so a catalogue export round-trips, and by name and province alone
  when one side has no phone;
- a product by its producer and its normalised name.

Each cell that is wrong gets an error naming the row and the column; each thing the
import decided for the organiser (an old province name, a unit taken from the unit of
sale, a formula's saved value) gets a note. A file with any error is not imported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from producers.importing import cells
from producers.importing.cells import CellError, cell_text
from producers.importing.columns import (
    BY_KEY,
    PRODUCT_KEYS,
    PRODUCT_REQUIRED_KEYS,
    REQUIRED_KEYS,
    header_fold,
    text_fold,
)
from producers.importing.reader import Sheet
from producers.models import (
    ALL_MONTHS_MASK,
    HeldCertification,
    Producer,
    Product,
    content_language_default,
)
from producers.models import search_normalise as name_normalise
from taxonomy.models import Category, Certification, Province, Unit
from taxonomy.selectors import ProvinceIndex, UnitIndex

# How long a certification is recorded for when the file gives no expiry date.
CERTIFICATION_DEFAULT_DAYS = 365
KEY_VERSION = "v1"
# What a listing's content is compared on.
CONTENT_FIELDS = (
    "name",
    "name_en",
    "description",
    "content_language",
    "category_id",
    "unit_of_sale_id",
    "capacity",
    "capacity_unit_id",
    "min_order",
    "price_min",
    "price_max",
    "currency",
    "stars",
    "months_mask",
)
_CONTENT_LABEL_KEYS = {
    "name": "product_name",
    "name_en": "product_name_en",
    "description": "description",
    "content_language": "language",
    "category_id": "category",
    "unit_of_sale_id": "unit",
    "capacity": "capacity",
    "capacity_unit_id": "capacity_unit",
    "min_order": "min_order",
    "price_min": "price_min",
    "price_max": "price_max",
    "currency": "currency",
    "stars": "stars",
    "months_mask": "months",
}
CHANGE_LABEL_KEYS = {**_CONTENT_LABEL_KEYS, "certifications": "certifications"}
PRODUCER_UPDATE_FIELDS = ("name", "kind", "village", "phone", "email")


class Action:
    """What a row does; the preview shows these, the commit carries them out."""

    NEW = "new"
    MATCHED = "matched"  # an existing producer, unchanged
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"  # the same product as an earlier row: imported once
    KEPT = "kept"  # differences not imported: the producer has claimed the business
    NONE = ""


@dataclass
class Issue:
    field: str  # a column key, or "" for the whole row
    message: str
    error: bool = True


# --- Keys -----------------------------------------------------------------------------------

_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_COUNTRY_CALLING_CODES = {"VN": "84", "KH": "855"}


def phone_normalise(phone: str, *, country_code: str = "") -> str:
    """The digits of the first number in `phone`, written as dialled inside the country:
    "+84 912 345 678" and "0912.345.678" are both "0912345678"."""
    first = re.split(r"[/,;]|\s(?:or|hoặc|ឬ)\s", phone or "")[0].translate(_KHMER_DIGITS)
    international = first.strip().startswith(("+", "00"))
    digits = re.sub(r"\D", "", first)
    if digits.startswith("00"):
        digits = digits[2:]
    codes = [_COUNTRY_CALLING_CODES.get(country_code, ""), *_COUNTRY_CALLING_CODES.values()]
    for code in filter(None, codes):
        if digits.startswith(code) and (international or len(digits) >= len(code) + 8):
            return "0" + digits[len(code) :]
    return digits


def producer_key(*, name: str, province_code: str, phone: str) -> str:
    """The stable key of a producer (stored in Producer.import_key): the same business in
    the same province with the same phone, however the name is capitalised or accented."""
    text = f"{KEY_VERSION}|{name_normalise(name)}|{province_code}|{phone}"
    return hashlib.sha256(text.encode()).hexdigest()


# --- Reference data and what exists ---------------------------------------------------------


@dataclass
class ExistingProducer:
    id: int
    name: str
    kind: str
    village: str
    province_id: int
    phone: str
    email: str
    claimed: bool


@dataclass
class ExistingProduct:
    id: int  # the original listing
    status: str
    # The content the import compares with: the pending revision's, else the listing's.
    content: dict[str, Any]
    revision_id: int | None
    revision_status: str | None
    certifications: dict[int, dt.date]  # certification id -> expiry date
    # While changes wait for review: the public content, which a file may still give.
    public_content: dict[str, Any] | None = None
    public_certifications: dict[int, dt.date] | None = None


class Reference:
    """Everything a preview needs, loaded with a handful of queries."""

    def __init__(self) -> None:
        provinces = list(Province.objects.select_related("country"))
        self.provinces = ProvinceIndex(provinces)
        self.province_by_id = {province.pk: province for province in provinces}
        units = list(Unit.objects.all())
        self.units = UnitIndex(units)
        self.unit_by_id = {unit.pk: unit for unit in units}
        categories = list(Category.objects.select_related("parent"))
        self.category_by_id = {category.pk: category for category in categories}
        self.category_by_code = {header_fold(c.code): c for c in categories}
        self.category_by_name: dict[str, set[Category]] = defaultdict(set)
        self.children: dict[int, list[Category]] = defaultdict(list)
        for category in categories:
            for name in (category.name_en, category.name_km, category.name_vi):
                if name:
                    self.category_by_name[header_fold(name)].add(category)
            if category.parent_id:
                self.children[category.parent_id].append(category)
        self._province_cache: dict[str, tuple[Province | None, Province | None]] = {}
        self._unit_cache: dict[str, Unit | None] = {}
        certifications = list(Certification.objects.all())
        self.certification_by_id = {c.pk: c for c in certifications}
        self.certification_by_text: dict[str, set[Certification]] = defaultdict(set)
        for certification in certifications:
            names = (certification.code, certification.name_en, certification.name_km)
            for name in (*names, certification.name_vi):
                if name:
                    self.certification_by_text[header_fold(name)].add(certification)

    def province_resolve(self, text: str) -> tuple[Province | None, Province | None]:
        if text not in self._province_cache:
            self._province_cache[text] = self.provinces.resolve(text)
        return self._province_cache[text]

    def unit_resolve(self, text: str) -> Unit | None:
        if text not in self._unit_cache:
            self._unit_cache[text] = self.units.resolve(text)
        return self._unit_cache[text]

    def province_current(self, province_id: int) -> Province:
        return self.provinces.successor(self.province_by_id[province_id])


class Existing:
    """Producers in memory, indexed by their keys, and the listings of matched ones."""

    def __init__(self, reference: Reference) -> None:
        members = Producer.members.through.objects.filter(producer_id=OuterRef("pk"))
        rows = Producer.objects.annotate(claimed=Exists(members)).values_list(
            "id",
            "name",
            "kind",
            "village",
            "province_id",
            "phone",
            "email",
            "import_key",
            "claimed",
        )
        self.producers: dict[int, ExistingProducer] = {}
        self.by_key: dict[str, set[int]] = defaultdict(set)
        self.by_name: dict[tuple[str, int], set[int]] = defaultdict(set)
        for pk, name, kind, village, province_id, phone, email, import_key, claimed in rows:
            self.producers[pk] = ExistingProducer(
                pk, name, kind, village, province_id, phone, email, claimed
            )
            province = reference.province_current(province_id)
            phone_key = phone_normalise(phone, country_code=province.country.code)
            key = producer_key(name=name, province_code=province.code, phone=phone_key)
            self.by_key[key].add(pk)
            if import_key:
                self.by_key[import_key].add(pk)
            self.by_name[(name_normalise(name), province.pk)].add(pk)
        self.products: dict[int, dict[str, list[ExistingProduct]]] = {}

    def products_load(self, producer_ids: Sequence[int]) -> None:
        ids = sorted(set(producer_ids) - set(self.products))
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            for pk in chunk:
                self.products[pk] = defaultdict(list)
            fields = ("id", "producer_id", "revision_of_id", "status", *CONTENT_FIELDS)
            rows = list(Product.objects.filter(producer_id__in=chunk).values(*fields))
            originals = {row["id"]: row for row in rows if row["revision_of_id"] is None}
            revisions = {row["revision_of_id"]: row for row in rows if row["revision_of_id"]}
            held: dict[int, dict[int, dt.date]] = defaultdict(dict)
            product_ids = [row["id"] for row in rows]
            for inner in range(0, len(product_ids), 1000):
                for product_id, certification_id, expires_on in HeldCertification.objects.filter(
                    product_id__in=product_ids[inner : inner + 1000]
                ).values_list("product_id", "certification_id", "expires_on"):
                    held[product_id][certification_id] = expires_on
            for original in originals.values():
                revision = revisions.get(original["id"])
                pending = revision is not None and revision["status"] != Product.Status.APPROVED
                source = revision if pending else original
                self.products[original["producer_id"]][name_normalise(original["name"])].append(
                    ExistingProduct(
                        id=original["id"],
                        status=original["status"],
                        content={name: source[name] for name in CONTENT_FIELDS},
                        revision_id=revision["id"] if revision else None,
                        revision_status=revision["status"] if revision else None,
                        certifications=held[source["id"]],
                        public_content=(
                            {name: original[name] for name in CONTENT_FIELDS} if pending else None
                        ),
                        public_certifications=held[original["id"]] if pending else None,
                    )
                )


# --- Rows -----------------------------------------------------------------------------------


@dataclass
class ProducerPlan:
    """One producer of the file, shared by all its rows."""

    first_row: int
    values: dict[str, Any]  # name, kind, village, province, phone, email
    import_key: str
    existing: ExistingProducer | None = None
    updates: dict[str, Any] = field(default_factory=dict)
    action: str = Action.NEW
    pk: int | None = None  # set by the commit
    ok: bool = True


@dataclass
class RowResult:
    number: int
    producer_name: str = ""
    province: str = ""
    product_name: str = ""
    producer_action: str = Action.NONE
    product_action: str = Action.NONE
    changes: list[str] = field(default_factory=list)  # column keys
    issues: list[Issue] = field(default_factory=list)
    # For the commit:
    producer: ProducerPlan | None = None
    product: dict[str, Any] | None = None
    existing_product: ExistingProduct | None = None
    certifications: list[tuple[int, dt.date | None]] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(issue.error for issue in self.issues)

    def error(self, key: str, message: str) -> None:
        self.issues.append(Issue(key, message, True))

    def note(self, key: str, message: str) -> None:
        self.issues.append(Issue(key, message, False))

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.number,
            "producer": self.producer_name,
            "province": self.province,
            "product": self.product_name,
            "pa": self.producer_action,
            "pr": self.producer.first_row if self.producer is not None else None,
            "a": self.product_action,
            "changes": self.changes,
            "issues": [[i.field, i.message, i.error] for i in self.issues],
        }


@dataclass
class Preview:
    rows: list[RowResult]
    file_errors: list[str]
    file_notes: list[str]
    counts: dict[str, int]
    reference: Reference | None = field(default=None, repr=False)

    @property
    def can_commit(self) -> bool:
        return not self.file_errors and not self.counts["rows_with_errors"]

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": [row.as_json() for row in self.rows],
            "file_errors": self.file_errors,
            "file_notes": self.file_notes,
            "counts": self.counts,
        }


def _text(value: object) -> str:
    return " ".join(cell_text(value).split())


class _RowCells:
    """The mapped cells of one row, by field key."""

    def __init__(self, number: int, cells_: list[object], mapping: Sequence[str], sheet: Sheet):
        self.values: dict[str, object] = {}
        self.errors: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        for index, key in enumerate(mapping):
            if not key or index >= len(cells_):
                continue
            value = cells_[index]
            # A cell that cannot be read is reported once, not parsed as well.
            if (number, index) in sheet.cell_errors:
                self.errors[key] = sheet.cell_errors[(number, index)]
                continue
            if isinstance(value, str) and value.upper() in cells.EXCEL_ERRORS:
                self.errors[key] = _("“%(value)s” is an Excel error; fix the formula.") % {
                    "value": value
                }
                continue
            if (number, index) in sheet.cell_notes:
                self.notes[key] = sheet.cell_notes[(number, index)]
            if value is not None and value != "":
                self.values[key] = value

    def get(self, key: str) -> object:
        return self.values.get(key)

    def text(self, key: str) -> str:
        return _text(self.values.get(key))


def preview_build(sheet: Sheet, mapping: Sequence[str]) -> Preview:
    """Check every row; write nothing."""
    reference = Reference()
    existing = Existing(reference)
    mapped = {key for key in mapping if key}
    file_errors = _mapping_errors(mapped)
    rows: list[RowResult] = []
    parsed: list[_RowCells] = []
    for number, row_cells in sheet.rows:
        row = RowResult(number=number)
        values = _RowCells(number, row_cells, mapping, sheet)
        for key, message in values.errors.items():
            row.error(key, message)
        for key, message in values.notes.items():
            row.note(key, message)
        rows.append(row)
        parsed.append(values)

    plans = _producers_plan(rows, parsed, reference, existing)
    existing.products_load([plan.existing.id for plan in plans if plan.existing is not None])
    seen_products: dict[tuple[int, str], tuple[RowResult, dict[str, Any]]] = {}
    for row, values in zip(rows, parsed, strict=True):
        _product_check(row, values, reference, existing, seen_products)
    _producer_actions(rows)
    return Preview(
        rows=rows,
        file_errors=file_errors,
        file_notes=list(sheet.notes),
        counts=_counts(rows),
        reference=reference,
    )


def _mapping_errors(mapped: set[str]) -> list[str]:
    errors = []
    for key in REQUIRED_KEYS:
        if key not in mapped:
            errors.append(
                _("No column is set to “%(field)s”, which every row needs.")
                % {"field": BY_KEY[key].label}
            )
    if mapped & set(PRODUCT_KEYS):
        for key in PRODUCT_REQUIRED_KEYS:
            if key not in mapped and not (key == "unit" and "capacity_unit" in mapped):
                errors.append(
                    _("No column is set to “%(field)s”, which every product needs.")
                    % {"field": BY_KEY[key].label}
                )
        if "product_name" not in mapped:
            errors.append(
                _("No column is set to “%(field)s”, which every product needs.")
                % {"field": BY_KEY["product_name"].label}
            )
    return errors


# --- Producers ------------------------------------------------------------------------------


def _producer_values(row: RowResult, values: _RowCells, reference: Reference) -> dict | None:
    """The producer fields of a row, checked; None when name or province is unusable."""
    name = values.text("producer_name")
    row.producer_name = name
    if not name and "producer_name" not in values.errors:
        row.error("producer_name", _("empty: every row needs the producer’s name."))
    elif len(name) > 200:
        row.error("producer_name", _("longer than 200 characters."))

    province_text = values.text("province")
    row.province = province_text
    province = None
    if not province_text:
        if "province" not in values.errors:
            row.error("province", _("empty: every row needs the province."))
    else:
        province, former = reference.province_resolve(province_text)
        if province is None:
            row.error(
                "province",
                _("“%(value)s” is not a province of Cambodia or Vietnam that we know.")
                % {"value": province_text},
            )
        else:
            row.province = province.name
            if former is not None:
                row.note(
                    "province",
                    _(
                        "“%(value)s” is now part of %(province)s (since 1 July 2025); "
                        "filed under %(province)s. Use %(province)s in future files."
                    )
                    % {"value": province_text, "province": province.name},
                )

    village = values.text("village")
    if not village and "village" not in values.errors:
        row.error("village", _("empty: write the village or commune."))
    elif len(village) > 200:
        row.error("village", _("longer than 200 characters."))

    kind = ""
    if values.get("kind") is not None:
        try:
            kind = cells.kind_parse(values.get("kind"))
        except CellError as error:
            row.error("kind", error.message)

    phone_value = values.get("phone")
    phone = values.text("phone")
    if isinstance(phone_value, int | float) and not isinstance(phone_value, bool):
        digits = cell_text(phone_value)
        if digits.isdigit() and 8 <= len(digits) <= 9 and province is not None:
            # A number cell loses the leading 0 of a phone number.
            phone = "0" + digits
            row.note(
                "phone",
                _("%(value)s was a number cell; read as %(phone)s.")
                % {"value": digits, "phone": phone},
            )
    if phone:
        digit_count = sum(char.isdigit() for char in phone.translate(_KHMER_DIGITS))
        if len(phone) > 32:
            row.error("phone", _("longer than 32 characters."))
        elif digit_count < 6 or re.search(r"[^\d\s+\-().,/;០-៩a-zA-Zơư]", phone):
            row.error("phone", _("“%(value)s” is not a phone number.") % {"value": phone})

    email = values.text("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            row.error("email", _("“%(value)s” is not an email address.") % {"value": email})
            email = ""

    if not name or len(name) > 200 or province is None:
        return None
    return {
        "name": name,
        "kind": kind,
        "village": village,
        "province": province,
        "phone": phone,
        "email": email,
    }


def _producers_plan(
    rows: list[RowResult],
    parsed: list[_RowCells],
    reference: Reference,
    existing: Existing,
) -> list[ProducerPlan]:
    """Group rows into the file's producers, check that their rows agree, and match each
    producer with an existing one."""
    by_name: dict[tuple[str, int], list[tuple[RowResult, dict]]] = defaultdict(list)
    for row, values in zip(rows, parsed, strict=True):
        producer = _producer_values(row, values, reference)
        if producer is not None:
            key = (name_normalise(producer["name"]), producer["province"].pk)
            by_name[key].append((row, producer))

    plans: list[ProducerPlan] = []
    for (_name, _province), members in by_name.items():
        country = members[0][1]["province"].country.code
        phones = {}
        for _row, producer in members:
            phone = phone_normalise(producer["phone"], country_code=country)
            if phone:
                phones.setdefault(phone, producer["phone"])
        groups: dict[str, list[tuple[RowResult, dict]]] = defaultdict(list)
        for row, producer in members:
            phone = phone_normalise(producer["phone"], country_code=country)
            if not phone and len(phones) == 1:
                phone = next(iter(phones))
            elif not phone and len(phones) > 1:
                row.error(
                    "phone",
                    _(
                        "empty, and other rows give %(count)s producers called “%(name)s” in "
                        "this province with different phones: write this row’s phone."
                    )
                    % {"count": len(phones), "name": producer["name"]},
                )
                continue
            groups[phone].append((row, producer))
        for phone, group in groups.items():
            plans.append(_producer_plan(phone, group, reference, existing))
    # Two producers of the file cannot both be one registered producer.
    matched: dict[int, ProducerPlan] = {}
    for plan in plans:
        if plan.existing is None or not plan.ok:
            continue
        first = matched.setdefault(plan.existing.id, plan)
        if first is not plan:
            row = next(r for r in rows if r.producer is plan)
            row.error(
                "phone",
                _(
                    "this row and row %(row)s give different phones for what is one registered "
                    "producer (number %(id)s); use the same phone, or a different name."
                )
                % {"row": first.first_row, "id": plan.existing.id},
            )
            plan.ok = False
    return plans


def _producer_plan(
    phone: str,
    group: list[tuple[RowResult, dict]],
    reference: Reference,
    existing: Existing,
) -> ProducerPlan:
    first_row, first = group[0]
    values = dict(first)
    # The first row that gives a value decides; a later row that disagrees is an error.
    given_on: dict[str, int] = {}
    for key in ("kind", "village", "email", "phone"):
        if values[key]:
            given_on[key] = first_row.number
    for row, producer in group[1:]:
        for key in ("kind", "village", "email", "phone"):
            value = producer[key]
            if not value:
                continue
            if not values[key]:
                values[key], given_on[key] = value, row.number
            elif _differs(key, values[key], value, phone_country=values["province"]):
                row.error(
                    key,
                    _(
                        "“%(value)s” differs from row %(row)s (“%(first)s”) for the same "
                        "producer; the rows of one producer must agree."
                    )
                    % {
                        "value": _display(key, value),
                        "row": given_on[key],
                        "first": _display(key, values[key]),
                    },
                )
    province = values["province"]
    plan = ProducerPlan(
        first_row=first_row.number,
        values=values,
        import_key=producer_key(name=values["name"], province_code=province.code, phone=phone),
    )
    for row, _producer in group:
        row.producer = plan

    # Match an existing producer: by key, else by name and province when a phone is missing.
    ids = existing.by_key.get(plan.import_key, set())
    if not ids:
        same_name = existing.by_name.get((name_normalise(values["name"]), province.pk), set())
        candidates = [
            pk
            for pk in same_name
            if not phone
            or not phone_normalise(existing.producers[pk].phone, country_code=province.country.code)
        ]
        ids = set(candidates)
    if len(ids) > 1:
        first_row.error(
            "producer_name",
            _(
                "matches %(count)s producers already registered (numbers %(ids)s); ask an "
                "administrator to merge them, or give the phone to tell them apart."
            )
            % {"count": len(ids), "ids": ", ".join(map(str, sorted(ids)))},
        )
        plan.ok = False
        return plan
    if ids:
        plan.existing = existing.producers[ids.pop()]
        plan.action = Action.MATCHED
        _producer_updates(plan, first_row)
    elif not values["kind"]:
        guessed = cells.kind_from_name(values["name"])
        if guessed:
            values["kind"] = guessed
            first_row.note(
                "kind",
                _("not given; “%(kind)s” from the name.") % {"kind": Producer.Kind(guessed).label},
            )
        else:
            first_row.error("kind", _("empty: write household, cooperative or enterprise."))
            plan.ok = False
    return plan


def _differs(key: str, old: str, new: str, *, phone_country: Province) -> bool:
    if key == "phone":
        code = phone_country.country.code
        return phone_normalise(old, country_code=code) != phone_normalise(new, country_code=code)
    if key == "email":
        return old.casefold() != new.casefold()
    if key == "village":
        return text_fold(old) != text_fold(new)
    return old != new


def _display(key: str, value: str) -> str:
    if key == "kind":
        return str(Producer.Kind(value).label)
    return value


def _producer_updates(plan: ProducerPlan, first_row: RowResult) -> None:
    """What the file changes on a matched producer. A producer who has claimed the business
    keeps their own details."""
    current = plan.existing
    values = plan.values
    proposed = {
        "name": values["name"] if values["name"] != current.name else None,
        "kind": values["kind"] if values["kind"] and values["kind"] != current.kind else None,
        "village": values["village"] if values["village"] != current.village else None,
        "phone": values["phone"] if values["phone"] and not current.phone else None,
        "email": values["email"]
        if values["email"] and values["email"].casefold() != current.email.casefold()
        else None,
    }
    proposed = {key: value for key, value in proposed.items() if value is not None}
    if proposed and current.claimed:
        first_row.note(
            "producer_name",
            _(
                "this producer has claimed their business and keeps their own details; "
                "the file’s changes to it (%(fields)s) are not imported."
            )
            % {"fields": ", ".join(str(_producer_label(key)) for key in proposed)},
        )
        return
    plan.updates = proposed
    if proposed:
        plan.action = Action.UPDATED


def _producer_label(key: str):
    return BY_KEY[{"name": "producer_name"}.get(key, key)].label


def _producer_actions(rows: list[RowResult]) -> None:
    """What happens to each row's producer (the preview adds "as on row N" after its first
    row)."""
    for row in rows:
        if row.producer is not None and row.producer.ok:
            row.producer_action = row.producer.action


# --- Products -------------------------------------------------------------------------------


def _product_check(
    row: RowResult,
    values: _RowCells,
    reference: Reference,
    existing: Existing,
    seen: dict[tuple[int, str], tuple[RowResult, dict[str, Any]]],
) -> None:
    given = {key for key in PRODUCT_KEYS if values.get(key) is not None or key in values.errors}
    if not given:
        return
    name = values.text("product_name")
    row.product_name = name
    if not name:
        if "product_name" not in values.errors:
            row.error("product_name", _("empty, but the row gives other product details."))
        return
    plan = row.producer
    current = None
    if plan is not None and plan.existing is not None:
        matches = existing.products.get(plan.existing.id, {}).get(name_normalise(name), [])
        if len(matches) > 1:
            row.error(
                "product_name",
                _(
                    "this producer already has %(count)s listings called “%(name)s”; rename "
                    "one of them first."
                )
                % {"count": len(matches), "name": name},
            )
            return
        current = matches[0] if matches else None
    product, certifications = _product_values(row, values, reference, plan, current)
    if row.has_errors or plan is None or not plan.ok or product is None:
        return

    file_key = (id(plan), name_normalise(name))
    if file_key in seen:
        first_row, first_values = seen[file_key]
        if first_values == {**product, "certifications": certifications}:
            row.product_action = Action.DUPLICATE
            row.note(
                "product_name",
                _("the same product as row %(row)s; imported once.") % {"row": first_row.number},
            )
        else:
            differing = [
                str(BY_KEY[CHANGE_LABEL_KEYS.get(key, "product_name")].label)
                for key in product
                if product[key] != first_values.get(key)
            ]
            if certifications != first_values["certifications"]:
                differing.append(str(BY_KEY["certifications"].label))
            row.error(
                "product_name",
                _(
                    "row %(row)s lists this product too, with a different %(fields)s; keep one "
                    "of the two rows."
                )
                % {"row": first_row.number, "fields": ", ".join(differing)},
            )
        return
    seen[file_key] = (row, {**product, "certifications": certifications})

    row.product = product
    row.certifications = certifications
    row.existing_product = current
    if current is None:
        row.product_action = Action.NEW
        return
    changes = _changes(product, certifications, current.content, current.certifications)
    if changes and current.public_content is not None:
        # A file that gives the public content leaves the changes waiting for review alone.
        public = current.public_certifications or {}
        if not _changes(product, certifications, current.public_content, public):
            changes = []
    row.changes = changes
    if not changes:
        row.product_action = Action.UNCHANGED
    elif plan.existing.claimed:
        row.product_action = Action.KEPT
        row.note(
            "product_name",
            _(
                "this producer has claimed their business, so changes to their listings are "
                "theirs to make; the file’s changes (%(fields)s) are not imported."
            )
            % {"fields": ", ".join(str(BY_KEY[key].label) for key in changes)},
        )
    else:
        row.product_action = Action.UPDATED


def _changes(
    product: dict[str, Any],
    certifications: list[tuple[int, dt.date | None]],
    content: dict[str, Any],
    held: dict[int, dt.date],
) -> list[str]:
    """The columns in which a row differs from a listing's content."""
    changes = [
        CHANGE_LABEL_KEYS[key] for key, value in product.items() if not _same(value, content[key])
    ]
    for certification_id, expires_on in certifications:
        current = held.get(certification_id)
        if current is None or (expires_on is not None and current != expires_on):
            changes.append("certifications")
            break
    return changes


def _same(new: object, old: object) -> bool:
    """Whether a value from the file is what the listing has; text is compared without the
    whitespace spreadsheets add or drop."""
    if isinstance(new, str) and isinstance(old, str):
        return " ".join(new.split()) == " ".join(old.split())
    return new == old


def _product_values(
    row: RowResult,
    values: _RowCells,
    reference: Reference,
    plan: ProducerPlan | None,
    current: ExistingProduct | None,
) -> tuple[dict[str, Any] | None, list[tuple[int, dt.date | None]]]:
    """The listing fields the row gives (a field the row leaves empty keeps what the listing
    has, or takes the default for a new listing) and its certifications."""
    content = dict(current.content) if current else _defaults(plan)
    product: dict[str, Any] = {"name": values.text("product_name")}
    if len(product["name"]) > 200:
        row.error("product_name", _("longer than 200 characters."))
    name_en = values.text("product_name_en")
    if name_en:
        if len(name_en) > 200:
            row.error("product_name_en", _("longer than 200 characters."))
        product["name_en"] = name_en
    description = cell_text(values.get("description"))
    if description:
        product["description"] = description
    if values.text("language"):
        try:
            product["content_language"] = cells.content_language_parse(values.get("language"))
        except CellError as error:
            row.error("language", error.message)

    category = _category(row, values, reference)
    if category is not None:
        product["category_id"] = category.pk
    elif current is None and "category" not in values.errors and not values.get("category"):
        row.error("category", _("empty: every product needs a category."))

    unit = _unit(row, values, "unit", reference)
    if unit is not None:
        product["unit_of_sale_id"] = unit.pk
    elif values.get("unit") is None and "unit" not in values.errors:
        if current is None:
            row.error("unit", _("empty: every product needs its unit of sale (kg, L, piece...)."))
        else:
            unit = reference.unit_by_id[content["unit_of_sale_id"]]

    _capacity(row, values, reference, unit, product, current)
    if unit is not None:
        _min_order(row, values, reference, unit, product)
    _prices(row, values, plan, product, content, is_new=current is None)

    if values.get("stars") is not None:
        try:
            product["stars"] = cells.stars_parse(values.get("stars"))
        except CellError as error:
            row.error("stars", error.message)
    if values.get("months") is not None:
        try:
            product["months_mask"] = cells.months_parse(values.get("months"))
        except CellError as error:
            row.error("months", error.message)
    certifications = _certifications(row, values, reference)

    if current is None:
        product = {**content, **product}
    return product, certifications


def _defaults(plan: ProducerPlan | None) -> dict[str, Any]:
    currency, country_code = "VND", ""
    if plan is not None:
        currency = plan.values["province"].country.currency
        country_code = plan.values["province"].country.code
    return {
        "name": "",
        "name_en": "",
        "description": "",
        "content_language": content_language_default(country_code=country_code),
        "category_id": None,
        "unit_of_sale_id": None,
        "capacity": None,
        "capacity_unit_id": None,
        "min_order": None,
        "price_min": None,
        "price_max": None,
        "currency": currency,
        "stars": Product.Stars.NONE,
        "months_mask": ALL_MONTHS_MASK,
    }


_CATEGORY_CODE = re.compile(r"^\s*(G\d(?:\.\d[a-z]?)?)(?:\s+|\s*[-–:|]\s*|$)", re.I)


def _category(row: RowResult, values: _RowCells, reference: Reference) -> Category | None:
    text = values.text("category")
    if not text:
        return None
    match = _CATEGORY_CODE.match(text)
    found: set[Category] = set()
    if match and header_fold(match.group(1)) in reference.category_by_code:
        found = {reference.category_by_code[header_fold(match.group(1))]}
    else:
        found = set(reference.category_by_name.get(header_fold(text), set()))
        if not found and header_fold(text) in reference.category_by_code:
            found = {reference.category_by_code[header_fold(text)]}
    subgroups = {category for category in found if category.parent_id}
    if len(subgroups) == 1:
        return subgroups.pop()
    if len(subgroups) > 1:
        row.error(
            "category",
            _("“%(value)s” names several categories: write one of their codes (%(codes)s).")
            % {"value": text, "codes": ", ".join(sorted(c.code for c in subgroups))},
        )
        return None
    if found:
        group = found.pop()
        children = reference.children.get(group.pk, [])
        if len(children) == 1:
            row.note(
                "category",
                _("“%(value)s” is a group with one category, %(category)s; that one is used.")
                % {"value": text, "category": children[0].name},
            )
            return children[0]
        row.error(
            "category",
            _("“%(value)s” is a group; write one of its categories: %(choices)s.")
            % {
                "value": text,
                "choices": "; ".join(f"{c.code} {c.name}" for c in children),
            },
        )
        return None
    row.error(
        "category",
        _(
            "“%(value)s” is not a category we know; write a category’s name or its code "
            "(such as G1.4b), as listed in the template."
        )
        % {"value": text},
    )
    return None


def _unit_unknown(text: str) -> str:
    return _(
        "“%(value)s” is not a unit we know; write kg, g, t (tấn), L, mL, piece or dozen, in "
        "any language. Packaging such as a box or a bag varies: give its weight or volume."
    ) % {"value": text}


def _unit(row: RowResult, values: _RowCells, key: str, reference: Reference) -> Unit | None:
    text = values.text(key)
    if not text:
        return None
    unit = reference.unit_resolve(text)
    if unit is None:
        row.error(key, _unit_unknown(text))
    return unit


def _capacity(
    row: RowResult,
    values: _RowCells,
    reference: Reference,
    unit_of_sale: Unit | None,
    product: dict[str, Any],
    current: ExistingProduct | None,
) -> None:
    raw = values.get("capacity")
    column_unit = _unit(row, values, "capacity_unit", reference)
    if raw is None:
        if "capacity" not in values.errors and current is None:
            row.error("capacity", _("empty: every product needs its monthly capacity."))
        elif column_unit is not None:
            product["capacity_unit_id"] = column_unit.pk
        return
    try:
        number, unit_text = cells.quantity_split(raw)
    except CellError:
        row.error(
            "capacity",
            _(
                "“%(value)s” is not a number with a unit we know (such as 2 tấn, 500 kg, "
                "300 L or ២ តោន)."
            )
            % {"value": cell_text(raw)},
        )
        return
    unit = None
    if unit_text:
        unit = reference.unit_resolve(unit_text)
        if unit is None:
            row.error(
                "capacity",
                _(
                    "“%(value)s” is not a number with a unit we know (such as 2 tấn, 500 kg, "
                    "300 L or ២ តោន)."
                )
                % {"value": cell_text(raw)},
            )
            return
        if column_unit is not None and column_unit != unit:
            row.error(
                "capacity",
                _("“%(value)s” is in %(unit)s, but the capacity unit column says %(other)s.")
                % {"value": cell_text(raw), "unit": unit.symbol, "other": column_unit.symbol},
            )
            return
    else:
        unit = column_unit
    if unit is None:
        if current is not None and "capacity_unit_id" not in product:
            unit = reference.unit_by_id[current.content["capacity_unit_id"]]
        elif unit_of_sale is not None:
            unit = unit_of_sale
            row.note(
                "capacity",
                _("no unit given; taken in the unit of sale (%(unit)s).")
                % {"unit": unit_of_sale.symbol},
            )
        else:
            return
    try:
        number, rounded = cells.decimal_fit(number, places=3, max_digits=14)
    except CellError as error:
        row.error("capacity", error.message)
        return
    if rounded:
        row.note("capacity", _("rounded to %(value)s.") % {"value": number})
    product["capacity"] = number
    product["capacity_unit_id"] = unit.pk


def _min_order(
    row: RowResult,
    values: _RowCells,
    reference: Reference,
    unit_of_sale: Unit,
    product: dict[str, Any],
) -> None:
    raw = values.get("min_order")
    if raw is None:
        return
    try:
        number, unit_text = cells.quantity_split(raw)
    except CellError:
        row.error(
            "min_order",
            _("“%(value)s” is not a number (of units of sale, or with a unit such as 50 kg).")
            % {"value": cell_text(raw)},
        )
        return
    if unit_text:
        unit = reference.unit_resolve(unit_text)
        if unit is None:
            row.error("min_order", _unit_unknown(unit_text))
            return
        if unit.dimension != unit_of_sale.dimension:
            row.error(
                "min_order",
                _("“%(value)s” cannot be converted to the unit of sale (%(unit)s).")
                % {"value": cell_text(raw), "unit": unit_of_sale.symbol},
            )
            return
        if unit != unit_of_sale:
            converted = number * unit.to_base / unit_of_sale.to_base
            row.note(
                "min_order",
                _("%(value)s is %(converted)s %(unit)s.")
                % {
                    "value": cell_text(raw),
                    "converted": format(converted.normalize(), "f"),
                    "unit": unit_of_sale.symbol,
                },
            )
            number = converted
    try:
        number, rounded = cells.decimal_fit(number, places=3, max_digits=14)
    except CellError as error:
        row.error("min_order", error.message)
        return
    product["min_order"] = number


def _prices(
    row: RowResult,
    values: _RowCells,
    plan: ProducerPlan | None,
    product: dict[str, Any],
    content: dict[str, Any],
    *,
    is_new: bool,
) -> None:
    raw = {key: values.get(key) for key in ("price", "price_min", "price_max")}
    written_currency = None
    if values.get("currency") is not None:
        try:
            written_currency = cells.currency_parse(values.get("currency"))
        except CellError as error:
            row.error("currency", error.message)
            return
    if raw["price"] is not None and (raw["price_min"] is not None or raw["price_max"] is not None):
        row.error(
            "price",
            _("give the price either as a range or as lowest and highest price, not both."),
        )
        return
    split: dict[str, list] = {}
    for key, value in raw.items():
        if value is None:
            continue
        try:
            parts, currency = cells.price_split(value)
        except CellError as error:
            row.error(key, error.message)
            return
        if key != "price" and len(parts) > 1:
            row.error(key, _("“%(value)s” is a range; write one price.") % {"value": _text(value)})
            return
        if currency is not None:
            if written_currency not in (None, currency):
                row.error(
                    key,
                    _("“%(value)s” is in %(currency)s, but the currency column says %(other)s.")
                    % {"value": _text(value), "currency": currency, "other": written_currency},
                )
                return
            written_currency = currency
        split[key] = parts
    if written_currency is not None:
        product["currency"] = written_currency
    currency = written_currency or content["currency"]
    if split and written_currency is None and is_new and plan is not None:
        row.note(
            "currency",
            _("not given; %(currency)s, the currency of %(country)s, is used.")
            % {"currency": currency, "country": plan.values["province"].country.name},
        )
    numbers: dict[str, Decimal] = {}
    for key, parts in split.items():
        parsed = []
        for part in parts:
            try:
                number = cells.number_parse(part, thousands_dot=currency in cells.WHOLE_CURRENCIES)
                number, _rounded = cells.decimal_fit(number, places=2, max_digits=14)
            except CellError as error:
                row.error(key, error.message)
                return
            parsed.append(number)
        if key == "price":
            numbers["price_min"], numbers["price_max"] = parsed[0], parsed[-1]
        else:
            numbers[key] = parsed[0]
    low = numbers.get("price_min")
    high = numbers.get("price_max")
    if low is not None and high is not None and low > high:
        key = "price" if "price" in split else "price_max"
        row.error(
            key,
            _("the lowest price (%(low)s) is more than the highest (%(high)s).")
            % {"low": low, "high": high},
        )
        return
    product.update(numbers)


_EXPIRY_WORDS = re.compile(
    r"\b(?:valid\s+until|expires?|expiry|exp|until|to|hết\s+hạn|hạn|đến|het\s+han|han|den)\b"
    r"|ផុតកំណត់|[():\[\]]",
    re.I,
)


def _certifications(
    row: RowResult, values: _RowCells, reference: Reference
) -> list[tuple[int, dt.date | None]]:
    text = cell_text(values.get("certifications"))
    if not text:
        return []
    today = timezone.localdate()
    found: dict[int, dt.date | None] = {}
    for item in re.split(r"[;,\n]+", text):
        if not item.strip():
            continue
        try:
            expires_on, rest = cells.date_find(item)
        except CellError as error:
            row.error("certifications", error.message)
            continue
        name = _EXPIRY_WORDS.sub(" ", rest).strip(" -–.")
        matches = reference.certification_by_text.get(header_fold(name), set())
        if len(matches) != 1:
            row.error(
                "certifications",
                _(
                    "“%(value)s” is not a certification we know; write its code or name as "
                    "listed in the template (such as VIETGAP, HACCP or OCOP-4)."
                )
                % {"value": item.strip()},
            )
            continue
        certification = next(iter(matches))
        if expires_on is not None and expires_on < today:
            row.error(
                "certifications",
                _("%(name)s expired on %(date)s; leave it out or give the new expiry date.")
                % {"name": certification.name, "date": date_format(expires_on)},
            )
            continue
        found.setdefault(certification.pk, expires_on)
    return sorted(found.items())


def certification_default_expiry() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=CERTIFICATION_DEFAULT_DAYS)


# --- Summary --------------------------------------------------------------------------------


def _counts(rows: list[RowResult]) -> dict[str, int]:
    counts = {
        "rows": len(rows),
        "rows_with_errors": 0,
        "errors": 0,
        "notes": 0,
        "producers_new": 0,
        "producers_matched": 0,
        "producers_updated": 0,
        "products_new": 0,
        "products_updated": 0,
        "products_unchanged": 0,
        "products_kept": 0,
        "duplicates": 0,
    }
    producers: dict[int, ProducerPlan] = {}
    for row in rows:
        errors = sum(issue.error for issue in row.issues)
        counts["errors"] += errors
        counts["notes"] += len(row.issues) - errors
        counts["rows_with_errors"] += bool(errors)
        if row.producer is not None and row.producer.ok:
            producers[id(row.producer)] = row.producer
        action = row.product_action
        key = {
            Action.NEW: "products_new",
            Action.UPDATED: "products_updated",
            Action.UNCHANGED: "products_unchanged",
            Action.KEPT: "products_kept",
            Action.DUPLICATE: "duplicates",
        }.get(action)
        if key and not errors:
            counts[key] += 1
    for plan in producers.values():
        key = {
            Action.NEW: "producers_new",
            Action.UPDATED: "producers_updated",
            Action.MATCHED: "producers_matched",
        }[plan.action]
        counts[key] += 1
    return counts
