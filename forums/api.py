"""The API for meeting requests: the caller's incoming and outgoing requests, asking to meet,
and accepting, declining or cancelling.

Who may see or answer a request is decided by `forums.selectors`, as for the pages: members of
either side (and organisers of its forum) see it, the side it was sent to answers it, the side
that sent it cancels it. Someone who may not see a request gets 404; someone who sees it but
is on the wrong side for the action gets 403. `forum_market.api` maps MeetingRequestError
codes to statuses (409 for a request that is no longer pending, 400 for bad input).
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from buyers.models import SourcingNeed
from buyers.selectors import buyer_for_user, needs_editable_by, needs_open_for_producer
from forum_market.api import (
    ApiPagination,
    IsBuyerOrProducerUser,
    error_responses,
)
from forums import selectors, services
from forums.models import Forum, MeetingRequest
from producers.models import Product
from producers.selectors import producer_for_user

Side = MeetingRequest.Side
Status = MeetingRequest.Status
BOXES = ("incoming", "outgoing")


# --- Output ---------------------------------------------------------------------------------


class _NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeetingSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    starts_at = serializers.DateTimeField(
        source="slot.starts_at", allow_null=True, help_text="Null until it is scheduled."
    )
    table = serializers.IntegerField(allow_null=True)

    class Meta:
        ref_name = "MeetingSummary"


class NeedSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField(source="category.code")

    class Meta:
        ref_name = "NeedSummary"


class ContactsSerializer(serializers.Serializer):
    buyer_emails = serializers.ListField(child=serializers.EmailField())
    producer_emails = serializers.ListField(child=serializers.EmailField())
    producer_phone = serializers.CharField()
    producer_email = serializers.CharField()

    class Meta:
        ref_name = "MeetingRequestContacts"


class MeetingRequestSerializer(serializers.Serializer):
    """A request as one of its sides sees it. `status` is the status as people see it (a
    pending request past `expires_at` is expired). `box`, `may_answer` and `may_cancel` are
    about the caller."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices, source="current_status")
    initiated_by = serializers.ChoiceField(choices=Side.choices)
    box = serializers.SerializerMethodField()
    may_answer = serializers.SerializerMethodField()
    may_cancel = serializers.SerializerMethodField()
    forum = serializers.SerializerMethodField()
    buyer = serializers.SerializerMethodField()
    producer = serializers.SerializerMethodField()
    product = serializers.SerializerMethodField()
    need = NeedSummarySerializer(allow_null=True)
    message = serializers.CharField()
    response_message = serializers.CharField()
    expires_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    meeting = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField(
        help_text="How the two sides reach each other: once the request is accepted, and "
        "only when one request is asked for (null in lists)."
    )

    class Meta:
        ref_name = "MeetingRequest"

    @extend_schema_field(ContactsSerializer(allow_null=True))
    def get_contacts(self, meeting_request: MeetingRequest) -> dict | None:
        if not self.context.get("with_contacts"):
            return None
        return selectors.meeting_request_contacts(meeting_request=meeting_request)

    def _box(self, meeting_request: MeetingRequest) -> str | None:
        """From the context: the ids of the caller's incoming and outgoing requests."""
        if meeting_request.pk in self.context.get("incoming_ids", ()):
            return "incoming"
        if meeting_request.pk in self.context.get("outgoing_ids", ()):
            return "outgoing"
        return None

    @extend_schema_field(
        serializers.ChoiceField(choices=[(box, box) for box in BOXES], allow_null=True)
    )
    def get_box(self, meeting_request: MeetingRequest) -> str | None:
        return self._box(meeting_request)

    def get_may_answer(self, meeting_request: MeetingRequest) -> bool:
        pending = meeting_request.current_status == Status.PENDING
        return pending and self._box(meeting_request) == "incoming"

    def get_may_cancel(self, meeting_request: MeetingRequest) -> bool:
        pending = meeting_request.current_status == Status.PENDING
        return pending and self._box(meeting_request) == "outgoing"

    @extend_schema_field(_NamedSerializer(allow_null=True))
    def get_forum(self, meeting_request: MeetingRequest) -> dict | None:
        forum = meeting_request.forum
        return {"id": forum.pk, "name": forum.name} if forum is not None else None

    @extend_schema_field(_NamedSerializer())
    def get_buyer(self, meeting_request: MeetingRequest) -> dict:
        return {"id": meeting_request.buyer_id, "name": meeting_request.buyer.name}

    @extend_schema_field(_NamedSerializer())
    def get_producer(self, meeting_request: MeetingRequest) -> dict:
        return {"id": meeting_request.producer_id, "name": meeting_request.producer.name}

    @extend_schema_field(_NamedSerializer(allow_null=True))
    def get_product(self, meeting_request: MeetingRequest) -> dict | None:
        product = meeting_request.product
        return {"id": product.pk, "name": product.display_name} if product is not None else None

    @extend_schema_field(MeetingSummarySerializer(allow_null=True))
    def get_meeting(self, meeting_request: MeetingRequest) -> dict | None:
        meeting = getattr(meeting_request, "meeting", None)
        return MeetingSummarySerializer(meeting).data if meeting is not None else None


