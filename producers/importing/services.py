"""Writes of the import: storing an uploaded file, its column mapping, the commit (all
or nothing), and the claim codes with which producers take over their business.

The commit checks the file again inside its transaction (the database may have changed
since the preview) and writes nothing unless every row is valid. Imported listings have no
photos yet, so they cannot go through `product_submit`: the commit puts them in the review
queue itself (submitted), or approves them when the organiser chose to.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.services import user_create_verified
from matching.services import match_runs_batched
from producers import services as listing_services
from producers.importing.cells import cell_text
from producers.importing.columns import BY_KEY, FIELD_KEYS, mapping_auto
from producers.importing.models import ClaimCode, ImportBatch
from producers.importing.reader import (
    ImportFileError,
    Sheet,
    file_format_detect,
    max_upload_bytes,
    sheet_read,
)
from producers.importing.validate import (
    Action,
    Preview,
    ProducerPlan,
    RowResult,
    certification_default_expiry,
    preview_build,
)
from producers.models import HeldCertification, Producer, Product, product_search_text
from producers.signals import listing_approved
from producers.validators import private_storage

Status = Product.Status


class ImportRefused(Exception):
    """The commit did not happen; nothing was written."""

    def __init__(self, message: str, preview: Preview | None = None):
        super().__init__(message)
        self.message = message
        self.preview = preview


class MappingError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Upload and mapping ---------------------------------------------------------------------


def import_batch_create(*, upload: UploadedFile, user: User) -> ImportBatch:
    """Read an uploaded file (raising ImportFileError if it cannot be), store it privately
    and map its columns automatically. The preview is computed now, so the first page of
    it is ready when the organiser gets there."""
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "upload"
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise ImportFileError(
            _("The file is %(size)s; the largest we read is %(limit)s. Split it into parts.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    upload.seek(0)
    data = upload.read()
    if not data:
        raise ImportFileError(_("The file is empty."))
    file_format = file_format_detect(name, data[:8])
    sheet = sheet_read(io.BytesIO(data), file_format)
    batch = ImportBatch(
        created_by=user,
        original_name=name[:255],
        file_format=file_format,
        encoding=sheet.encoding,
        delimiter=sheet.delimiter,
        sheet_name=sheet.sheet_name[:64],
        header_row=sheet.header_row,
        headers=sheet.headers,
        mapping=mapping_auto(sheet.headers),
    )
    batch.file.save(f"{batch.pk}.{file_format}", ContentFile(data), save=False)
    batch.save()
    _preview_store(batch, sheet)
    return batch


def import_batch_sheet(batch: ImportBatch) -> Sheet:
    if not batch.file:
        raise ImportFileError(_("This import’s file is no longer stored; upload it again."))
    try:
        with batch.file.open("rb") as handle:
            return sheet_read(handle, batch.file_format)
    except FileNotFoundError:
        raise ImportFileError(
            _("This import’s file is no longer stored; upload it again.")
        ) from None


@transaction.atomic
def import_batch_mapping_set(*, batch: ImportBatch, mapping: Sequence[str]) -> ImportBatch:
    """Save the organiser's column mapping: a field key or "" (ignore) per column."""
    if batch.is_committed:
        raise MappingError(_("This file has been imported already."))
    mapping = [key or "" for key in mapping]
    if len(mapping) != len(batch.headers) or any(k and k not in FIELD_KEYS for k in mapping):
        raise MappingError(_("The mapping does not fit this file’s columns; try again."))
    used: dict[str, int] = {}
    for index, key in enumerate(mapping):
        if not key:
            continue
        if key in used:
            raise MappingError(
                _(
                    "Columns %(first)s and %(second)s are both set to “%(field)s”; set one of them "
                    "to “ignore”."
                )
                % {
                    "first": _column_name(batch, used[key]),
                    "second": _column_name(batch, index),
                    "field": BY_KEY[key].label,
                }
            )
        used[key] = index
    batch.mapping = mapping
    batch.save(update_fields=["mapping"])
    transaction.on_commit(lambda: _preview_discard(batch))
    return batch


