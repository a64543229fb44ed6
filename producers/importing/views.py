"""Pages of the assisted registration: organisers upload, map, preview and commit a
spreadsheet, download templates and exports, and hand out claim codes; producers claim
their business with a code.

Views stay thin: a helper fetches the batch (or 404s), a form checks the input, one service
does the work, and its error becomes a message.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth import login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from producers.importing import export, services
from producers.importing.columns import BY_KEY, LANGUAGES
from producers.importing.forms import (
    ClaimForm,
    CommitForm,
    MappingForm,
    ProducerChoiceForm,
    UploadForm,
)
from producers.importing.models import ClaimCode, ImportBatch
from producers.importing.reader import ImportFileError
from producers.models import Producer
from producers.permissions import organiser_required
from taxonomy.models import Province

PREVIEW_PAGE_SIZE = 100
ERROR_SUMMARY_SIZE = 20
CLAIMS_PAGE_SIZE = 100
# Wrong claim codes allowed per address before it has to wait.
CLAIM_TRIES = 10
CLAIM_WAIT_SECONDS = 15 * 60

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def _batch_or_404(pk: uuid.UUID) -> ImportBatch:
    """Imports are shared by the organisers (a colleague may finish one); nobody else gets
    here, since every view that calls this is for organisers only."""
    return get_object_or_404(ImportBatch.objects.select_related("created_by"), pk=pk)


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Upload ---------------------------------------------------------------------------------


@organiser_required
@require_http_methods(["GET", "POST"])
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.import_batch_create(
                upload=form.cleaned_data["file"], user=request.user
            )
        except ImportFileError as error:
            form.add_error("file", error.message)
        else:
            return redirect("importing:preview", pk=batch.pk)
    recent = ImportBatch.objects.select_related("created_by", "committed_by")[:10]
    return render(
        request,
        "producers/importing/upload.html",
        {
            "form": form,
            "recent": recent,
            "template_languages": [(code, _language_name(code)) for code in LANGUAGES],
            "current_language": (get_language() or "en")[:2],
        },
        status=400 if form.errors else 200,
    )


def _language_name(code: str) -> str:
    return {"en": "English", "km": "ខ្មែរ", "vi": "Tiếng Việt"}[code]


@organiser_required
@require_safe
def template(request, language: str, file_format: str):
    if language not in LANGUAGES or file_format not in ("csv", "xlsx"):
        raise Http404
    if file_format == "csv":
        response = HttpResponse(export.template_csv(language), content_type=CSV_TYPE)
    else:
        response = HttpResponse(export.template_xlsx(language), content_type=XLSX_TYPE)
    return _attachment(response, f"forum-market-import-template-{language}.{file_format}")


# --- Preview, mapping, commit ---------------------------------------------------------------

SHOW_CHOICES = ("all", "errors", "notes", "changes")


def _row_wanted(row: dict, show: str) -> bool:
    if show == "errors":
        return any(issue[2] for issue in row["issues"])
    if show == "notes":
        return bool(row["issues"])
    if show == "changes":
        return row["a"] in ("new", "updated") or row["pa"] in ("new", "updated")
    return True


def _row_display(row: dict) -> dict:
    issues = [
        {
            "field": BY_KEY[key].label if key in BY_KEY else "",
            "message": message,
            "error": error,
        }
        for key, message, error in row["issues"]
    ]
    changes = [BY_KEY[key].label for key in row["changes"]]
    return {**row, "issue_list": issues, "change_labels": changes}


@organiser_required
@require_safe
def preview(request, pk: uuid.UUID):
    batch = _batch_or_404(pk)
    if batch.is_committed:
        return redirect("importing:done", pk=batch.pk)
    try:
        data = services.import_preview(batch)
    except ImportFileError as error:
        messages.error(request, error.message)
        return redirect("importing:upload")
    show = request.GET.get("show", "all")
    show = show if show in SHOW_CHOICES else "all"
    rows = [row for row in data["rows"] if _row_wanted(row, show)]
    page = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    error_summary = []
    for row in data["rows"]:
        for key, message, error in row["issues"]:
            if error and len(error_summary) < ERROR_SUMMARY_SIZE:
                error_summary.append(_issue_sentence(row["n"], key, message))
    return render(
        request,
        "producers/importing/preview.html",
        {
            "batch": batch,
            "data": data,
            "counts": data["counts"],
            "can_commit": not data["file_errors"] and not data["counts"]["rows_with_errors"],
            "page": page,
            "rows": [_row_display(row) for row in page.object_list],
            "show": show,
            "show_choices": [
                ("all", _("All rows")),
                ("errors", _("Rows with errors")),
                ("notes", _("Rows with errors or notes")),
                ("changes", _("New and changed")),
            ],
            "error_summary": error_summary,
            "mapping_form": MappingForm(batch=batch, samples=data.get("samples")),
            "commit_form": CommitForm(),
            "checked_at": dt.datetime.fromisoformat(data["checked_at"]),
        },
    )


def _issue_sentence(number: int, key: str, message: str) -> str:
    if key in BY_KEY:
        return _("Row %(row)s, %(field)s: %(message)s") % {
            "row": number,
            "field": str(BY_KEY[key].label).lower(),
            "message": message,
        }
    return _("Row %(row)s: %(message)s") % {"row": number, "message": message}


@organiser_required
@require_POST
def mapping(request, pk: uuid.UUID):
    batch = _batch_or_404(pk)
    form = MappingForm(request.POST, batch=batch)
    if not form.is_valid():
        messages.error(request, _("Choose a field, or “ignore”, for each column."))
        return redirect("importing:preview", pk=batch.pk)
    try:
        services.import_batch_mapping_set(batch=batch, mapping=form.mapping())
    except services.MappingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The columns are set; every row was checked again."))
    return redirect("importing:preview", pk=batch.pk)


@organiser_required
@require_POST
def recheck(request, pk: uuid.UUID):
    batch = _batch_or_404(pk)
    try:
        services.import_preview(batch, refresh=True)
    except ImportFileError as error:
        messages.error(request, error.message)
        return redirect("importing:upload")
    messages.success(request, _("Every row was checked again."))
    return redirect("importing:preview", pk=batch.pk)


@organiser_required
@require_POST
def commit(request, pk: uuid.UUID):
    batch = _batch_or_404(pk)
    form = CommitForm(request.POST)
    form.is_valid()
    try:
        result = services.import_batch_commit(
            batch=batch,
            user=request.user,
            approve_directly=form.cleaned_data.get("approve_directly", False),
        )
    except services.ImportRefused as error:
        messages.error(request, error.message)
        if ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.COMMITTED).exists():
            return redirect("importing:done", pk=batch.pk)
        return redirect(reverse("importing:preview", args=[batch.pk]) + "?show=errors")
    messages.success(
        request,
        _(
            "Imported: %(producers)s new producers, %(products)s new listings, %(updated)s "
            "listings changed."
        )
        % {
            "producers": result.producers_created,
            "products": result.products_created,
            "updated": result.products_updated,
        },
    )
    return redirect("importing:done", pk=batch.pk)


@organiser_required
@require_safe
def done(request, pk: uuid.UUID):
    batch = _batch_or_404(pk)
    if not batch.is_committed:
        return redirect("importing:preview", pk=batch.pk)
    return render(request, "producers/importing/done.html", {"batch": batch, **batch.summary})


# --- Export ---------------------------------------------------------------------------------


@require_safe
def catalogue_export(request):
    """Approved listings for anyone; organisers may ask for every listing, and get the
    producers' phone and email too, so that the file can be imported again."""
    organiser = getattr(request.user, "is_organiser", False)
    file_format = request.GET.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        file_format = "csv"
    language = request.GET.get("language") or (get_language() or "en")[:2]
    language = language if language in LANGUAGES else "en"
    all_statuses = organiser and request.GET.get("status") == "all"
    rows = export.catalogue_rows(
        language=language, all_statuses=all_statuses, include_private=organiser
    )
    stamp = timezone.localdate().isoformat()
    name = f"forum-market-{'all-listings' if all_statuses else 'catalogue'}-{stamp}"
    if file_format == "csv":
        response = StreamingHttpResponse(export.csv_stream(rows), content_type=CSV_TYPE)
    else:
        response = HttpResponse(export.xlsx_bytes(rows), content_type=XLSX_TYPE)
    return _attachment(response, f"{name}.{file_format}")


