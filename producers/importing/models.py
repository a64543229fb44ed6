"""Records of the spreadsheet import: the uploaded file between preview and commit
(ImportBatch), and the one-time codes with which a producer takes over a business that a
committee registered for them (ClaimCode).

These models belong to the `producers` app: `producers/models.py` imports this module, so
Django registers them with the app's other models and its migrations.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from producers.validators import private_storage


def _import_upload_to(batch: "ImportBatch", filename: str) -> str:
    # The organiser's file name is kept in `original_name`, never in the stored path.
    extension = batch.file_format or "bin"
    return f"imports/{batch.pk}.{extension}"


class ImportBatch(models.Model):
    """One uploaded spreadsheet: stored privately until it is committed (then deleted),
    with the column mapping the organiser confirmed."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for import")
        COMMITTED = "committed", _("Imported")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(
        _("file"), upload_to=_import_upload_to, storage=private_storage, blank=True
    )
    file_format = models.CharField(_("format"), max_length=8)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=4, blank=True)
    sheet_name = models.CharField(_("sheet"), max_length=64, blank=True)
    # 0-based index of the header row in the sheet, and its cells as text.
    header_row = models.PositiveIntegerField(_("header row"), default=0)
    headers = models.JSONField(_("column headers"), default=list)
    # One field key (or "" for ignore) per column.
    mapping = models.JSONField(_("column mapping"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED
    )
    committed_at = models.DateTimeField(_("imported"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # Producers created or matched by the commit, for handing out claim codes afterwards.
    producer_ids = models.JSONField(default=list, blank=True)

    class Meta:
        app_label = "producers"
        ordering = ["-created_at"]
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_committed(self) -> bool:
        return self.status == self.Status.COMMITTED


class ClaimCodeQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class ClaimCode(models.Model):
    """A one-time code with which a producer takes over a business registered for them.

    Only a keyed hash of the code is stored: the code itself is shown once (printed or
    emailed) and cannot be read back. Issuing a new code revokes the producer's unused ones.
    """

    class Channel(models.TextChoices):
        PRINT = "print", _("Printed")
        EMAIL = "email", _("Emailed")

    producer = models.ForeignKey(
        "producers.Producer",
        on_delete=models.CASCADE,
        related_name="claim_codes",
        verbose_name=_("producer"),
    )
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField(_("sent by"), max_length=8, choices=Channel.choices)
    # For an emailed code, the address it went to: only that address can use it.
    email = models.EmailField(_("sent to"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("used by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ClaimCodeQuerySet.as_manager()

    class Meta:
        app_label = "producers"
        ordering = ["-created_at"]
        verbose_name = _("claim code")
        verbose_name_plural = _("claim codes")
        indexes = [models.Index(fields=["producer", "-created_at"], name="claim_code_producer")]

    def __str__(self) -> str:
        return f"{self.producer} ({self.get_channel_display()}, {self.created_at:%Y-%m-%d})"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()