def _column_name(batch: ImportBatch, index: int) -> str:
    header = batch.headers[index] if index < len(batch.headers) else ""
    return f"{_column_letter(index)} ({header})" if header else _column_letter(index)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# --- Preview cache --------------------------------------------------------------------------
# A preview of 20,000 rows takes seconds to compute, so it is kept beside the file (as
# JSON, per language) until the mapping changes or the organiser checks again.


def _preview_name(batch: ImportBatch, language: str) -> str:
    return f"imports/{batch.pk}.preview-{language}.json"


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]


def _preview_store(batch: ImportBatch, sheet: Sheet | None = None) -> dict[str, Any]:
    sheet = sheet or import_batch_sheet(batch)
    preview = preview_build(sheet, batch.mapping)
    return _preview_write(batch, sheet, preview)


def _preview_write(batch: ImportBatch, sheet: Sheet, preview: Preview) -> dict[str, Any]:
    data = {
        "mapping": batch.mapping,
        "checked_at": timezone.now().isoformat(),
        "encoding": sheet.encoding,
        "delimiter": sheet.delimiter_display if sheet.delimiter else "",
        "sheet_name": sheet.sheet_name,
        "samples": _samples(sheet),
        **preview.as_json(),
    }
    name = _preview_name(batch, _language())
    if private_storage.exists(name):
        private_storage.delete(name)
    private_storage.save(name, ContentFile(json.dumps(data, default=str).encode()))
    return data


def _samples(sheet: Sheet, count: int = 3) -> list[list[str]]:
    """A few values of each column, to help the organiser tell what it holds."""
    samples: list[list[str]] = [[] for _header in sheet.headers]
    for _number, cells in sheet.rows[:200]:
        for index, value in enumerate(cells):
            text = cell_text(value)[:40]
            if text and len(samples[index]) < count and text not in samples[index]:
                samples[index].append(text)
    return samples


def import_preview(batch: ImportBatch, *, refresh: bool = False) -> dict[str, Any]:
    """The preview of a batch as plain data (rows, counts, file errors), from the cache
    when it is there and still fits the mapping."""
    name = _preview_name(batch, _language())
    if not refresh and private_storage.exists(name):
        try:
            with private_storage.open(name, "rb") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            data = None
        if data is not None and data.get("mapping") == batch.mapping:
            return data
    return _preview_store(batch)


def _preview_discard(batch: ImportBatch) -> None:
    for language, _name in settings.LANGUAGES:
        name = _preview_name(batch, language)
        if private_storage.exists(name):
            private_storage.delete(name)


# --- Commit ---------------------------------------------------------------------------------


@dataclass
class CommitResult:
    producers_created: int = 0
    producers_updated: int = 0
    products_created: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    certifications_added: int = 0
    approved: bool = False

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def import_batch_commit(
    *, batch: ImportBatch, user: User, approve_directly: bool = False
) -> CommitResult:
    """Write every row of the file in one transaction, or nothing.

    Raises ImportRefused when a row has an error (checked again now), the file was
    imported already, or a write fails; the database is then exactly as it was.
    """
    if not getattr(user, "is_organiser", False):
        raise ImportRefused(_("Only organisers import files."))
    refused: ImportRefused | None = None
    declaration = _Declaration(batch, user)
    try:
        # Listings approved directly would each ask matching for an incremental run when
        # the commit lands: collect them, and queue one run for the whole file instead.
        with match_runs_batched(), transaction.atomic():
            locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
            if locked.is_committed:
                raise ImportRefused(_("This file has been imported already."))
            _imports_serialise()
            sheet = import_batch_sheet(locked)
            preview = preview_build(sheet, locked.mapping)
            if not preview.can_commit:
                _preview_write(locked, sheet, preview)
                raise ImportRefused(_refusal(preview), preview)
            result = _apply(preview, user, declaration, approve_directly=approve_directly)
            locked.status = ImportBatch.Status.COMMITTED
            locked.committed_at = timezone.now()
            locked.committed_by = user
            locked.summary = result.as_json()
            locked.producer_ids = sorted(
                {row.producer.pk for row in preview.rows if row.producer and row.producer.pk}
            )
            locked.save()
            transaction.on_commit(lambda: _files_delete(locked))
    except ImportRefused as error:
        refused = error
    except listing_services.ListingError as error:
        refused = ImportRefused(_("Nothing was imported: %(reason)s") % {"reason": error.message})
    except ImportFileError as error:
        refused = ImportRefused(error.message)
    except BaseException:
        declaration.discard()
        raise
    if refused is not None:
        declaration.discard()
        raise refused
    batch.refresh_from_db()
    return result


