"""What the matching engine leaves behind: its settings, its runs, the suggestions it made,
the suggestions people turned down, and the digest emails sent about them.

A Suggestion is one (sourcing need, product) pair kept by the engine: it is among the need's
top k products, or it is the producer's best product for one of the producer's top k needs
(or both; the two ranks say which). Rows are rewritten by every run that rescored them, but
`first_suggested_at` and the notification times survive, so a digest only ever lists pairs
that are new to its reader.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buyers.models import Buyer, SourcingNeed
from forums.models import Forum
from matching import engine
from producers.models import Producer, Product

WEIGHT_FIELDS = ("category", "province", "certification", "volume", "min_order")


def _weight_field(verbose_name, default: float, help_text, negative) -> models.FloatField:
    return models.FloatField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(0.0, message=negative)],
        help_text=help_text,
    )


class MatchingWeights(models.Model):
    """How much each factor counts. One global row (forum empty) and optionally one per forum.

    The five weights may be any non-negative numbers (they are scaled to sum to 1 before
    scoring), but not all zero.
    """

    forum = models.OneToOneField(
        Forum,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="matching_weights",
        verbose_name=_("forum"),
    )
    category = _weight_field(
        _("category weight"),
        0.30,
        _("How much a matching product category counts."),
        _("The category weight cannot be negative."),
    )
    province = _weight_field(
        _("province weight"),
        0.25,
        _("How much being close to the buyer's provinces counts."),
        _("The province weight cannot be negative."),
    )
    certification = _weight_field(
        _("certification weight"),
        0.15,
        _("How much holding the buyer's preferred certifications counts."),
        _("The certification weight cannot be negative."),
    )
    volume = _weight_field(
        _("volume weight"),
        0.20,
        _("How much covering the buyer's monthly volume counts."),
        _("The volume weight cannot be negative."),
    )
    min_order = _weight_field(
        _("minimum order weight"),
        0.10,
        _("How much a minimum order that fits the buyer's orders counts."),
        _("The minimum order weight cannot be negative."),
    )
    group_match_factor = models.FloatField(
        _("same-group factor"),
        default=0.6,
        validators=[
            MinValueValidator(0.0, message=_("The same-group factor must be between 0 and 1.")),
            MaxValueValidator(1.0, message=_("The same-group factor must be between 0 and 1.")),
        ],
        help_text=_(
            "Category score (0 to 1) for a product of the same group but another subgroup."
        ),
    )
    distance_scale_km = models.FloatField(
        _("distance scale (km)"),
        default=150.0,
        validators=[
            MinValueValidator(1.0, message=_("The distance scale must be at least 1 km.")),
            MaxValueValidator(5000.0, message=_("The distance scale can be at most 5,000 km.")),
        ],
        help_text=_(
            "Outside the buyer's provinces the province score falls to about a third at this "
            "distance."
        ),
    )
    k = models.PositiveSmallIntegerField(
        _("suggestions kept"),
        default=10,
        validators=[
            MinValueValidator(1, message=_("Suggestions kept must be at least 1.")),
            MaxValueValidator(50, message=_("Suggestions kept can be at most 50.")),
        ],
        help_text=_("Products kept per need, and needs kept per producer."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("matching weights")
        verbose_name_plural = _("matching weights")
        constraints = [
            # One global row ("no forum" counts as one value).
            models.UniqueConstraint(
                Coalesce("forum", models.Value(0)), name="matching_weights_once_per_scope"
            ),
            models.CheckConstraint(
                condition=Q(category__gte=0)
                & Q(province__gte=0)
                & Q(certification__gte=0)
                & Q(volume__gte=0)
                & Q(min_order__gte=0),
                name="matching_weights_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(category__gt=0)
                | Q(province__gt=0)
                | Q(certification__gt=0)
                | Q(volume__gt=0)
                | Q(min_order__gt=0),
                name="matching_weights_not_all_zero",
            ),
        ]

    def __str__(self) -> str:
        return str(self.forum) if self.forum_id else str(_("Default weights"))

    def clean(self) -> None:
        super().clean()
        values = [getattr(self, name) for name in WEIGHT_FIELDS]
        if all(v is not None for v in values) and all(v <= 0 for v in values):
            raise ValidationError(
                _(
                    "At least one of the five weights (category, province, certification, "
                    "volume, minimum order) must be more than zero."
                ),
                code="weights_all_zero",
            )

    def as_engine(self) -> engine.Weights:
        return engine.Weights.normalised(
            *(float(getattr(self, name)) for name in WEIGHT_FIELDS),
            group_match_factor=float(self.group_match_factor),
            distance_scale_km=float(self.distance_scale_km),
        )

    def snapshot(self) -> dict:
        """The settings a run used, as stored on the run (weights scaled to sum to 1)."""
        weights = self.as_engine()
        return {
            **{name: getattr(weights, name) for name in WEIGHT_FIELDS},
            "group_match_factor": weights.group_match_factor,
            "distance_scale_km": weights.distance_scale_km,
            "k": int(self.k),
            "forum": self.forum_id,
        }


class MatchRun(models.Model):
    class Kind(models.TextChoices):
        FULL = "full", _("Full")
        INCREMENTAL = "incremental", _("Incremental")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    forum = models.ForeignKey(
        Forum,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="match_runs",
        verbose_name=_("forum"),
        help_text=_("Only this forum's participants, with the forum's weights."),
    )
    # What an incremental run rescores: {"product": pk} or {"need": pk, "action": ...}.
    subject = models.JSONField(_("rescored"), default=dict, blank=True)
    weights = models.JSONField(_("weights"), default=dict, blank=True)
    send_digests = models.BooleanField(_("send digests"), default=True)
    products = models.PositiveIntegerField(_("products"), default=0)
    needs = models.PositiveIntegerField(_("needs"), default=0)
    pairs_considered = models.BigIntegerField(_("pairs considered"), default=0)
    pairs_passed = models.BigIntegerField(_("pairs passed"), default=0)
    # Suggestion rows inserted or changed (a row unchanged since the last run is not).
    suggestions_written = models.PositiveIntegerField(_("rows written"), default=0)
    emails_sent = models.PositiveIntegerField(_("emails sent"), default=0)
    load_s = models.FloatField(_("loading (s)"), default=0.0)
    score_s = models.FloatField(_("scoring (s)"), default=0.0)
    write_s = models.FloatField(_("writing (s)"), default=0.0)
    email_s = models.FloatField(_("emails (s)"), default=0.0)
    chunks_total = models.PositiveSmallIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveSmallIntegerField(_("chunks done"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Set once, when the digest step first starts: suggestions notified after it were
    # notified by this run, so a retried digest step still lists them for its other readers.
    digests_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def wall_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def weights_engine(self) -> engine.Weights:
        """The weights the run scores with (the snapshot is already scaled to sum to 1)."""
        w = self.weights
        return engine.Weights(
            *(float(w[name]) for name in WEIGHT_FIELDS),
            group_match_factor=float(w["group_match_factor"]),
            distance_scale_km=float(w["distance_scale_km"]),
        )


class MatchRunChunk(models.Model):
    """One chunk of a full run's needs (needs with need_from <= pk < need_to).

    `candidates` holds the chunk's per-producer top k (need, product, producer, rounded
    score, need rank) as packed int64 arrays: the chord callback merges them into each
    producer's top k over all needs.
    """

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveSmallIntegerField()
    need_from = models.BigIntegerField(null=True, blank=True)
    need_to = models.BigIntegerField(null=True, blank=True)
    done = models.BooleanField(default=False)
    needs = models.PositiveIntegerField(default=0)
    pairs_considered = models.BigIntegerField(default=0)
    pairs_passed = models.BigIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    load_s = models.FloatField(default=0.0)
    score_s = models.FloatField(default=0.0)
    write_s = models.FloatField(default=0.0)
    candidates = models.BinaryField(default=b"", blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="match_run_chunk_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run} chunk {self.index}"


class Suggestion(models.Model):
    # Derived data, rewritten in bulk by every run: the foreign keys have no database
    # constraints (checking them costs more than scoring at national scale). Deletes still
    # cascade through the ORM, and a full run drops any row whose need or product left.
    # No separate index on need: the (need, product) unique index serves it.
    need = models.ForeignKey(
        SourcingNeed,
        on_delete=models.CASCADE,
        related_name="suggestions",
        db_index=False,
        db_constraint=False,
        verbose_name=_("sourcing need"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="suggestions",
        db_constraint=False,
        verbose_name=_("product"),
    )
    producer = models.ForeignKey(
        Producer,
        on_delete=models.CASCADE,
        related_name="suggestions",
        db_index=False,  # served by the (producer, producer_rank) index
        db_constraint=False,
        verbose_name=_("producer"),
    )
    buyer = models.ForeignKey(
        Buyer,
        on_delete=models.CASCADE,
        related_name="suggestions",
        db_index=False,
        db_constraint=False,
        verbose_name=_("buyer"),
    )
    score = models.FloatField(_("score"))
    category = models.FloatField(_("category factor"))
    province = models.FloatField(_("province factor"))
    certification = models.FloatField(_("certification factor"))
    volume = models.FloatField(_("volume factor"))
    min_order = models.FloatField(_("minimum order factor"))
    # Why: match kind, distance and nearest wanted province (pk), certifications held (pks),
    # quantities in base units and flags. See matching.reasons.
    breakdown = models.JSONField(_("breakdown"), default=dict)
    # 1..k within the need's top k products, 0 if not in it.
    need_rank = models.PositiveSmallIntegerField(_("rank for the need"), default=0)
    # 1..k within the producer's top k needs, 0 if not in it.
    producer_rank = models.PositiveSmallIntegerField(_("rank for the producer"), default=0)
    # A hash of the score, factors and breakdown: a run rewrites a row only when it changed.
    fingerprint = models.BigIntegerField(default=0, editable=False)
    # The run that last wrote the row (an incremental run's digest lists those).
    run = models.ForeignKey(
        MatchRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
        db_constraint=False,
        verbose_name=_("last run"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_suggested_at = models.DateTimeField(_("first suggested"), default=timezone.now)
    # A suggestion reaches two audiences, each told once: the buyer's members and the
    # producer's members.
    buyer_notified_at = models.DateTimeField(_("buyer notified"), null=True, blank=True)
    producer_notified_at = models.DateTimeField(_("producer notified"), null=True, blank=True)

    class Meta:
        ordering = ["-score", "product_id"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        constraints = [
            models.UniqueConstraint(fields=["need", "product"], name="suggestion_once_per_pair"),
        ]
        indexes = [
            # An incremental run asks for a need's k-th product and a producer's k-th need.
            # Need lookups through it always ask for a rank (> 0), so it only holds rows in a
            # need's top k (about a third): inserts into the other rows skip it. (All rows of
            # one need are found through the unique index.)
            models.Index(
                fields=["need", "need_rank"],
                condition=Q(need_rank__gt=0),
                name="suggestion_need_ranked",
            ),
            models.Index(fields=["producer", "producer_rank"], name="suggestion_producer_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.need_id} ↔ {self.product_id} ({self.score:.2f})"

    @property
    def score_percent(self) -> int:
        return round(self.score * 100)


class Dismissal(models.Model):
    """ "Not interested": a buyer turning down a product for a need, or a producer turning
    down a need. The pair is hidden from that side for good, whatever later runs find, and
    runs leave it out of that side's top k, so the next best takes its place."""

    class Side(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        PRODUCER = "producer", _("Producer")

    side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    need = models.ForeignKey(
        SourcingNeed, on_delete=models.CASCADE, related_name="dismissals", db_index=False
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, null=True, blank=True, related_name="dismissals"
    )
    producer = models.ForeignKey(
        Producer, on_delete=models.CASCADE, null=True, blank=True, related_name="dismissals"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dismissed suggestion")
        verbose_name_plural = _("dismissed suggestions")
        constraints = [
            models.UniqueConstraint(
                fields=["need", "product"],
                condition=Q(side="buyer"),
                name="dismissal_buyer_once",
            ),
            models.UniqueConstraint(
                fields=["need", "producer"],
                condition=Q(side="producer"),
                name="dismissal_producer_once",
            ),
            models.CheckConstraint(
                condition=Q(side="buyer", product__isnull=False, producer__isnull=True)
                | Q(side="producer", producer__isnull=False, product__isnull=True),
                name="dismissal_names_its_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()}: {self.need_id}"


class DigestSent(models.Model):
    """One digest email to one user for one run. Written before the email goes out, in the
    same transaction as marking its suggestions notified, so a retry never sends twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="matching_digests"
    )
    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="digests")
    sent_at = models.DateTimeField(default=timezone.now)
    suggestion_ids = models.JSONField(default=list)

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "run"], name="digest_once_per_user_and_run"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ run {self.run_id}"