def _detail_context(request: Request, meeting_request: MeetingRequest) -> dict:
    """Which box the request is in for the caller, by the selectors' own rules."""
    user = request.user
    incoming = selectors.meeting_requests_incoming(user=user).filter(pk=meeting_request.pk)
    outgoing = selectors.meeting_requests_outgoing(user=user).filter(pk=meeting_request.pk)
    return {
        "request": request,
        "with_contacts": True,
        "incoming_ids": set(incoming.values_list("pk", flat=True)),
        "outgoing_ids": set(outgoing.values_list("pk", flat=True)),
    }


def _detail_response(request: Request, pk: int, *, status_code: int = 200) -> Response:
    meeting_request = selectors.meeting_request_for_user_or_404(user=request.user, pk=pk)
    data = MeetingRequestSerializer(
        meeting_request, context=_detail_context(request, meeting_request)
    ).data
    return Response(data, status=status_code)


# --- List and create ------------------------------------------------------------------------


class MeetingRequestListApi(APIView):
    """GET: the caller's requests, newest first, incoming and outgoing (or one `box`).
    POST: a buyer asks the producer of an approved `product` to meet; a producer offers to
    meet the buyer of an open sourcing `need` (optionally naming one of their products)."""

    permission_classes = [IsAuthenticated]
    pagination_class = ApiPagination

    class FilterSerializer(serializers.Serializer):
        box = serializers.ChoiceField(choices=BOXES, required=False)
        status = serializers.ChoiceField(choices=Status.choices, required=False)

        class Meta:
            ref_name = "MeetingRequestFilter"

    class InputSerializer(serializers.Serializer):
        product = serializers.PrimaryKeyRelatedField(
            queryset=Product.objects.approved(),
            required=False,
            allow_null=True,
            help_text="An approved listing: required when a buyer asks; optional (one of "
            "your own) when a producer offers.",
        )
        need = serializers.PrimaryKeyRelatedField(
            queryset=SourcingNeed.objects.none(),
            required=False,
            allow_null=True,
            help_text="A sourcing need: required when a producer offers (an open need in "
            "the categories of their approved listings); optional (one of your own) when a "
            "buyer asks.",
        )
        forum = serializers.PrimaryKeyRelatedField(
            queryset=Forum.objects.all(),
            required=False,
            allow_null=True,
            help_text="A forum taking requests now; leave out to meet any time.",
        )
        message = serializers.CharField(
            required=False, allow_blank=True, max_length=services.MESSAGE_MAX_LENGTH
        )

        class Meta:
            ref_name = "MeetingRequestInput"

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # Needs a user may name: their own (buyers) or the ones open to them (producers).
            request = self.context.get("request")
            if request is not None:
                user = request.user
                self.fields["need"].queryset = (
                    needs_open_for_producer(user=user)
                    if user.is_producer
                    else needs_editable_by(user=user)
                )

    OutputSerializer = MeetingRequestSerializer

    def get_permissions(self):
        # Anyone logged in lists their requests; only buyers and producers ask to meet.
        if self.request.method == "POST":
            return [IsAuthenticated(), IsBuyerOrProducerUser()]
        return super().get_permissions()

    @extend_schema(
        operation_id="meeting_requests_list",
        parameters=[
            OpenApiParameter("box", str, enum=list(BOXES), description="Only one box."),
            OpenApiParameter(
                "status",
                str,
                enum=list(Status.values),
                description="The status as people see it (a lapsed pending request is expired).",
            ),
        ],
        responses={200: OutputSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        box = filters.validated_data.get("box")
        status_value = filters.validated_data.get("status")
        user = request.user
        incoming = selectors.meeting_requests_incoming(user=user, status=status_value)
        outgoing = selectors.meeting_requests_outgoing(user=user, status=status_value)
        requests = {"incoming": incoming, "outgoing": outgoing}.get(box) or incoming | outgoing
        paginator = ApiPagination()
        page = paginator.paginate_queryset(
            requests.select_related("meeting__slot"), request, view=self
        )
        ids = [meeting_request.pk for meeting_request in page]
        context = {
            "request": request,
            "incoming_ids": set(incoming.filter(pk__in=ids).values_list("pk", flat=True)),
            "outgoing_ids": set(outgoing.filter(pk__in=ids).values_list("pk", flat=True)),
        }
        data = self.OutputSerializer(page, many=True, context=context).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="meeting_requests_create",
        request=InputSerializer,
        responses={
            201: MeetingRequestSerializer,
            **error_responses(400, 401, 403, 409),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        product, need = data.pop("product", None), data.pop("need", None)
        user = request.user
        if user.is_buyer:
            buyer = buyer_for_user(user=user)
            if buyer is None:
                raise PermissionDenied(_("First tell us about your organisation on the website."))
            producer = product.producer if product is not None else None
            if producer is None:
                raise serializers.ValidationError(
                    {"product": [_("Choose the product you would like to talk about.")]}
                )
            side = Side.BUYER
        else:
            producer = producer_for_user(user=user)
            if producer is None:
                raise PermissionDenied(_("First create your business profile on the website."))
            if need is None:
                raise serializers.ValidationError(
                    {"need": [_("Choose the sourcing need you are offering to meet about.")]}
                )
            buyer = need.buyer
            side = Side.PRODUCER
        meeting_request = services.meeting_request_create(
            user=user,
            buyer=buyer,
            producer=producer,
            product=product,
            need=need,
            initiated_by=side,
            **data,
        )
        return _detail_response(request, meeting_request.pk, status_code=status.HTTP_201_CREATED)


# --- One request ----------------------------------------------------------------------------


class MeetingRequestDetailApi(APIView):
    """One request the caller may see: a member of either side, or an organiser of its
    forum."""

    permission_classes = [IsAuthenticated]
    OutputSerializer = MeetingRequestSerializer

    @extend_schema(
        operation_id="meeting_requests_retrieve",
        responses={200: OutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail_response(request, pk)


class _AnswerApi(APIView):
    """Shared by accept, decline and cancel: find the request by the action's selector, then
    call the action's service with the optional message."""

    permission_classes = [IsAuthenticated]
    OutputSerializer = MeetingRequestSerializer
    wrong_side = ""

    class InputSerializer(serializers.Serializer):
        message = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=services.MESSAGE_MAX_LENGTH,
            help_text="Optional: the other side sees it with your answer.",
        )

        class Meta:
            ref_name = "MeetingRequestAnswerInput"

    @staticmethod
    def find(*, user, pk: int) -> MeetingRequest:
        raise NotImplementedError

    @staticmethod
    def act(**kwargs) -> MeetingRequest:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        try:
            meeting_request = self.find(user=request.user, pk=pk)
        except Http404:
            # Seen but on the wrong side: 403. Not seen at all: 404 (raised by the selector).
            selectors.meeting_request_for_user_or_404(user=request.user, pk=pk)
            raise PermissionDenied(self.wrong_side) from None
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.act(meeting_request=meeting_request, user=request.user, **serializer.validated_data)
        return _detail_response(request, pk)


def _answer_schema(operation_id: str):
    return extend_schema(
        operation_id=operation_id,
        request=_AnswerApi.InputSerializer,
        responses={
            200: MeetingRequestSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )


class MeetingRequestAcceptApi(_AnswerApi):
    """The side the request was sent to agrees to meet (a forum request becomes a meeting)."""

    wrong_side = gettext_lazy("Only the side this request was sent to can accept it.")
    find = staticmethod(selectors.meeting_request_to_answer_or_404)
    act = staticmethod(services.meeting_request_accept)

    @_answer_schema("meeting_requests_accept")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class MeetingRequestDeclineApi(_AnswerApi):
    """The side the request was sent to says no."""

    wrong_side = gettext_lazy("Only the side this request was sent to can decline it.")
    find = staticmethod(selectors.meeting_request_to_answer_or_404)
    act = staticmethod(services.meeting_request_decline)

    @_answer_schema("meeting_requests_decline")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class MeetingRequestCancelApi(_AnswerApi):
    """The side that sent a pending request takes it back."""

    wrong_side = gettext_lazy("Only the side that sent this request can cancel it.")
    find = staticmethod(selectors.meeting_request_to_cancel_or_404)
    act = staticmethod(services.meeting_request_cancel)

    @_answer_schema("meeting_requests_cancel")
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)
