"""Reads about forums and meeting requests, shared by the pages, the API and the tasks.

A pending request whose `expires_at` has passed is expired, whatever its stored status says:
the hourly task (`forums.tasks.meeting_requests_expire`) writes that down and sends the
emails, but until it runs every read here already reports it as expired. `current_status`
is annotated onto every request these selectors return.

Which side of a request a user is on is decided here, once: the side that started it
(`initiated_by`) may cancel it while it is pending; the other side may accept or decline it.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from buyers.models import Buyer
from forums.models import Forum, MeetingRequest
from producers.models import Producer

Status = MeetingRequest.Status
Side = MeetingRequest.Side


# --- Forums ---------------------------------------------------------------------------------


def _forum_open_q(now: datetime) -> Q:
    return (
        Q(status=Forum.Status.OPEN)
        & (Q(requests_open_at__isnull=True) | Q(requests_open_at__lte=now))
        & (Q(requests_close_at__isnull=True) | Q(requests_close_at__gt=now))
    )


def forums_open_for_requests(*, now: datetime | None = None) -> QuerySet[Forum]:
    """Forums that take meeting requests right now: open, and within the request window
    where one is set. The soonest to close first."""
    now = now or timezone.now()
    return (
        Forum.objects.filter(_forum_open_q(now))
        .select_related("province")
        .order_by("requests_close_at", "name", "pk")
    )


def forum_is_open_for_requests(*, forum: Forum, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return Forum.objects.filter(_forum_open_q(now), pk=forum.pk).exists()


# --- Meeting requests: status ---------------------------------------------------------------


def lapsed_q(now: datetime) -> Q:
    """Pending in the table, but past its expiry: expired for every purpose."""
    return Q(status=Status.PENDING, expires_at__lte=now)


def open_q(now: datetime) -> Q:
    """Pending and still answerable."""
    return Q(status=Status.PENDING, expires_at__gt=now)


def status_q(status: str, now: datetime) -> Q:
    """The filter for one status as people see it (lazily expired requests count as expired)."""
    if status == Status.PENDING:
        return open_q(now)
    if status == Status.EXPIRED:
        return Q(status=Status.EXPIRED) | lapsed_q(now)
    return Q(status=status)


def with_current_status(
    requests: QuerySet[MeetingRequest], *, now: datetime | None = None
) -> QuerySet[MeetingRequest]:
    now = now or timezone.now()
    return requests.annotate(
        current_status=Case(
            When(lapsed_q(now), then=Value(Status.EXPIRED)),
            default="status",
            output_field=CharField(),
        )
    )


def meeting_request_current_status(
    meeting_request: MeetingRequest, *, now: datetime | None = None
) -> str:
    """The status of one loaded request as people see it."""
    now = now or timezone.now()
    if meeting_request.status == Status.PENDING and meeting_request.expires_at <= now:
        return Status.EXPIRED
    return meeting_request.status


# --- Meeting requests: sides ----------------------------------------------------------------


def _buyers_of(user: User) -> QuerySet[Buyer]:
    return Buyer.objects.filter(members=user)


def _producers_of(user: User) -> QuerySet[Producer]:
    return Producer.objects.filter(members=user)


def _incoming_q(user: User) -> Q:
    # Subqueries rather than joins through both member tables, which would repeat rows.
    return Q(initiated_by=Side.BUYER, producer__in=_producers_of(user)) | Q(
        initiated_by=Side.PRODUCER, buyer__in=_buyers_of(user)
    )


def _outgoing_q(user: User) -> Q:
    return Q(initiated_by=Side.BUYER, buyer__in=_buyers_of(user)) | Q(
        initiated_by=Side.PRODUCER, producer__in=_producers_of(user)
    )


def _list_queryset(
    where: Q, *, status: str | None, now: datetime | None
) -> QuerySet[MeetingRequest]:
    now = now or timezone.now()
    requests = MeetingRequest.objects.filter(where)
    if status:
        requests = requests.filter(status_q(status, now))
    return with_current_status(
        requests.select_related(
            "buyer", "producer", "product", "need__category", "forum", "meeting"
        ),
        now=now,
    ).order_by("-created_at", "-pk")


def meeting_requests_incoming(
    *, user: User, status: str | None = None, now: datetime | None = None
) -> QuerySet[MeetingRequest]:
    """Requests addressed to the user's buyer or producer (the side that answers), newest
    first; `status` as people see it (a lapsed pending request is expired)."""
    if not user.is_authenticated:
        return MeetingRequest.objects.none()
    return _list_queryset(_incoming_q(user), status=status, now=now)


def meeting_requests_outgoing(
    *, user: User, status: str | None = None, now: datetime | None = None
) -> QuerySet[MeetingRequest]:
    """Requests the user's buyer or producer started, newest first."""
    if not user.is_authenticated:
        return MeetingRequest.objects.none()
    return _list_queryset(_outgoing_q(user), status=status, now=now)


