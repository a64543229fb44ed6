"""Forums (events), their slots and participants, meeting requests and the meetings they become.

Slots are rows, generated from the forum's days and session plan, so that meetings can point at
them and the database itself can forbid double booking with unique constraints.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from buyers.models import Buyer, SourcingNeed
from producers.models import Producer, Product
from taxonomy.models import Province


class Forum(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for registration and requests")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=200)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="forums", verbose_name=_("province")
    )
    venue = models.CharField(_("venue"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=40, default="Asia/Ho_Chi_Minh")
    meeting_minutes = models.PositiveSmallIntegerField(_("meeting length (minutes)"), default=20)
    break_minutes = models.PositiveSmallIntegerField(
        _("break between meetings (minutes)"), default=5
    )
    tables = models.PositiveIntegerField(_("tables or booths for meetings"))
    requests_open_at = models.DateTimeField(_("requests open"), null=True, blank=True)
    requests_close_at = models.DateTimeField(_("requests close"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="organised_forums", verbose_name=_("organisers")
    )
    schedule_published_at = models.DateTimeField(_("schedule published"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("forum")
        verbose_name_plural = _("forums")

    def __str__(self) -> str:
        return self.name


class ForumDay(models.Model):
    """One day of a forum and its session plan; the afternoon is optional."""

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    morning_start = models.TimeField(_("morning starts"), null=True, blank=True)
    morning_end = models.TimeField(_("morning ends"), null=True, blank=True)
    afternoon_start = models.TimeField(_("afternoon starts"), null=True, blank=True)
    afternoon_end = models.TimeField(_("afternoon ends"), null=True, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("forum day")
        verbose_name_plural = _("forum days")
        constraints = [
            models.UniqueConstraint(fields=["forum", "date"], name="forum_day_once"),
        ]

    def __str__(self) -> str:
        return f"{self.forum} {self.date}"


class Slot(models.Model):
    class Session(models.TextChoices):
        MORNING = "morning", _("Morning")
        AFTERNOON = "afternoon", _("Afternoon")

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="slots")
    day = models.ForeignKey(ForumDay, on_delete=models.CASCADE, related_name="slots")
    index = models.PositiveIntegerField(_("number"))
    session = models.CharField(_("session"), max_length=16, choices=Session.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        ordering = ["index"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.UniqueConstraint(fields=["forum", "index"], name="slot_index_once"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}"


class ForumProducer(models.Model):
    """A producer taking part with a booth."""

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="producer_entries")
    producer = models.ForeignKey(Producer, on_delete=models.CASCADE, related_name="forum_entries")
    booth = models.CharField(_("booth"), max_length=32, blank=True)
    unavailable_slots = models.ManyToManyField(
        Slot, blank=True, related_name="+", verbose_name=_("unavailable slots")
    )
    calendar_token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participating producer")
        verbose_name_plural = _("participating producers")
        constraints = [
            models.UniqueConstraint(fields=["forum", "producer"], name="forum_producer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.producer} @ {self.forum}"


class ForumBuyer(models.Model):
    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="buyer_entries")
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="forum_entries")
    unavailable_slots = models.ManyToManyField(
        Slot, blank=True, related_name="+", verbose_name=_("unavailable slots")
    )
    calendar_token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participating buyer")
        verbose_name_plural = _("participating buyers")
        constraints = [
            models.UniqueConstraint(fields=["forum", "buyer"], name="forum_buyer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} @ {self.forum}"


class MeetingRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    class Side(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        PRODUCER = "producer", _("Producer")

    forum = models.ForeignKey(
        Forum,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="meeting_requests",
        verbose_name=_("forum"),
        help_text=_("Leave empty to meet any time."),
    )
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="meeting_requests")
    producer = models.ForeignKey(
        Producer, on_delete=models.CASCADE, related_name="meeting_requests"
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meeting_requests",
        verbose_name=_("product"),
    )
    need = models.ForeignKey(
        SourcingNeed,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meeting_requests",
        verbose_name=_("sourcing need"),
    )
    initiated_by = models.CharField(_("asked by"), max_length=16, choices=Side.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    message = models.TextField(_("message"), blank=True)
    response_message = models.TextField(_("answer"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # The match score from the engine when the request came from a suggestion; the scheduler
    # places better matches first when not every meeting fits.
    score = models.FloatField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("meeting request")
        verbose_name_plural = _("meeting requests")
        constraints = [
            # One open request per pair and forum ("any time" counts as one forum).
            models.UniqueConstraint(
                Coalesce("forum", models.Value(0)),
                "buyer",
                "producer",
                condition=Q(status="pending"),
                name="meeting_request_one_open_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} ↔ {self.producer}"


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    class SessionRule(models.TextChoices):
        EITHER = "either", _("Morning or afternoon")
        MORNING = "morning", _("Morning only")
        AFTERNOON = "afternoon", _("Afternoon only")

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="meetings")
    request = models.OneToOneField(
        MeetingRequest, on_delete=models.CASCADE, related_name="meeting", null=True, blank=True
    )
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="meetings")
    producer = models.ForeignKey(Producer, on_delete=models.CASCADE, related_name="meetings")
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    session_rule = models.CharField(
        _("session"), max_length=16, choices=SessionRule.choices, default=SessionRule.EITHER
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    table = models.PositiveIntegerField(_("table"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    unscheduled_reason = models.TextField(_("why it is not scheduled"), blank=True)
    # The latest scheduler run writes here; `slot` and `table` (what participants see) only
    # change when an organiser publishes. No constraints: a draft is checked, then published.
    draft_slot = models.ForeignKey(
        Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    draft_table = models.PositiveIntegerField(null=True, blank=True)
    draft_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slot__index", "table"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            # Whatever the code does, nobody and no table is booked twice in one slot.
            models.UniqueConstraint(
                fields=["slot", "table"],
                condition=Q(slot__isnull=False),
                name="meeting_table_once_per_slot",
            ),
            models.UniqueConstraint(
                fields=["slot", "buyer"],
                condition=Q(slot__isnull=False),
                name="meeting_buyer_once_per_slot",
            ),
            models.UniqueConstraint(
                fields=["slot", "producer"],
                condition=Q(slot__isnull=False),
                name="meeting_producer_once_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} ↔ {self.producer}"


class MeetingFeedback(models.Model):
    class Outcome(models.TextChoices):
        NOTHING = "nothing", _("Nothing yet")
        SAMPLES = "samples", _("Samples sent")
        TRIAL = "trial", _("Trial order")
        CONTRACT = "contract", _("Contract")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=16, choices=MeetingRequest.Side.choices)
    rating = models.PositiveSmallIntegerField(
        _("rating"), choices=[(i, str(i)) for i in range(1, 6)]
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting feedback")
        verbose_name_plural = _("meeting feedback")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "side"], name="feedback_once_per_side"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} ({self.get_side_display()})"


class ScheduleRun(models.Model):
    """One run of the scheduler for a forum: its progress while it runs, then the draft it
    wrote (on the meetings' draft fields) and a summary the organiser reviews before
    publishing. ``kind`` "changes" keeps every published meeting where it is."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready for review")
        FAILED = "failed", _("Failed")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Replaced by a later run")

    class Kind(models.TextChoices):
        FULL = "full", _("Whole schedule")
        CHANGES = "changes", _("Late changes only")

    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="schedule_runs")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FULL)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    time_limit = models.PositiveIntegerField(_("time limit (seconds)"), default=30)
    progress = models.FloatField(default=0)
    message = models.CharField(max_length=300, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("schedule run")
        verbose_name_plural = _("schedule runs")

    def __str__(self) -> str:
        return f"{self.forum} #{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        return round(100 * (self.progress or 0))
