import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]+")


def links_in(body: str) -> list[str]:
    return LINK.findall(body)


def sign_up(client, *, email="sokha@example.com", role="producer", language="km"):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": "kampot-pepper-2024",
            "password2": "kampot-pepper-2024",
            "full_name": "Sokha Chan",
            "role": role,
            "language": language,
        },
    )


def test_producer_signs_up_verifies_email_over_smtp_and_is_logged_in(client, smtp_server):
    response = sign_up(client)
    assert response.status_code == 302
    user = User.objects.get(email="sokha@example.com")
    assert user.role == User.Role.PRODUCER
    assert user.language == "km"
    assert not EmailAddress.objects.get(user=user).verified

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "sokha@example.com"
    confirm = next(link for link in links_in(smtp_server.bodies()[0]) if "confirm-email" in link)
    path = confirm.split("://", 1)[1].split("/", 1)[1]

    # The link shows a confirmation page; only the POST confirms (mail scanners follow GETs).
    assert client.get("/" + path).status_code == 200
    assert not EmailAddress.objects.get(user=user).verified
    response = client.post("/" + path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_unverified_user_cannot_log_in(client):
    sign_up(client, email="unverified@example.com")
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "unverified@example.com", "password": "kampot-pepper-2024"},
    )
    # allauth sends the person to the "verify your email" page instead of logging in.
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_signup_cannot_make_an_organiser(client):
    sign_up(client, email="sneaky@example.com", role="organiser")
    assert not User.objects.filter(email="sneaky@example.com").exists() or (
        User.objects.get(email="sneaky@example.com").role != User.Role.ORGANISER
    )


def test_signup_errors_name_the_field_and_keep_what_was_typed(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "not-an-email",
            "password1": "x",
            "password2": "y",
            "full_name": "Lan Nguyen",
            "role": "buyer",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "email" in form.errors
    content = response.content.decode()
    assert 'value="Lan Nguyen"' in content
    assert 'value="not-an-email"' in content


def test_login_and_logout(client):
    from accounts.services import user_create_verified

    user_create_verified(email="buyer@example.com", password="secret-pass-123", role="buyer")
    response = client.post(
        reverse("account_login"), {"login": "Buyer@Example.com", "password": "secret-pass-123"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"]
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_forgotten_password_is_reset_by_email(client):
    from accounts.services import user_create_verified

    user_create_verified(email="lan@example.com", password="old-password-123", role="buyer")
    response = client.post(reverse("account_reset_password"), {"email": "lan@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    reset = next(link for link in links_in(mail.outbox[0].body) if "password/reset/key" in link)
    path = "/" + reset.split("://", 1)[1].split("/", 1)[1]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(
        form_url, {"password1": "new-password-456", "password2": "new-password-456"}
    )
    assert response.status_code == 302
    user = User.objects.get(email="lan@example.com")
    assert user.check_password("new-password-456")


def test_create_organiser_command_makes_a_verified_organiser(client):
    call_command("create_organiser", "committee@kiengiang.gov.vn", "--password", "s3cret-pass!")
    user = User.objects.get(email="committee@kiengiang.gov.vn")
    assert user.is_organiser
    assert EmailAddress.objects.get(user=user).verified
    assert client.login(email="committee@kiengiang.gov.vn", password="s3cret-pass!")


def test_create_organiser_refuses_a_bad_email():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a valid email"):
        call_command("create_organiser", "not-an-email", "--password", "x")


def test_profile_saves_language_and_digest_choice(client):
    from accounts.services import user_create_verified

    user = user_create_verified(email="p@example.com", password="secret-pass-123", role="producer")
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "Dara", "language": "vi", "digest_opt_out": "on"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "vi"
    assert user.digest_opt_out is True