def meeting_requests_incoming_open_count(*, user: User, now: datetime | None = None) -> int:
    """How many requests wait for the user's answer."""
    if not user.is_authenticated:
        return 0
    now = now or timezone.now()
    return MeetingRequest.objects.filter(_incoming_q(user), open_q(now)).count()


def meeting_request_sides_for_user(*, user: User, meeting_request: MeetingRequest) -> set[str]:
    """The sides ("buyer", "producer") the user is a member of on this request."""
    if not getattr(user, "is_authenticated", False):
        return set()
    sides = set()
    if meeting_request.buyer.members.filter(pk=user.pk).exists():
        sides.add(Side.BUYER)
    if meeting_request.producer.members.filter(pk=user.pk).exists():
        sides.add(Side.PRODUCER)
    return sides


def receiving_side(meeting_request: MeetingRequest) -> str:
    return Side.PRODUCER if meeting_request.initiated_by == Side.BUYER else Side.BUYER


def _visible_q(user: User) -> Q:
    return (
        Q(buyer__in=_buyers_of(user))
        | Q(producer__in=_producers_of(user))
        | Q(forum__in=Forum.objects.filter(organisers=user))
    )


def _detail_queryset() -> QuerySet[MeetingRequest]:
    return with_current_status(
        MeetingRequest.objects.select_related(
            "buyer__country",
            "producer__province",
            "product",
            "need__category",
            "forum__province",
            "meeting__slot",
            "created_by",
        )
    )


def meeting_request_for_user_or_404(*, user: User, pk: int) -> MeetingRequest:
    """A request the user may read: a member of either side, or an organiser of its forum.
    Anyone else gets 404 and learns nothing, not even that it exists."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    meeting_request = _detail_queryset().filter(_visible_q(user), pk=pk).first()
    if meeting_request is None:
        raise Http404
    return meeting_request


def meeting_request_to_answer_or_404(*, user: User, pk: int) -> MeetingRequest:
    """A request the user may accept or decline: addressed to their side. Otherwise 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    meeting_request = _detail_queryset().filter(_incoming_q(user), pk=pk).first()
    if meeting_request is None:
        raise Http404
    return meeting_request


def meeting_request_to_cancel_or_404(*, user: User, pk: int) -> MeetingRequest:
    """A request the user may cancel: started by their side. Otherwise 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    meeting_request = _detail_queryset().filter(_outgoing_q(user), pk=pk).first()
    if meeting_request is None:
        raise Http404
    return meeting_request


def user_may_answer(*, user: User, meeting_request: MeetingRequest) -> bool:
    return receiving_side(meeting_request) in meeting_request_sides_for_user(
        user=user, meeting_request=meeting_request
    )


def user_may_cancel(*, user: User, meeting_request: MeetingRequest) -> bool:
    return meeting_request.initiated_by in meeting_request_sides_for_user(
        user=user, meeting_request=meeting_request
    )


# --- Contacts, once accepted ----------------------------------------------------------------


def meeting_request_contacts(*, meeting_request: MeetingRequest) -> dict | None:
    """How the two sides reach each other: only once the request is accepted (before that,
    nobody sees the other side's addresses). Members' emails on both sides; the producer's
    phone and contact email."""
    if meeting_request.status != Status.ACCEPTED:
        return None
    buyer_emails = list(
        meeting_request.buyer.members.filter(is_active=True)
        .order_by("pk")
        .values_list("email", flat=True)
    )
    producer_emails = list(
        meeting_request.producer.members.filter(is_active=True)
        .order_by("pk")
        .values_list("email", flat=True)
    )
    return {
        "buyer_emails": buyer_emails,
        "producer_emails": producer_emails,
        "producer_phone": meeting_request.producer.phone,
        "producer_email": meeting_request.producer.email,
    }
