"""The API for a buyer's sourcing needs: list, create, read, change, close and reopen.

The same rules as the pages: a need is reached only through `needs_editable_by` (the buyer's
members), so anyone else gets 404; the role comes first, so a producer or an organiser gets
403. Changes go through `buyers.services`, whose ValidationErrors the one exception handler
(`forum_market.api`) turns into 400s on the fields they name.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from buyers.forms import categories_as_tree, provinces_by_country
from buyers.models import Buyer, SourcingNeed
from buyers.selectors import buyer_for_user, needs_editable_by, needs_for_buyer
from buyers.services import (
    sourcing_need_close,
    sourcing_need_create,
    sourcing_need_reopen,
    sourcing_need_update,
)
from forum_market.api import ApiPagination, IsBuyerUser, error_responses, paginated_response
from producers.api import (
    CategorySerializer,
    CertificationSerializer,
    ProvinceSerializer,
    UnitSerializer,
)
from taxonomy.models import Certification, Currency, Unit


class SourcingNeedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    buyer = serializers.SerializerMethodField()
    category = CategorySerializer()
    provinces = ProvinceSerializer(many=True, source="provinces.all")
    required_certifications = CertificationSerializer(
        many=True, source="required_certifications.all"
    )
    preferred_certifications = CertificationSerializer(
        many=True, source="preferred_certifications.all"
    )
    min_stars = serializers.IntegerField()
    volume = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit = UnitSerializer()
    volume_base = serializers.DecimalField(
        max_digits=20, decimal_places=6, help_text="The monthly volume in `base_unit`."
    )
    base_unit = serializers.SerializerMethodField(help_text="kg, L or piece.")
    order_size = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    target_price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.ChoiceField(choices=Currency.choices)
    deadline = serializers.DateField(allow_null=True)
    deadline_passed = serializers.BooleanField()
    notes = serializers.CharField()
    status = serializers.ChoiceField(choices=SourcingNeed.Status.choices)
    closed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "SourcingNeed"

    def get_buyer(self, need: SourcingNeed) -> int:
        return need.buyer_id

    def get_base_unit(self, need: SourcingNeed) -> str:
        return Unit.BASE_UNITS[need.unit.dimension]


class SourcingNeedInputSerializer(serializers.Serializer):
    """What a buyer types for a need; categories, provinces, certifications and units by code."""

    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=categories_as_tree(),
        help_text="A subgroup's code, or a group's code to accept any of its subgroups.",
    )
    volume = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    order_size = serializers.DecimalField(
        max_digits=14, decimal_places=3, required=False, allow_null=True
    )
    provinces = serializers.SlugRelatedField(
        slug_field="code",
        queryset=provinces_by_country(),
        many=True,
        required=False,
        help_text="Province codes; empty for anywhere.",
    )
    required_certifications = serializers.SlugRelatedField(
        slug_field="code", queryset=Certification.objects.all(), many=True, required=False
    )
    preferred_certifications = serializers.SlugRelatedField(
        slug_field="code", queryset=Certification.objects.all(), many=True, required=False
    )
    min_stars = serializers.ChoiceField(choices=SourcingNeed.Stars.choices, required=False)
    target_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    deadline = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


def _with_need_facts(needs: QuerySet[SourcingNeed]) -> QuerySet[SourcingNeed]:
    """Everything SourcingNeedSerializer reads, in a fixed number of queries."""
    return needs.select_related("category__parent", "unit").prefetch_related(
        "provinces", "required_certifications", "preferred_certifications"
    )


def _buyer_for(request: Request) -> Buyer:
    buyer = buyer_for_user(user=request.user)
    if buyer is None:
        raise PermissionDenied(_("First tell us about your organisation on the website."))
    return buyer


def _need_for_member_or_404(request: Request, pk: int) -> SourcingNeed:
    return get_object_or_404(_with_need_facts(needs_editable_by(user=request.user)), pk=pk)


class NeedListApi(APIView):
    """The sourcing needs of the caller's organisation, open ones first."""

    permission_classes = [IsAuthenticated, IsBuyerUser]
    pagination_class = ApiPagination

    class InputSerializer(SourcingNeedInputSerializer):
        class Meta:
            ref_name = "SourcingNeedInput"

    OutputSerializer = SourcingNeedSerializer

    @extend_schema(
        operation_id="buyer_needs_list",
        responses={200: OutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        needs = needs_for_buyer(buyer=_buyer_for(request))
        return paginated_response(
            request=request,
            view=self,
            queryset=_with_need_facts(needs),
            serializer_class=self.OutputSerializer,
        )

    @extend_schema(
        operation_id="buyer_needs_create",
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        buyer = _buyer_for(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        need = sourcing_need_create(buyer=buyer, **serializer.validated_data)
        need = _need_for_member_or_404(request, need.pk)
        return Response(self.OutputSerializer(need).data, status=status.HTTP_201_CREATED)


class NeedDetailApi(APIView):
    """One need of the caller's organisation; PATCH changes only the fields sent."""

    permission_classes = [IsAuthenticated, IsBuyerUser]

    class InputSerializer(SourcingNeedInputSerializer):
        class Meta:
            ref_name = "SourcingNeedPatch"

        def validate(self, attrs):
            if not attrs:
                raise serializers.ValidationError(_("Send at least one field to change."))
            return attrs

    OutputSerializer = SourcingNeedSerializer

    @extend_schema(
        operation_id="buyer_needs_retrieve",
        responses={200: OutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        need = _need_for_member_or_404(request, pk)
        return Response(self.OutputSerializer(need).data)

    @extend_schema(
        operation_id="buyer_needs_partial_update",
        request=InputSerializer(partial=True),
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        need = _need_for_member_or_404(request, pk)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        sourcing_need_update(need=need, data=serializer.validated_data)
        return Response(self.OutputSerializer(_need_for_member_or_404(request, pk)).data)


class NeedCloseApi(APIView):
    """Stop showing the need to producers (closing a closed need changes nothing)."""

    permission_classes = [IsAuthenticated, IsBuyerUser]
    OutputSerializer = SourcingNeedSerializer

    @extend_schema(
        operation_id="buyer_needs_close",
        request=None,
        responses={200: OutputSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        need = _need_for_member_or_404(request, pk)
        sourcing_need_close(need=need)
        return Response(self.OutputSerializer(_need_for_member_or_404(request, pk)).data)


class NeedReopenApi(APIView):
    """Show a closed need again (reopening an open need changes nothing). A need whose
    deadline has passed stays hidden from producers until its deadline changes:
    `deadline_passed` says so."""

    permission_classes = [IsAuthenticated, IsBuyerUser]
    OutputSerializer = SourcingNeedSerializer

    @extend_schema(
        operation_id="buyer_needs_reopen",
        request=None,
        responses={200: OutputSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        need = _need_for_member_or_404(request, pk)
        sourcing_need_reopen(need=need)
        return Response(self.OutputSerializer(_need_for_member_or_404(request, pk)).data)
