"""Every error leaves the API in one JSON shape, {"detail", "code", "errors"}, whatever raised
it: a serializer, a service's ListingError, Django's ValidationError, a MeetingRequestError,
a missing object, a role check or a missing login."""

import datetime as dt

import pytest
from django.utils import timezone

from forums.models import MeetingRequest
from tests.api.conftest import error_shape
from tests.factories import CertificationFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_serializer_field_errors_are_listed_per_field(api_as, producer_a, business_a):
    response = api_as(producer_a).post("/api/v1/producer/products/", {}, format="json")

    assert response.status_code == 400
    body = error_shape(response)
    assert body["code"] == "invalid"
    assert {"category", "name", "unit_of_sale", "capacity", "capacity_unit"} <= set(body["errors"])
    assert body["detail"].startswith("category: ")


def test_request_wide_errors_go_under_non_field_errors(api_as, producer_a, draft_a):
    response = api_as(producer_a).patch(
        f"/api/v1/producer/products/{draft_a.pk}/", {}, format="json"
    )

    assert response.status_code == 400
    body = error_shape(response)
    assert body["errors"] == {"non_field_errors": ["Send at least one field to change."]}
    assert body["detail"] == "Send at least one field to change."


def test_listing_error_with_a_field_is_a_400_on_that_field(api_as, producer_a, draft_a):
    response = api_as(producer_a).patch(
        f"/api/v1/producer/products/{draft_a.pk}/",
        {"price_min": "20", "price_max": "10"},
        format="json",
    )

    assert response.status_code == 400
    body = error_shape(response)
    assert list(body["errors"]) == ["price_max"]
    assert "highest price" in body["errors"]["price_max"][0]


def test_listing_error_about_the_state_is_a_409(api_as, producer_a, submitted_a):
    response = api_as(producer_a).post(f"/api/v1/producer/products/{submitted_a.pk}/submit/")

    assert response.status_code == 409
    body = error_shape(response)
    assert body["code"] == "conflict"
    assert body["detail"] == "This listing is already waiting for review."
    assert body["errors"] == {"non_field_errors": [body["detail"]]}


def test_django_validation_errors_from_services_keep_their_fields(api_as, buyer_a, need_a):
    vietgap = CertificationFactory()
    response = api_as(buyer_a).patch(
        f"/api/v1/buyer/needs/{need_a.pk}/",
        {
            "deadline": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
            "required_certifications": [vietgap.code],
            "preferred_certifications": [vietgap.code],
        },
        format="json",
    )

    assert response.status_code == 400
    body = error_shape(response)
    assert set(body["errors"]) == {"deadline", "preferred_certifications"}
    assert "(and 1 more; see errors)" in body["detail"]


def test_not_found_forbidden_and_unauthenticated_share_the_shape(
    api_as, producer_a, producer_b, business_b, buyer_a, draft_a
):
    path = f"/api/v1/producer/products/{draft_a.pk}/"

    not_found = error_shape(api_as(producer_b).get(path))
    forbidden = error_shape(api_as(buyer_a).get(path))
    anonymous = api_as(None).get(path)

    assert not_found == {"detail": "Not found.", "code": "not_found", "errors": {}}
    assert forbidden == {
        "detail": "This is for producers.",
        "code": "permission_denied",
        "errors": {},
    }
    assert anonymous.status_code == 401
    assert error_shape(anonymous)["code"] == "not_authenticated"
    assert anonymous["WWW-Authenticate"] == 'Token realm="api"'


def test_a_bad_token_is_a_401(api, draft_a):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api.get("/api/v1/producer/products/")

    assert response.status_code == 401
    assert error_shape(response)["code"] == "authentication_failed"


def test_meeting_request_state_conflicts_are_409_with_the_reason_as_code(
    api_as, producer_a, request_a
):
    client = api_as(producer_a)
    assert client.post(f"/api/v1/meeting-requests/{request_a.pk}/accept/").status_code == 200

    again = client.post(f"/api/v1/meeting-requests/{request_a.pk}/decline/")

    assert again.status_code == 409
    body = error_shape(again)
    assert body["code"] == "already_answered"
    assert "so it can no longer be declined" in body["detail"]


def test_a_lapsed_meeting_request_is_a_409_expired(api_as, producer_a, request_a):
    MeetingRequest.objects.filter(pk=request_a.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    response = api_as(producer_a).post(f"/api/v1/meeting-requests/{request_a.pk}/accept/")

    assert response.status_code == 409
    assert error_shape(response)["code"] == "expired"


def test_meeting_request_bad_input_is_a_400_on_its_field(api_as, buyer_a, organisation_a, spices):
    draft = ProductFactory(category=spices)

    response = api_as(buyer_a).post(
        "/api/v1/meeting-requests/", {"product": draft.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(error_shape(response)["errors"]) == ["product"]


def test_method_not_allowed_malformed_json_and_unknown_paths_share_the_shape(
    api_as, producer_a, draft_a
):
    client = api_as(producer_a)

    put = client.put(f"/api/v1/producer/products/{draft_a.pk}/", {}, format="json")
    malformed = client.generic(
        "POST", "/api/v1/producer/products/", "{not json", content_type="application/json"
    )
    unknown = client.get("/api/v1/no-such-thing/")

    assert put.status_code == 405
    assert error_shape(put)["code"] == "method_not_allowed"
    assert malformed.status_code == 400
    assert error_shape(malformed)["code"] == "parse_error"
    assert unknown.status_code == 404
    assert error_shape(unknown)["code"] == "not_found"


def test_a_path_without_its_trailing_slash_says_which_path_was_meant(api):
    response = api.post("/api/v1/producer/products", {}, format="json")

    assert response.status_code == 404
    assert error_shape(response)["detail"].endswith("/api/v1/producer/products/")
