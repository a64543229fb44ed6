"""The API for listings: the public catalogue, a producer's own listings and the organisers'
review queue.

Thin views, as on the pages: an access helper from `producers.permissions` or a selector
fetches the object (or 404s), a nested InputSerializer checks the input, one service does the
work, and `forum_market.api.api_exception_handler` turns a ListingError into a response.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forum_market.api import (
    ApiPagination,
    IsOrganiser,
    IsProducerUser,
    error_responses,
    paginated_response,
)
from producers import selectors, services
from producers.filters import CatalogueFilterSet
from producers.models import (
    ContentLanguage,
    HeldCertification,
    Producer,
    Product,
    ProductPhoto,
    months_to_mask,
)
from producers.permissions import product_for_member_or_404, product_for_review_or_404
from taxonomy.models import Category, Currency, Unit

# --- Shared pieces of output ----------------------------------------------------------------


class UnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    symbol = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "Unit"


class ProvinceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "Province"


class CategoryGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "CategoryGroup"


class CategorySerializer(CategoryGroupSerializer):
    """A subgroup with its group, or a group (whose `group` is null)."""

    group = CategoryGroupSerializer(source="parent", allow_null=True)

    class Meta:
        ref_name = "Category"


class CertificationSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()

    class Meta:
        ref_name = "Certification"


class HeldCertificationSerializer(serializers.Serializer):
    code = serializers.CharField(source="certification.code")
    name = serializers.CharField(source="certification.name")
    kind = serializers.CharField(source="certification.kind")
    expires_on = serializers.DateField()
    verified = serializers.SerializerMethodField()

    class Meta:
        ref_name = "HeldCertification"

    def get_verified(self, held: HeldCertification) -> bool:
        return held.verified_at is not None


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thumbnail = serializers.SerializerMethodField()
    large = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Photo"

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail(self, photo) -> str:
        return self._absolute(photo.thumbnail.url)

    @extend_schema_field(OpenApiTypes.URI)
    def get_large(self, photo) -> str:
        return self._absolute(photo.large.url)


class ProducerSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    province = ProvinceSerializer()

    class Meta:
        ref_name = "ProducerSummary"


class ListingSerializer(serializers.Serializer):
    """A listing's content, as buyers see it."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    description = serializers.CharField()
    description_en = serializers.CharField()
    content_language = serializers.ChoiceField(
        choices=ContentLanguage.choices, help_text="The language of `name` and `description`."
    )
    display_name = serializers.CharField(
        source="display.name",
        help_text="The name for a reader of the request's language (Accept-Language): the "
        "original when that is the listing's language, else the English name if there is "
        "one, else the original.",
    )
    display_name_language = serializers.CharField(
        source="display.name_language",
        help_text="The language `display_name` is written in (a `content_language` code).",
    )
    display_description = serializers.CharField(
        source="display.description", help_text="The description, chosen as `display_name` is."
    )
    display_description_language = serializers.CharField(
        source="display.description_language",
        help_text="The language `display_description` is written in (a `content_language` code).",
    )
    category = CategorySerializer()
    producer = ProducerSummarySerializer()
    unit_of_sale = UnitSerializer()
    capacity = serializers.DecimalField(max_digits=14, decimal_places=3)
    capacity_unit = UnitSerializer()
    capacity_base = serializers.DecimalField(
        max_digits=20, decimal_places=6, help_text="The monthly capacity in `base_unit`."
    )
    base_unit = serializers.SerializerMethodField(help_text="kg, L or piece.")
    min_order = serializers.DecimalField(
        max_digits=14, decimal_places=3, allow_null=True, help_text="In units of sale."
    )
    price_min = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    price_max = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.ChoiceField(choices=Currency.choices)
    stars = serializers.IntegerField()
    months = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=12))
    photos = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Listing"

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, product: Product) -> list:
        return PhotoSerializer(_photos(product), many=True, context=self.context).data

    def get_base_unit(self, product: Product) -> str:
        return Unit.BASE_UNITS[product.capacity_unit.dimension]


class CatalogueListingSerializer(ListingSerializer):
    certifications = serializers.SerializerMethodField(
        help_text="Certifications an organiser verified that have not expired."
    )

    class Meta:
        ref_name = "CatalogueListing"

    @extend_schema_field(HeldCertificationSerializer(many=True))
    def get_certifications(self, product: Product) -> list:
        held = selectors.certifications_verified(product=product)
        return HeldCertificationSerializer(held, many=True).data


class RevisionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    # A plain string here: the listing's `status` enum is documented once, on OwnListing.
    status = serializers.CharField(help_text="`draft`, `submitted` or `rejected`.")

    class Meta:
        ref_name = "RevisionSummary"


class ChangeSerializer(serializers.Serializer):
    label = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()

    class Meta:
        ref_name = "ListingChange"