def _refusal(preview: Preview) -> str:
    if preview.file_errors:
        return _("Nothing was imported: %(errors)s") % {"errors": " ".join(preview.file_errors)}
    count = preview.counts["rows_with_errors"]
    return ngettext(
        "Nothing was imported: %(count)s row has errors. Correct it in the file and upload "
        "it again, or change how the columns are read.",
        "Nothing was imported: %(count)s rows have errors. Correct them in the file and upload "
        "it again, or change how the columns are read.",
        count,
    ) % {"count": count}


def _imports_serialise() -> None:
    """One import commits at a time, so two files naming the same new producer cannot both
    create it. (SQLite serialises writers already.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x46_4D_49_4D])  # "FMIM"


def _files_delete(batch: ImportBatch) -> None:
    """The file holds people's phone numbers: it is not kept once imported."""
    _preview_discard(batch)
    if batch.file:
        batch.file.delete(save=False)
        ImportBatch.objects.filter(pk=batch.pk).update(file="")


def _apply(
    preview: Preview, user: User, declaration: _Declaration, *, approve_directly: bool
) -> CommitResult:
    result = CommitResult(approved=approve_directly)
    now = timezone.now()
    rows = [row for row in preview.rows if row.producer is not None]
    plans: dict[int, ProducerPlan] = {}
    for row in rows:
        plans.setdefault(id(row.producer), row.producer)
    producer_names = _producers_write(list(plans.values()), now, result)

    new_rows = [row for row in rows if row.product_action == Action.NEW]
    _products_create(
        new_rows, producer_names, preview, user, now, declaration, approve_directly, result
    )
    for row in rows:
        if row.product_action == Action.UPDATED:
            _product_update(row, user, now, declaration, approve_directly)
            result.products_updated += 1
        elif row.product_action == Action.UNCHANGED:
            result.products_unchanged += 1
    return result


def _producers_write(
    plans: list[ProducerPlan], now: dt.datetime, result: CommitResult
) -> dict[int, str]:
    """Create the new producers and update matched ones; returns pk -> name."""
    new = [plan for plan in plans if plan.existing is None]
    created = Producer.objects.bulk_create(
        [
            Producer(
                name=plan.values["name"],
                kind=plan.values["kind"],
                village=plan.values["village"],
                province=plan.values["province"],
                phone=plan.values["phone"],
                email=plan.values["email"],
                import_key=plan.import_key,
            )
            for plan in new
        ],
        batch_size=500,
    )
    for plan, producer in zip(new, created, strict=True):
        plan.pk = producer.pk
    result.producers_created = len(created)
    names = {plan.pk: plan.values["name"] for plan in new}
    for plan in plans:
        if plan.existing is None:
            continue
        plan.pk = plan.existing.id
        names[plan.pk] = plan.updates.get("name", plan.existing.name)
        if plan.updates:
            Producer.objects.filter(pk=plan.pk).update(**plan.updates, updated_at=now)
            result.producers_updated += 1
            if "name" in plan.updates:
                Product.objects.filter(producer_id=plan.pk).search_text_refresh()
    return names


