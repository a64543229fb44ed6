"""Writes for meeting requests: start one, accept, decline or cancel it, and expire old ones.

The web pages and the REST API both call these; each raises `MeetingRequestError` with a
message written for the person who tried (and a `code` the API maps to a status).

Every answer locks the request (select_for_update) and decides on the state it reads under
that lock, so when two members of a producer accept at the same moment exactly one wins and
the other is told why. A pending request past its `expires_at` is treated as expired even
before the hourly task has written it down. Emails go out after commit, so a rolled-back
change never tells anyone anything.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User
from buyers.models import Buyer, SourcingNeed
from buyers.selectors import needs_open_for_producer
from forums import selectors
from forums.emails import meeting_request_email_send, meeting_requests_expired_email_send
from forums.models import Forum, Meeting, MeetingRequest
from producers.models import Producer, Product

Status = MeetingRequest.Status
Side = MeetingRequest.Side

MESSAGE_MAX_LENGTH = 2000


class MeetingRequestError(Exception):
    """A meeting-request action that the request's state, the limits or the user's side do not
    allow.

    `message` is written for the person who tried it; `field` names the form field it belongs
    to, when there is one. `code` says what kind of refusal it is:

    - ``not_found``: the user is not on the side that may do this (pages answer 404);
    - ``invalid``: the input is wrong (a missing product or need, a message too long...);
    - ``product_unavailable``, ``need_unavailable``, ``no_approved_listing``,
      ``forum_closed``: what the request names cannot be asked about (now);
    - ``duplicate``: the pair already has an open request for that forum;
    - ``cap_reached``: the buyer has too many open requests for that forum;
    - ``expired``, ``cancelled``, ``already_answered``: the request is no longer pending.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def _when(value: dt.datetime) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _forum_label(forum: Forum | None) -> str:
    return forum.name if forum is not None else _("any time")


def _is_member(user: User, side_object: Buyer | Producer) -> bool:
    return (
        getattr(user, "is_authenticated", False) and side_object.members.filter(pk=user.pk).exists()
    )


# --- Expiry ---------------------------------------------------------------------------------


def _expire_locked(*, candidates: list[int], now: dt.datetime) -> list[int]:
    """Mark these (locked) requests expired if they are still pending and past their expiry;
    email both sides of each after commit. Returns the pks that changed."""
    if not candidates:
        return []
    changed = list(
        MeetingRequest.objects.filter(selectors.lapsed_q(now), pk__in=candidates).values_list(
            "pk", flat=True
        )
    )
    if not changed:
        return []
    MeetingRequest.objects.filter(selectors.lapsed_q(now), pk__in=changed).update(
        status=Status.EXPIRED
    )
    transaction.on_commit(
        lambda: meeting_requests_expired_email_send(meeting_request_ids=changed), robust=True
    )
    return changed