class OwnListingSerializer(ListingSerializer):
    """A listing as its producer (or a reviewing organiser) sees it: any state, every
    certification claimed, and the revision in progress."""

    status = serializers.ChoiceField(choices=Product.Status.choices)
    rejection_reason = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    revision_of = serializers.IntegerField(
        source="revision_of_id",
        allow_null=True,
        help_text="For a revision: the public listing it will replace once approved.",
    )
    pending_revision = serializers.SerializerMethodField(
        help_text="For an approved listing: the changes in progress, if any."
    )
    certifications = serializers.SerializerMethodField(
        help_text="Every certification claimed; only verified, unexpired ones count."
    )
    changes = serializers.SerializerMethodField(
        help_text="For a revision: what approving it would change on the public listing."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        ref_name = "OwnListing"

    @extend_schema_field(HeldCertificationSerializer(many=True))
    def get_certifications(self, product: Product) -> list:
        return HeldCertificationSerializer(product.certifications.all(), many=True).data

    @extend_schema_field(ChangeSerializer(many=True))
    def get_changes(self, product: Product) -> list:
        if product.revision_of_id is None:
            return []
        changes = selectors.product_revision_changes(revision=product)
        return ChangeSerializer(changes, many=True).data

    @extend_schema_field(RevisionSummarySerializer(allow_null=True))
    def get_pending_revision(self, product: Product) -> dict | None:
        try:
            revision = product.pending_revision
        except Product.pending_revision.RelatedObjectDoesNotExist:
            return None
        return RevisionSummarySerializer(revision).data


def _with_listing_facts(products: QuerySet[Product]) -> QuerySet[Product]:
    """Everything the listing serialisers read, in a fixed number of queries.

    All the photos go to an attribute of their own, so this prefetch never clashes with the
    one a selector may already have made (cards prefetch only the first photo).
    Certifications are prefetched where `selectors.certifications_verified` reads them.
    """
    return products.select_related(
        "producer__province", "category__parent", "unit_of_sale", "capacity_unit"
    ).prefetch_related(
        Prefetch(
            "photos", queryset=ProductPhoto.objects.order_by("position", "pk"), to_attr="api_photos"
        ),
        Prefetch(
            "certifications",
            queryset=HeldCertification.objects.select_related("certification"),
        ),
    )


def _photos(product: Product) -> list[ProductPhoto]:
    photos = getattr(product, "api_photos", None)
    # Otherwise the selector's own "photos" prefetch, if it made one (ordered by position).
    return photos if photos is not None else list(product.photos.all())


# --- Input ----------------------------------------------------------------------------------


class ListingInputSerializer(serializers.Serializer):
    """What a producer types for a listing; categories and units by their codes."""

    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(parent__isnull=False),
        help_text="A subgroup's code.",
    )
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    content_language = serializers.ChoiceField(
        choices=ContentLanguage.choices,
        required=False,
        help_text="The language of `name` and `description`; on creation, that of the "
        "business's country when left out.",
    )
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    unit_of_sale = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    capacity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=0)
    capacity_unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    min_order = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=0, required=False, allow_null=True
    )
    price_min = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    price_max = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    stars = serializers.ChoiceField(choices=Product.Stars.choices, required=False)
    months = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=12),
        required=False,
        help_text="Months available, 1 to 12; all year when left out on creation.",
    )

    def service_data(self) -> dict:
        """The validated values under the names the listing services take."""
        data = dict(self.validated_data)
        if "months" in data:
            data["months_mask"] = months_to_mask(data.pop("months"))
        return data


def _producer_for(request: Request) -> Producer:
    """The business a producer user acts for; without one there is nothing to list yet."""
    producer = selectors.producer_for_user(user=request.user)
    if producer is None:
        raise PermissionDenied(_("First create your business profile on the website."))
    return producer


# --- Catalogue ------------------------------------------------------------------------------


def _filter_parameters(filterset_class: type[FilterSet]) -> list[OpenApiParameter]:
    """Query parameters for the schema, one per filter of the FilterSet."""
    parameters = []
    for name, declared in filterset_class.base_filters.items():
        extra = declared.extra
        description = str(extra.get("help_text") or declared.label or name)
        kind, enum = OpenApiTypes.STR, None
        if isinstance(declared, django_filters.NumberFilter):
            kind = OpenApiTypes.DECIMAL
        elif "choices" in extra:
            enum = [value for value, _label in extra.get("choices", []) if value != ""]
            if extra.get("coerce") is int:
                kind = OpenApiTypes.INT
        elif "taxonomy" in extra:
            description = f"{description} ({extra['taxonomy']} code)"
        parameters.append(OpenApiParameter(name, kind, enum=enum, description=description))
    return parameters


class CataloguePagination(ApiPagination):
    """ApiPagination reading the page and the count in one query, as the catalogue page does
    (see selectors.DeferredJoinPaginator)."""

    django_paginator_class = selectors.DeferredJoinPaginator