def _products_create(
    rows: list[RowResult],
    producer_names: dict[int, str],
    preview: Preview,
    user: User,
    now: dt.datetime,
    declaration: _Declaration,
    approve_directly: bool,
    result: CommitResult,
) -> None:
    units = preview.reference.unit_by_id
    products = []
    for row in rows:
        values = row.product
        product = Product(
            producer_id=row.producer.pk,
            **values,
            status=Status.APPROVED if approve_directly else Status.SUBMITTED,
            submitted_at=now,
            reviewed_at=now if approve_directly else None,
            reviewed_by=user if approve_directly else None,
        )
        # What Product.save() derives, for bulk_create (which does not call save()).
        product.capacity_base = values["capacity"] * units[values["capacity_unit_id"]].to_base
        if values["min_order"] is not None:
            product.min_order_base = values["min_order"] * units[values["unit_of_sale_id"]].to_base
        product.search_text = product_search_text(
            name=values["name"],
            name_en=values["name_en"],
            producer_name=producer_names[row.producer.pk],
            description=values["description"],
            description_en="",
        )
        products.append(product)
    created = Product.objects.bulk_create(products, batch_size=500)
    result.products_created = len(created)
    held = []
    for row, product in zip(rows, created, strict=True):
        for certification_id, expires_on in row.certifications:
            held.append(
                HeldCertification(
                    product_id=product.pk,
                    certification_id=certification_id,
                    expires_on=expires_on or certification_default_expiry(),
                    evidence=declaration.name,
                )
            )
    HeldCertification.objects.bulk_create(held, batch_size=500)
    result.certifications_added += len(held)
    if approve_directly:
        for product in created:
            _approved_announce(product)


def _product_update(
    row: RowResult,
    user: User,
    now: dt.datetime,
    declaration: _Declaration,
    approve_directly: bool,
) -> None:
    """Change an existing listing of an unclaimed producer. A public listing is changed
    through its revision, so buyers keep seeing the approved content until it is reviewed."""
    original = Product.objects.select_for_update().get(pk=row.existing_product.id)
    if original.status == Status.APPROVED:
        target = listing_services.product_revision_get_or_create(product=original)
    else:
        target = original
    for attname, value in row.product.items():
        setattr(target, attname, value)
    target.status = Status.SUBMITTED
    target.submitted_at = now
    target.rejection_reason = ""
    target.save()
    for certification_id, expires_on in row.certifications:
        held = target.certifications.filter(certification_id=certification_id).first()
        if held is None:
            HeldCertification.objects.create(
                product=target,
                certification_id=certification_id,
                expires_on=expires_on or certification_default_expiry(),
                evidence=declaration.name,
            )
        elif expires_on is not None and held.expires_on != expires_on:
            # A new expiry date needs checking again.
            held.expires_on, held.verified_at, held.verified_by = expires_on, None, None
            held.save(update_fields=["expires_on", "verified_at", "verified_by"])
    if approve_directly:
        listing_services.product_approve(product=target, reviewer=user)


def _approved_announce(product: Product) -> None:
    transaction.on_commit(
        lambda: listing_approved.send(sender=Product, product=product), robust=True
    )