@transaction.atomic
def meeting_requests_expire(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Write down every pending request past its expiry as expired and email both sides of
    each, once. Returns how many expired.

    Safe to run twice or on two workers at once: rows are claimed with SKIP LOCKED and
    updated only while still pending, so each request is expired, and emailed, once.
    """
    now = now or timezone.now()
    total = 0
    while True:
        candidates = list(
            MeetingRequest.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(selectors.lapsed_q(now))
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not candidates:
            return total
        total += len(_expire_locked(candidates=candidates, now=now))
        if len(candidates) < batch_size:
            return total


# --- Starting a request ---------------------------------------------------------------------


def _product_check(*, product: Product | None, producer: Producer, required: bool) -> None:
    if product is None:
        if required:
            raise MeetingRequestError(
                _("Choose the product you would like to talk about."), field="product"
            )
        return
    if product.producer_id != producer.pk:
        raise MeetingRequestError(
            _("This product is not one of %(producer)s’s listings.") % {"producer": producer.name},
            field="product",
            code="product_unavailable",
        )
    if not product.is_public:
        raise MeetingRequestError(
            _(
                "“%(product)s” is not an approved listing, so no meeting can be requested "
                "about it. Choose an approved product."
            )
            % {"product": product.display_name},
            field="product",
            code="product_unavailable",
        )


def _need_check(*, need: SourcingNeed | None, buyer: Buyer, required: bool) -> None:
    if need is None:
        if required:
            raise MeetingRequestError(
                _("Choose the sourcing need you are offering to meet about."), field="need"
            )
        return
    if need.buyer_id != buyer.pk:
        raise MeetingRequestError(
            _("This sourcing need is not one of %(buyer)s’s.") % {"buyer": buyer.name},
            field="need",
            code="need_unavailable",
        )


def _offer_check(*, user: User, producer: Producer, need: SourcingNeed) -> None:
    """A producer offers only with an approved listing, on a need still open to them."""
    if not Product.objects.approved().filter(producer=producer).exists():
        raise MeetingRequestError(
            _(
                "Only producers with an approved listing can offer to meet buyers. "
                "Submit a listing for review first."
            ),
            code="no_approved_listing",
        )
    if not needs_open_for_producer(user=user).filter(pk=need.pk).exists():
        raise MeetingRequestError(
            _(
                "This sourcing need is closed, past its deadline or outside the categories "
                "of your approved listings, so you cannot offer to meet about it."
            ),
            field="need",
            code="need_unavailable",
        )


def _forum_check(*, forum: Forum | None, now: dt.datetime) -> None:
    if forum is not None and not selectors.forum_is_open_for_requests(forum=forum, now=now):
        raise MeetingRequestError(
            _(
                "“%(forum)s” is not taking meeting requests now. Choose another forum, "
                "or “any time”."
            )
            % {"forum": forum.name},
            field="forum",
            code="forum_closed",
        )


def _duplicate_error(
    *, buyer: Buyer, producer: Producer, forum: Forum | None
) -> MeetingRequestError:
    return MeetingRequestError(
        _(
            "%(buyer)s and %(producer)s already have an open meeting request for %(forum)s. "
            "Wait for its answer, or cancel it, before sending another."
        )
        % {"buyer": buyer.name, "producer": producer.name, "forum": _forum_label(forum)},
        field="forum",
        code="duplicate",
    )


def _pair_check(*, buyer: Buyer, producer: Producer, forum: Forum | None, now: dt.datetime) -> None:
    """One open request per pair and forum. A lapsed one no longer counts: it is expired
    here and now, so that it frees its place under the database constraint."""
    same_pair = MeetingRequest.objects.select_for_update(no_key=True).filter(
        buyer=buyer, producer=producer, forum=forum, status=Status.PENDING
    )
    pending = list(same_pair.values_list("pk", "expires_at"))
    _expire_locked(candidates=[pk for pk, expires_at in pending if expires_at <= now], now=now)
    if any(expires_at > now for _pk, expires_at in pending):
        raise _duplicate_error(buyer=buyer, producer=producer, forum=forum)


def _cap_check(*, buyer: Buyer, forum: Forum | None, now: dt.datetime) -> None:
    cap = settings.MEETING_REQUEST_CAP_PER_FORUM
    open_count = MeetingRequest.objects.filter(
        selectors.open_q(now), buyer=buyer, forum=forum, initiated_by=Side.BUYER
    ).count()
    if open_count >= cap:
        raise MeetingRequestError(
            _(
                "%(buyer)s already has %(count)s open meeting requests for %(forum)s, the "
                "most allowed is %(cap)s. Wait for answers, or cancel a request, before "
                "sending another."
            )
            % {"buyer": buyer.name, "count": open_count, "forum": _forum_label(forum), "cap": cap},
            field="forum",
            code="cap_reached",
        )


@transaction.atomic
def meeting_request_create(
    *,
    user: User,
    buyer: Buyer,
    producer: Producer,
    product: Product | None = None,
    need: SourcingNeed | None = None,
    forum: Forum | None = None,
    message: str = "",
    initiated_by: str,
    score: float | None = None,
) -> MeetingRequest:
    """Ask to meet: a buyer's member asks a producer (about an approved `product`), or a
    producer's member offers to meet a buyer (about an open `need`, optionally naming one of
    the producer's approved products). `forum=None` means "any time": the two sides arrange
    it themselves once it is accepted. The other side's members are emailed."""
    now = timezone.now()
    message = (message or "").strip()
    if initiated_by == Side.BUYER:
        if not _is_member(user, buyer):
            raise MeetingRequestError(_("You do not buy for this organisation."), code="not_found")
        _product_check(product=product, producer=producer, required=True)
        _need_check(need=need, buyer=buyer, required=False)
    elif initiated_by == Side.PRODUCER:
        if not _is_member(user, producer):
            raise MeetingRequestError(_("You are not a member of this business."), code="not_found")
        _need_check(need=need, buyer=buyer, required=True)
        _offer_check(user=user, producer=producer, need=need)
        _product_check(product=product, producer=producer, required=False)
    else:
        raise MeetingRequestError(
            _("Say which side asks: the buyer or the producer."), field="initiated_by"
        )
    if len(message) > MESSAGE_MAX_LENGTH:
        raise MeetingRequestError(
            _("The message can be at most %(limit)s characters long.")
            % {"limit": MESSAGE_MAX_LENGTH},
            field="message",
        )
    _forum_check(forum=forum, now=now)
    # One buyer's requests are started one at a time, so that two at once can neither both
    # pass the cap nor both take the pair's one open place. NO KEY UPDATE, so that inserts
    # referring to the buyer (a Meeting being accepted meanwhile) do not wait on it.
    Buyer.objects.select_for_update(no_key=True).filter(pk=buyer.pk).first()
    _pair_check(buyer=buyer, producer=producer, forum=forum, now=now)
    if initiated_by == Side.BUYER:
        _cap_check(buyer=buyer, forum=forum, now=now)

    meeting_request = MeetingRequest(
        forum=forum,
        buyer=buyer,
        producer=producer,
        product=product,
        need=need,
        initiated_by=initiated_by,
        created_by=user,
        message=message,
        score=score,
        expires_at=now + dt.timedelta(days=settings.MEETING_REQUEST_EXPIRY_DAYS),
    )
    try:
        with transaction.atomic():
            meeting_request.save()
    except IntegrityError:
        # Only reachable if a request was written without going through this service.
        raise _duplicate_error(buyer=buyer, producer=producer, forum=forum) from None
    transaction.on_commit(
        lambda: meeting_request_email_send(
            meeting_request_id=meeting_request.pk, event="created", actor_id=user.pk
        ),
        robust=True,
    )
    return meeting_request


# --- Answering ------------------------------------------------------------------------------


def _lock(*, meeting_request: MeetingRequest | None, request_id: int | None) -> MeetingRequest:
    pk = meeting_request.pk if meeting_request is not None else request_id
    if pk is None:
        raise TypeError("Pass meeting_request or request_id.")
    locked = (
        MeetingRequest.objects.select_for_update(of=("self",), no_key=True)
        .select_related("buyer", "producer", "forum", "product")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise MeetingRequestError(_("There is no such meeting request."), code="not_found")
    return locked


def _side_check(locked: MeetingRequest, user: User, *, side: str) -> None:
    side_object = locked.buyer if side == Side.BUYER else locked.producer
    if not _is_member(user, side_object):
        raise MeetingRequestError(_("There is no such meeting request."), code="not_found")


# Why a request that is no longer pending cannot be acted on: (status, action) -> reason.
REFUSALS = {
    (Status.EXPIRED, "accept"): _lazy(
        "This request expired on %(date)s without an answer, so it can no longer be accepted. "
        "Send a new request if you still want to meet."
    ),
    (Status.EXPIRED, "decline"): _lazy(
        "This request expired on %(date)s without an answer; there is nothing left to decline."
    ),
    (Status.EXPIRED, "cancel"): _lazy(
        "This request expired on %(date)s without an answer; there is nothing left to cancel."
    ),
    (Status.CANCELLED, "accept"): _lazy(
        "This request was cancelled on %(date)s by the side that sent it, so it can no longer "
        "be accepted."
    ),
    (Status.CANCELLED, "decline"): _lazy(
        "This request was cancelled on %(date)s by the side that sent it; there is nothing "
        "left to decline."
    ),
    (Status.CANCELLED, "cancel"): _lazy("This request was already cancelled on %(date)s."),
    (Status.ACCEPTED, "accept"): _lazy(
        "This request was already accepted on %(date)s, perhaps by a colleague: there is "
        "nothing more to do."
    ),
    (Status.ACCEPTED, "decline"): _lazy(
        "This request was already accepted on %(date)s, so it can no longer be declined."
    ),
    (Status.ACCEPTED, "cancel"): _lazy(
        "This request was already accepted on %(date)s, so it can no longer be cancelled."
    ),
    (Status.DECLINED, "accept"): _lazy(
        "This request was already declined on %(date)s, so it can no longer be accepted."
    ),
    (Status.DECLINED, "decline"): _lazy(
        "This request was already declined on %(date)s, perhaps by a colleague: there is "
        "nothing more to do."
    ),
    (Status.DECLINED, "cancel"): _lazy(
        "This request was already declined on %(date)s, so it can no longer be cancelled."
    ),
}
REFUSAL_CODES = {
    Status.EXPIRED: "expired",
    Status.CANCELLED: "cancelled",
    Status.ACCEPTED: "already_answered",
    Status.DECLINED: "already_answered",
}


def _pending_check(locked: MeetingRequest, *, now: dt.datetime, action: str) -> None:
    """Refuse, with the reason, anything but a pending, unexpired request."""
    status = selectors.meeting_request_current_status(locked, now=now)
    if status == Status.PENDING:
        return
    when = locked.expires_at if status == Status.EXPIRED else (locked.responded_at or now)
    raise MeetingRequestError(
        str(REFUSALS[(status, action)]) % {"date": _when(when)}, code=REFUSAL_CODES[status]
    )


def _message_clean(message: str) -> str:
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise MeetingRequestError(
            _("The message can be at most %(limit)s characters long.")
            % {"limit": MESSAGE_MAX_LENGTH},
            field="message",
        )
    return message


def _announce(locked: MeetingRequest, *, event: str, user: User) -> None:
    transaction.on_commit(
        lambda: meeting_request_email_send(
            meeting_request_id=locked.pk, event=event, actor_id=user.pk
        ),
        robust=True,
    )


def _answer(
    *,
    meeting_request: MeetingRequest | None,
    request_id: int | None,
    user: User,
    message: str,
    action: str,
    status: str,
) -> MeetingRequest:
    """Lock the request, check that `user` is on the side allowed to `action` it and that it
    is still pending, then record the answer. The caller's transaction holds the lock."""
    locked = _lock(meeting_request=meeting_request, request_id=request_id)
    side = locked.initiated_by if action == "cancel" else selectors.receiving_side(locked)
    _side_check(locked, user, side=side)
    now = timezone.now()
    _pending_check(locked, now=now, action=action)
    locked.status = status
    locked.response_message = _message_clean(message)
    locked.responded_at = now
    locked.save(update_fields=["status", "response_message", "responded_at"])
    return locked


@transaction.atomic
def meeting_request_accept(
    *,
    meeting_request: MeetingRequest | None = None,
    request_id: int | None = None,
    user: User,
    message: str = "",
) -> MeetingRequest:
    """The receiving side agrees to meet. A forum request becomes an unscheduled Meeting (the
    forum's scheduler gives it a slot later); an "any time" request is just accepted, and the
    two sides now see each other's contact details. Both sides are emailed."""
    locked = _answer(
        meeting_request=meeting_request,
        request_id=request_id,
        user=user,
        message=message,
        action="accept",
        status=Status.ACCEPTED,
    )
    if locked.forum_id is not None:
        Meeting.objects.create(
            forum=locked.forum,
            request=locked,
            buyer=locked.buyer,
            producer=locked.producer,
            product=locked.product,
        )
    _announce(locked, event="accepted", user=user)
    return locked


@transaction.atomic
def meeting_request_decline(
    *,
    meeting_request: MeetingRequest | None = None,
    request_id: int | None = None,
    user: User,
    message: str = "",
) -> MeetingRequest:
    """The receiving side says no, optionally saying why. Both sides are emailed."""
    locked = _answer(
        meeting_request=meeting_request,
        request_id=request_id,
        user=user,
        message=message,
        action="decline",
        status=Status.DECLINED,
    )
    _announce(locked, event="declined", user=user)
    return locked


@transaction.atomic
def meeting_request_cancel(
    *,
    meeting_request: MeetingRequest | None = None,
    request_id: int | None = None,
    user: User,
    message: str = "",
) -> MeetingRequest:
    """The side that sent a pending request takes it back. Both sides are emailed."""
    locked = _answer(
        meeting_request=meeting_request,
        request_id=request_id,
        user=user,
        message=message,
        action="cancel",
        status=Status.CANCELLED,
    )
    _announce(locked, event="cancelled", user=user)
    return locked