# --- Claim codes: organisers ----------------------------------------------------------------


def _claim_producers(request):
    producers = Producer.objects.select_related("province").annotate(
        member_count=Count("members", distinct=True)
    )
    batch = None
    batch_id = request.GET.get("batch") or request.POST.get("batch")
    if batch_id:
        try:
            batch = ImportBatch.objects.get(pk=uuid.UUID(str(batch_id)))
        except (ValueError, ImportBatch.DoesNotExist):
            raise Http404 from None
        producers = producers.filter(pk__in=batch.producer_ids)
    return producers, batch


@organiser_required
@require_safe
def claims(request):
    producers, batch = _claim_producers(request)
    query = (request.GET.get("q") or "").strip()
    if query:
        producers = producers.filter(
            Q(name__icontains=query) | Q(village__icontains=query) | Q(phone__icontains=query)
        )
    province = request.GET.get("province")
    if province and province.isdigit():
        producers = producers.filter(province_id=int(province))
    if request.GET.get("claimed") != "1":
        producers = producers.filter(member_count=0)
    latest = ClaimCode.objects.filter(producer=OuterRef("pk")).order_by("-created_at")
    producers = producers.annotate(
        code_issued=Subquery(latest.values("created_at")[:1]),
        code_expires=Subquery(latest.values("expires_at")[:1]),
        code_used=Subquery(latest.values("used_at")[:1]),
        code_revoked=Subquery(latest.values("revoked_at")[:1]),
    ).order_by("province__name_en", "name", "pk")
    page = Paginator(producers, CLAIMS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "producers/importing/claims.html",
        {
            "page": page,
            "batch": batch,
            "query": query,
            "province_id": province or "",
            "provinces": Province.objects.current().order_by("country__code", "name_en"),
            "show_claimed": request.GET.get("claimed") == "1",
            "now": timezone.now(),
        },
    )