class _Declaration:
    """The evidence file of certifications that came from a spreadsheet: not a certificate,
    but a record of who declared them, when and from which file, so that an organiser asks
    the producer for the certificate before verifying. One file per import, written the
    first time a certification needs it."""

    def __init__(self, batch: ImportBatch, user: User):
        self.batch = batch
        self.user = user
        self._name: str | None = None

    @property
    def name(self) -> str:
        if self._name is None:
            name = f"evidence/imports/{self.batch.pk}.pdf"
            if private_storage.exists(name):
                private_storage.delete(name)
            self._name = private_storage.save(name, ContentFile(self._pdf()))
        return self._name

    def discard(self) -> None:
        """Remove the file when the import was rolled back."""
        if self._name is not None and private_storage.exists(self._name):
            private_storage.delete(self._name)
        self._name = None

    def _pdf(self) -> bytes:
        today = timezone.localdate().isoformat()
        lines = [
            "Forum Market - certifications declared in a spreadsheet import",
            "",
            f"File: {_ascii(self.batch.original_name)}",
            f"Imported on {today} by {_ascii(self.user.email)} (import {self.batch.pk}).",
            "",
            "This is not a certificate. The certifications recorded with this file",
            "were declared by the organiser from a committee's spreadsheet.",
            "Before verifying one, ask the producer for the certificate itself",
            "and attach it to the listing.",
        ]
        return pdf_text(lines)


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).replace("đ", "d").replace("Đ", "D")
    return text.encode("ascii", "ignore").decode() or "?"


def pdf_text(lines: Iterable[str]) -> bytes:
    """A one-page PDF with lines of ASCII text in Helvetica."""
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    content = "BT /F1 11 Tf 56 780 Td 15 TL " + " ".join(f"({line}) '" for line in escaped)
    stream = (content + " ET").encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


# --- Claim codes ----------------------------------------------------------------------------

# No 0/O, 1/I: codes are read aloud and copied from paper.
CLAIM_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CLAIM_CODE_LENGTH = 8


def claim_code_days() -> int:
    return getattr(settings, "CLAIM_CODE_DAYS", 30)


