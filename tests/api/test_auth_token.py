"""POST /api/v1/auth/token/ trades an email address and password for a token, but only for an
active user whose address is verified; the token then authenticates API calls."""

import pytest
from allauth.account.models import EmailAddress
from rest_framework.authtoken.models import Token

from tests.api.conftest import error_shape
from tests.factories import PASSWORD, ProducerUserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/token/"


def verified(user, *, verified=True):
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    return user


@pytest.fixture
def pia(business_a, producer_a):
    return verified(producer_a)


def test_a_verified_user_gets_a_token_that_authenticates_api_calls(api, pia, draft_a):
    response = api.post(URL, {"email": pia.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=pia).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = api.get("/api/v1/producer/products/")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [draft_a.pk]


def test_asking_again_returns_the_same_token_and_the_email_is_case_insensitive(api, pia):
    first = api.post(URL, {"email": pia.email, "password": PASSWORD}, format="json").json()
    again = api.post(URL, {"email": pia.email.upper(), "password": PASSWORD}, format="json")

    assert again.status_code == 200
    assert again.json() == first


def test_a_token_works_for_unsafe_methods_without_csrf(pia, draft_a):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    token = client.post(URL, {"email": pia.email, "password": PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    response = client.patch(
        f"/api/v1/producer/products/{draft_a.pk}/", {"name": "Pepper"}, format="json"
    )

    assert response.status_code == 200


def test_an_unverified_user_gets_no_token(api, producer_a):
    verified(producer_a, verified=False)

    response = api.post(URL, {"email": producer_a.email, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    body = error_shape(response)
    assert "Confirm your email address first" in body["errors"]["non_field_errors"][0]
    assert not Token.objects.filter(user=producer_a).exists()


def test_a_user_without_any_email_record_gets_no_token(api, producer_a):
    response = api.post(URL, {"email": producer_a.email, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert not Token.objects.exists()


def test_an_inactive_user_gets_no_token(api):
    user = verified(ProducerUserFactory(email="gone@example.org", is_active=False))

    response = api.post(URL, {"email": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "producer.a@example.org", "password": "wrong"}, "non_field_errors"),
        ({"email": "nobody@example.org", "password": PASSWORD}, "non_field_errors"),
        ({"email": "not an email", "password": PASSWORD}, "email"),
        ({"email": "producer.a@example.org"}, "password"),
    ],
)
def test_wrong_or_missing_credentials_are_a_400(api, pia, body, field):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in error_shape(response)["errors"]


def test_the_same_message_for_a_wrong_password_and_an_unknown_address(api, pia):
    wrong = api.post(URL, {"email": pia.email, "password": "nope"}, format="json").json()
    unknown = api.post(URL, {"email": "x@example.org", "password": "nope"}, format="json").json()

    assert wrong == unknown


def test_a_token_of_a_deactivated_user_no_longer_works(api, pia):
    token = api.post(URL, {"email": pia.email, "password": PASSWORD}, format="json").json()
    pia.is_active = False
    pia.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")

    response = api.get("/api/v1/producer/products/")

    assert response.status_code == 401
    assert error_shape(response)["code"] == "authentication_failed"
