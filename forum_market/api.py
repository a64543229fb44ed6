"""Plumbing shared by every endpoint under /api/v1/: the one exception handler, pagination,
role permissions, the token endpoint and the JSON 404 for unknown API paths.

Every error leaves the API in one shape, whatever raised it:

    {"detail": "<one sentence for people>",
     "code": "<machine-readable reason>",
     "errors": {"<field>": ["<message>", ...], "non_field_errors": ["<message>", ...]}}

`errors` is empty when the error is not about the input (401, 403, 404, 405). Services raise
their own errors (ListingError, Django's ValidationError, MeetingRequestError) and
`api_exception_handler` below is the only place that turns them into HTTP statuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, InvalidPage
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView, set_rollback

from accounts.models import User
from forums.services import MeetingRequestError
from producers.services import ListingError

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY  # "non_field_errors"

# How each MeetingRequestError code answers: a request that is no longer pending, or a forum,
# pair or cap that does not allow another one, is a conflict with the current state.
MEETING_REQUEST_STATUSES = {
    "not_found": status.HTTP_404_NOT_FOUND,
    "no_approved_listing": status.HTTP_403_FORBIDDEN,
    "forum_closed": status.HTTP_409_CONFLICT,
    "duplicate": status.HTTP_409_CONFLICT,
    "cap_reached": status.HTTP_409_CONFLICT,
    "expired": status.HTTP_409_CONFLICT,
    "cancelled": status.HTTP_409_CONFLICT,
    "already_answered": status.HTTP_409_CONFLICT,
}


# --- Errors ---------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error response (documentation only)."""

    detail = serializers.CharField(help_text="One sentence for people.")
    code = serializers.CharField(help_text="A machine-readable reason, e.g. `invalid`.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=f"Messages per input field; `{NON_FIELD}` for the request as a whole.",
    )

    class Meta:
        ref_name = "Error"


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses an endpoint can answer."""
    described = {  # schema text, built at import: not translated
        400: "The input is not valid; see `errors`.",
        401: "Log in (session) or send `Authorization: Token <key>`.",
        403: "Your role does not allow this.",
        404: "Not found, or not yours to see.",
        409: "The object's current state does not allow this.",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=described[code]) for code in codes}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error details as {"field" or "field.sub" or "field.0.sub": [messages]}."""
    flat: dict[str, list[str]] = {}

    def add(key: str, messages: Iterable[Any]) -> None:
        flat.setdefault(key or NON_FIELD, []).extend(str(message) for message in messages)

    if isinstance(detail, dict):
        for key, value in detail.items():
            key = NON_FIELD if key == NON_FIELD_ERRORS else str(key)
            for name, messages in _flatten(value, f"{prefix}.{key}" if prefix else key).items():
                add(name, messages)
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in detail):
            add(prefix, detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    for name, messages in _flatten(item, f"{prefix}.{index}").items():
                        add(name, messages)
    else:
        add(prefix, [detail])
    return flat


def _summary(errors: dict[str, list[str]]) -> str:
    """The first message, naming its field, and how many more there are."""
    field, messages = next(iter(errors.items()))
    first = messages[0] if field == NON_FIELD else f"{field}: {messages[0]}"
    more = sum(len(messages) for messages in errors.values()) - 1
    if more:
        first += " " + _("(and %(count)s more; see errors)") % {"count": more}
    return first


def _error(
    status_code: int,
    *,
    code: str,
    detail: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    errors = errors or {}
    if detail is None:
        detail = _summary(errors) if errors else _("Invalid input.")
    set_rollback()
    return Response(
        {"detail": str(detail), "code": code, "errors": errors},
        status=status_code,
        headers=headers,
    )


def _django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            NON_FIELD if field == NON_FIELD_ERRORS else field: list(messages)
            for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: list(exc.messages)}


def _service_error(exc: ListingError | MeetingRequestError, status_code: int) -> Response:
    """A service's own error, on the field it names (or on the request as a whole)."""
    message = str(exc.message)
    codes = {
        status.HTTP_400_BAD_REQUEST: "invalid",
        status.HTTP_403_FORBIDDEN: "permission_denied",
        status.HTTP_404_NOT_FOUND: "not_found",
        status.HTTP_409_CONFLICT: "conflict",
    }
    if status_code == status.HTTP_404_NOT_FOUND:
        # Like the pages: the caller learns nothing, not even that it exists.
        return _error(status_code, code="not_found", detail=str(exceptions.NotFound.default_detail))
    errors = {exc.field or NON_FIELD: [message]}
    code = getattr(exc, "code", None) if status_code != status.HTTP_400_BAD_REQUEST else None
    return _error(status_code, code=code or codes[status_code], detail=message, errors=errors)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every known error becomes the one JSON shape.

    Unknown exceptions return None, so Django's 500 handling (and its logging) stays in charge.
    """
    if isinstance(exc, ListingError):
        # With a field it is about what was typed; without, about the listing's state.
        return _service_error(
            exc, status.HTTP_400_BAD_REQUEST if exc.field else status.HTTP_409_CONFLICT
        )
    if isinstance(exc, MeetingRequestError):
        return _service_error(
            exc, MEETING_REQUEST_STATUSES.get(exc.code, status.HTTP_400_BAD_REQUEST)
        )
    if isinstance(exc, DjangoValidationError):
        return _error(
            status.HTTP_400_BAD_REQUEST, code="invalid", errors=_django_validation_errors(exc)
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)

    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail) or {NON_FIELD: [_("Invalid input.")]}
        return _error(status.HTTP_400_BAD_REQUEST, code="invalid", errors=errors)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF answers 403 when the first authentication class (sessions) has no challenge to
        # offer; anonymous callers get 401 with the token challenge instead.
        return _error(
            status.HTTP_401_UNAUTHORIZED,
            code=exc.get_codes() if isinstance(exc.get_codes(), str) else "not_authenticated",
            detail=str(exc.detail),
            headers={"WWW-Authenticate": 'Token realm="api"'},
        )
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "wait", None):
            headers["Retry-After"] = f"{int(exc.wait)}"
        codes = exc.get_codes()
        detail = exc.detail
        if isinstance(detail, list | dict):
            errors = _flatten(detail)
            return _error(exc.status_code, code=exc.default_code, errors=errors, headers=headers)
        return _error(
            exc.status_code,
            code=codes if isinstance(codes, str) else exc.default_code,
            detail=str(detail),
            headers=headers,
        )
    return None


# --- Pagination -----------------------------------------------------------------------------


class ApiPagination(PageNumberPagination):
    """Page numbers with `page_size` (capped at 100). A page that does not exist, or a size
    that is not a positive whole number, is a 400 naming the parameter (never a 404)."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if size < 1:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("The page size must be a whole number from 1 to %(max)s.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return min(size, self.max_page_size)

    def paginate_queryset(self, queryset, request: Request, view=None) -> list:
        self.request = request
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size)
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            shown = str(page_number)[:20]
            # EmptyPage comes only after the number was read as an integer.
            beyond_the_end = (
                isinstance(exc, EmptyPage)
                and str(page_number).isdigit()
                and int(page_number) > paginator.num_pages
            )
            if beyond_the_end:
                message = _("There is no page %(page)s: the last page is %(last)s.") % {
                    "page": shown,
                    "last": paginator.num_pages,
                }
            else:
                message = _("“%(page)s” is not a page: use a whole number from 1 to %(last)s.") % {
                    "page": shown,
                    "last": paginator.num_pages,
                }
            raise exceptions.ValidationError({self.page_query_param: [message]}) from None
        return list(self.page)