class CatalogueListApi(GenericAPIView):
    """Approved listings, filtered exactly as on the catalogue page."""

    permission_classes = [AllowAny]
    pagination_class = CataloguePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = CatalogueFilterSet

    OutputSerializer = CatalogueListingSerializer
    serializer_class = OutputSerializer

    def get_queryset(self) -> QuerySet[Product]:
        # The FilterSet narrows, searches and orders these through selectors.products_search,
        # exactly as for the catalogue page.
        return _with_listing_facts(Product.objects.approved())

    @extend_schema(
        operation_id="catalogue_list",
        # Described from the FilterSet itself (below), so the docs follow its parameters.
        filters=False,
        parameters=_filter_parameters(CatalogueFilterSet),
        responses={200: OutputSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        products = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(products)
        data = self.OutputSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)


class CatalogueDetailApi(APIView):
    """One approved listing; anything else is not found, whoever asks."""

    permission_classes = [AllowAny]
    OutputSerializer = CatalogueListingSerializer

    @extend_schema(
        operation_id="catalogue_retrieve",
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        product = get_object_or_404(_with_listing_facts(Product.objects.approved()), pk=pk)
        return Response(self.OutputSerializer(product, context={"request": request}).data)


# --- A producer's own listings --------------------------------------------------------------


class ProducerProductListApi(APIView):
    """The listings of the caller's business (originals; each shows its revision, if any)."""

    permission_classes = [IsAuthenticated, IsProducerUser]
    pagination_class = ApiPagination

    class InputSerializer(ListingInputSerializer):
        class Meta:
            ref_name = "ListingInput"

    OutputSerializer = OwnListingSerializer

    @extend_schema(
        operation_id="producer_products_list",
        responses={200: OutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        products = selectors.products_for_producer(producer=_producer_for(request))
        return paginated_response(
            request=request,
            view=self,
            queryset=_with_listing_facts(products),
            serializer_class=self.OutputSerializer,
        )

    @extend_schema(
        operation_id="producer_products_create",
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        producer = _producer_for(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(producer=producer, **serializer.service_data())
        return Response(
            self.OutputSerializer(product, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ProducerProductDetailApi(APIView):
    """One of the caller's listings or revisions. Changing an approved listing changes its
    revision (created on the first change), which is returned: the public listing stays as
    it is until an organiser approves the revision."""

    permission_classes = [IsAuthenticated, IsProducerUser]

    class InputSerializer(ListingInputSerializer):
        class Meta:
            ref_name = "ListingPatch"

        def validate(self, attrs):
            if not attrs:
                raise serializers.ValidationError(_("Send at least one field to change."))
            return attrs

    OutputSerializer = OwnListingSerializer

    @extend_schema(
        operation_id="producer_products_retrieve",
        responses={200: OutputSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        product = product_for_member_or_404(request.user, pk)
        return Response(self.OutputSerializer(product, context={"request": request}).data)

    @extend_schema(
        operation_id="producer_products_partial_update",
        request=InputSerializer(partial=True),
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        product = product_for_member_or_404(request.user, pk)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changed = services.product_update(product=product, data=serializer.service_data())
        return Response(self.OutputSerializer(changed, context={"request": request}).data)

    @extend_schema(
        operation_id="producer_products_destroy",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        product = product_for_member_or_404(request.user, pk)
        services.product_delete(product=product)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProducerProductSubmitApi(APIView):
    """Send a draft or rejected listing (or revision) to the organisers' review."""

    permission_classes = [IsAuthenticated, IsProducerUser]
    OutputSerializer = OwnListingSerializer

    @extend_schema(
        operation_id="producer_products_submit",
        request=None,
        responses={200: OutputSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        product = product_for_member_or_404(request.user, pk)
        submitted = services.product_submit(product=product)
        return Response(self.OutputSerializer(submitted, context={"request": request}).data)


# --- Review ---------------------------------------------------------------------------------


class ReviewListApi(APIView):
    """Listings and revisions waiting for review, oldest submission first."""

    permission_classes = [IsAuthenticated, IsOrganiser]
    pagination_class = ApiPagination
    OutputSerializer = OwnListingSerializer

    @extend_schema(
        operation_id="review_list",
        responses={200: OutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        products = selectors.products_waiting_for_review().select_related("pending_revision")
        return paginated_response(
            request=request,
            view=self,
            queryset=products,
            serializer_class=self.OutputSerializer,
        )


class ReviewApproveApi(APIView):
    """Approve a submitted listing; for a revision, its content replaces the public one and
    the public listing is returned."""

    permission_classes = [IsAuthenticated, IsOrganiser]
    OutputSerializer = OwnListingSerializer

    @extend_schema(
        operation_id="review_approve",
        request=None,
        responses={200: OutputSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        product = product_for_review_or_404(request.user, pk)
        public = services.product_approve(product=product, reviewer=request.user)
        return Response(self.OutputSerializer(public, context={"request": request}).data)


class ReviewRejectApi(APIView):
    """Send a submitted listing back to its producer with the reason."""

    permission_classes = [IsAuthenticated, IsOrganiser]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

        class Meta:
            ref_name = "ReviewRejectInput"

    OutputSerializer = OwnListingSerializer

    @extend_schema(
        operation_id="review_reject",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        product = product_for_review_or_404(request.user, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rejected = services.product_reject(
            product=product, reviewer=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(self.OutputSerializer(rejected, context={"request": request}).data)