class ClaimError(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def claim_code_generate() -> str:
    raw = "".join(secrets.choice(CLAIM_ALPHABET) for _ in range(CLAIM_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def claim_code_normalise(text: str) -> str:
    """What a person typed, as the code it means: case, spaces and dashes do not matter."""
    return "".join(char for char in (text or "").upper() if char.isalnum())


def claim_code_hash(code: str) -> str:
    """A keyed hash: without the SECRET_KEY, a copy of the table does not reveal codes."""
    return salted_hmac(
        "producers.claim-code", claim_code_normalise(code), algorithm="sha256"
    ).hexdigest()


@transaction.atomic
def claim_code_issue(
    *, producer: Producer, issued_by: User, channel: str = ClaimCode.Channel.PRINT, email: str = ""
) -> str:
    """A new code for `producer` (returned once, never stored); earlier unused codes of the
    producer stop working."""
    now = timezone.now()
    ClaimCode.objects.filter(producer=producer).usable(now).update(revoked_at=now)
    while True:
        code = claim_code_generate()
        code_hash = claim_code_hash(code)
        if not ClaimCode.objects.filter(code_hash=code_hash).exists():
            break
    ClaimCode.objects.create(
        producer=producer,
        code_hash=code_hash,
        channel=channel,
        email=email.strip().lower(),
        created_by=issued_by,
        expires_at=now + dt.timedelta(days=claim_code_days()),
    )
    return code


def claim_codes_print(*, producers: Iterable[Producer], issued_by: User) -> list[dict[str, Any]]:
    """New printable codes for producers, for commune officers to hand out."""
    cards = []
    with transaction.atomic():
        for producer in producers:
            code = claim_code_issue(producer=producer, issued_by=issued_by)
            cards.append({"producer": producer, "code": code})
    expires = timezone.now() + dt.timedelta(days=claim_code_days())
    for card in cards:
        card["expires_at"] = expires
    return cards


# The language a producer is most likely to read, by country.
COUNTRY_LANGUAGE = {"KH": "km", "VN": "vi"}


def claim_invitations_send(
    *, producers: Iterable[Producer], issued_by: User
) -> tuple[list[Producer], list[Producer]]:
    """Email a new code to each producer that has an address; returns (sent, skipped).
    A code whose email could not be sent is revoked at once."""
    sent, skipped = [], []
    for producer in producers:
        if not producer.email:
            skipped.append(producer)
            continue
        code = claim_code_issue(
            producer=producer,
            issued_by=issued_by,
            channel=ClaimCode.Channel.EMAIL,
            email=producer.email,
        )
        try:
            _invitation_send(producer, code)
        except OSError:
            ClaimCode.objects.filter(code_hash=claim_code_hash(code)).update(
                revoked_at=timezone.now()
            )
            skipped.append(producer)
            continue
        sent.append(producer)
    return sent, skipped


def _invitation_send(producer: Producer, code: str) -> None:
    language = COUNTRY_LANGUAGE.get(producer.province.country.code, settings.LANGUAGE_CODE)
    path = reverse("importing:claim")
    context = {
        "producer": producer,
        "code": code,
        "link": f"{settings.SITE_URL}{path}?code={code}",
        "days": claim_code_days(),
        "expires_on": timezone.localdate() + dt.timedelta(days=claim_code_days()),
    }
    with translation.override(language):
        subject = render_to_string("producers/importing/email/claim_subject.txt", context)
        text = render_to_string("producers/importing/email/claim.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=[producer.email]
    )
    message.send()


def claim_code_check(code: str) -> ClaimCode:
    """The usable claim code `code` names; ClaimError saying why not otherwise."""
    normalised = claim_code_normalise(code)
    if len(normalised) != CLAIM_CODE_LENGTH:
        raise ClaimError(
            _("A claim code has 8 letters and digits, such as K7Q4-M9XP."), field="code"
        )
    claim = (
        ClaimCode.objects.select_for_update()
        .select_related("producer")
        .filter(code_hash=claim_code_hash(normalised))
        .first()
    )
    if claim is None:
        raise ClaimError(
            _("This code is not right. Check it letter by letter, or ask for a new one."),
            field="code",
        )
    if claim.used_at is not None:
        raise ClaimError(_("This code has been used already; each code works once."), field="code")
    if claim.revoked_at is not None:
        raise ClaimError(
            _("This code was replaced by a newer one; use the newest code you received."),
            field="code",
        )
    if claim.expires_at <= timezone.now():
        raise ClaimError(
            _("This code expired on %(date)s; ask the organisers for a new one.")
            % {"date": date_format(timezone.localtime(claim.expires_at).date())},
            field="code",
        )
    return claim


@transaction.atomic
def claim_code_redeem(
    *,
    code: str,
    email: str = "",
    password: str = "",
    full_name: str = "",
    user: User | None = None,
) -> tuple[User, Producer]:
    """Take over a producer with a code: a new verified producer account (email and
    password), or the logged-in producer `user`, becomes a member of the business."""
    claim = claim_code_check(code)
    producer = claim.producer
    if user is None:
        email = (email or "").strip().lower()
        if not email:
            raise ClaimError(_("Write your email address."), field="email")
        if claim.email and email != claim.email.lower():
            raise ClaimError(
                _("This code was sent to another email address; use that address."),
                field="email",
            )
        if User.objects.filter(email__iexact=email).exists():
            raise ClaimError(
                _("An account with this email exists already: log in first, then enter the code."),
                field="email",
            )
        try:
            validate_password(password, user=User(email=email, full_name=full_name))
        except ValidationError as error:
            raise ClaimError(" ".join(error.messages), field="password") from None
        user = user_create_verified(
            email=email, password=password, role=User.Role.PRODUCER, full_name=full_name.strip()
        )
    else:
        if not user.is_producer:
            raise ClaimError(
                _("Only a producer account can take over a business; log out and use the form.")
            )
        if claim.email and user.email.lower() != claim.email.lower():
            raise ClaimError(
                _("This code was sent to another email address; use that address."),
                field="email",
            )
    producer.members.add(user)
    now = timezone.now()
    claim.used_at, claim.used_by = now, user
    claim.save(update_fields=["used_at", "used_by"])
    ClaimCode.objects.filter(producer=producer).usable(now).update(revoked_at=now)
    return user, producer