def _chosen_producers(request, form: ProducerChoiceForm, batch: ImportBatch | None):
    if form.cleaned_data.get("everyone") and batch is not None:
        producers = Producer.objects.filter(pk__in=batch.producer_ids)
        producers = producers.annotate(member_count=Count("members")).filter(member_count=0)
    else:
        producers = form.cleaned_data["producer"]
    return list(producers.select_related("province__country").order_by("province_id", "name"))


def _claims_back(batch: ImportBatch | None) -> str:
    url = reverse("importing:claims")
    return f"{url}?batch={batch.pk}" if batch else url


@organiser_required
@require_POST
@never_cache
def claims_print(request):
    _producers, batch = _claim_producers(request)
    form = ProducerChoiceForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or [_("Tick at least one producer.")]:
            messages.error(request, error)
        return redirect(_claims_back(batch))
    cards = services.claim_codes_print(
        producers=_chosen_producers(request, form, batch), issued_by=request.user
    )
    response = render(
        request,
        "producers/importing/claims_print.html",
        {
            "cards": cards,
            "batch": batch,
            "claim_url": request.build_absolute_uri(reverse("importing:claim")),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


@organiser_required
@require_POST
def claims_invite(request):
    _producers, batch = _claim_producers(request)
    form = ProducerChoiceForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or [_("Tick at least one producer.")]:
            messages.error(request, error)
        return redirect(_claims_back(batch))
    sent, skipped = services.claim_invitations_send(
        producers=_chosen_producers(request, form, batch), issued_by=request.user
    )
    if sent:
        messages.success(
            request,
            ngettext(
                "Invitation emailed to %(count)s producer.",
                "Invitations emailed to %(count)s producers.",
                len(sent),
            )
            % {"count": len(sent)},
        )
    if skipped:
        messages.warning(
            request,
            _("Not emailed (no email address, or sending failed): %(names)s. Print their codes.")
            % {"names": ", ".join(producer.name for producer in skipped[:20])},
        )
    return redirect(_claims_back(batch))


# --- Claim: producers -----------------------------------------------------------------------


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@require_http_methods(["GET", "POST"])
@never_cache
def claim(request):
    """A producer takes over the business registered for them, with the code they got."""
    user = request.user if request.user.is_authenticated else None
    if user is not None and not user.is_producer:
        return render(request, "producers/importing/claim.html", {"wrong_account": True})
    form = ClaimForm(
        request.POST or None,
        signed_in=user is not None,
        initial={"code": request.GET.get("code", "")[:20]},
    )
    tries_key = f"importing:claim-tries:{_client_address(request)}"
    if request.method == "POST" and form.is_valid():
        if (cache.get(tries_key) or 0) >= CLAIM_TRIES:
            form.add_error(None, _("Too many wrong codes. Wait 15 minutes, then try again."))
        else:
            try:
                user, producer = services.claim_code_redeem(
                    code=form.cleaned_data["code"],
                    email=form.cleaned_data.get("email", ""),
                    password=form.cleaned_data.get("password", ""),
                    full_name=form.cleaned_data.get("full_name", ""),
                    user=user,
                )
            except services.ClaimError as error:
                if error.field == "code":
                    cache.add(tries_key, 0, CLAIM_WAIT_SECONDS)
                    cache.incr(tries_key)
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                if not request.user.is_authenticated:
                    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    _("Welcome! %(name)s is now yours: check your listings and add photos.")
                    % {"name": producer.name},
                )
                return redirect("producers:dashboard")
    return render(
        request,
        "producers/importing/claim.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