def paginated_response(
    *,
    request: Request,
    view: APIView,
    queryset: QuerySet | Sequence,
    serializer_class: type[serializers.Serializer],
) -> Response:
    """One page of `queryset`, serialised, with count / next / previous links."""
    paginator = ApiPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    serializer = serializer_class(page, many=True, context={"request": request})
    return paginator.get_paginated_response(serializer.data)


# --- Roles ----------------------------------------------------------------------------------
# The same predicates the pages' decorators use (`producers.permissions`, `buyers.views`):
# the user model's role properties. Anonymous callers never reach them (401 comes first).


class _Role(BasePermission):
    roles: tuple[str, ...] = ()
    message = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return any(getattr(user, f"is_{role}", False) for role in self.roles)


class IsProducerUser(_Role):
    roles = ("producer",)
    message = gettext_lazy("This is for producers.")


class IsBuyerUser(_Role):
    roles = ("buyer",)
    message = gettext_lazy("This is for buyers.")


class IsBuyerOrProducerUser(_Role):
    roles = ("buyer", "producer")
    message = gettext_lazy("This is for buyers and producers.")


class IsOrganiser(_Role):
    roles = ("organiser",)
    message = gettext_lazy("Only organisers can review listings.")


# --- Tokens ---------------------------------------------------------------------------------


def auth_token_obtain(*, email: str, password: str, request=None) -> Token:
    """The API token of an active user whose email address is verified (created once).

    Checked like the login page: the password through Django's backends (which refuse
    inactive users), then allauth's verified address, as ACCOUNT_EMAIL_VERIFICATION is
    mandatory.
    """
    email = email.strip().lower()
    user: User | None = authenticate(request, email=email, password=password)
    if user is None or not user.is_active:
        raise DjangoValidationError(_("The email address or password is not right."))
    if not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists():
        raise DjangoValidationError(
            _(
                "Confirm your email address first: open the link we emailed you, then ask "
                "for a token again."
            )
        )
    token, _created = Token.objects.get_or_create(user=user)
    return token


class AuthTokenApi(APIView):
    """Exchange an email address and password for an API token."""

    authentication_classes: list = []
    permission_classes: list = []

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})

        class Meta:
            ref_name = "AuthTokenInput"

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(source="key")

        class Meta:
            ref_name = "AuthToken"

    @extend_schema(
        operation_id="auth_token_create",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = auth_token_obtain(**serializer.validated_data, request=request._request)
        return Response(self.OutputSerializer(token).data)


@extend_schema(exclude=True)
class ApiNotFound(APIView):
    """Unknown paths under /api/v1/ answer in the error shape rather than an HTML page."""

    authentication_classes: list = []
    permission_classes: list = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        if not request.path.endswith("/"):
            # No redirect (it would turn a POST into a GET): say what was meant.
            raise exceptions.NotFound(
                _("Not found. API paths end with a slash: %(path)s") % {"path": request.path + "/"}
            )
        raise exceptions.NotFound()

    def get(self, request, *args, **kwargs):
        return self.http_method_not_allowed(request, *args, **kwargs)

    post = put = patch = delete = get
