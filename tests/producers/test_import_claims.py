"""Claim codes: an organiser prints or emails a one-time code; with it the producer sets a
password and takes over the business the committee registered for them."""

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from producers.importing import services
from producers.importing.models import ClaimCode
from producers.importing.services import ClaimError, claim_code_issue, claim_code_redeem
from tests.factories import ProducerFactory, ProducerUserFactory
from tests.producers.test_import_builders import batch_from, csv_bytes, row, table

pytestmark = pytest.mark.django_db

CODE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")
CLAIM = reverse("importing:claim")
PASSWORD = "kampot-pepper-2025"


@pytest.fixture
def imported(db):
    return ProducerFactory(name="Kampot Pepper Cooperative", email="")


def claim(client, code, email="sokha@example.org", password=PASSWORD):
    return client.post(
        CLAIM, {"code": code, "email": email, "password": password, "full_name": "Sokha Chan"}
    )


def test_codes_are_short_unambiguous_grouped_and_stored_only_as_a_hash(imported, organiser):
    codes = {claim_code_issue(producer=imported, issued_by=organiser) for _ in range(50)}
    assert all(CODE.match(code) for code in codes)
    assert not set("01OI") & set("".join(codes))
    stored = ClaimCode.objects.values_list("code_hash", flat=True)
    assert all(len(value) == 64 for value in stored)
    assert not any(code.replace("-", "") in value.upper() for value in stored for code in codes)


def test_the_lifecycle_print_claim_once_then_refused(client, login, organiser, imported):
    # 1. The organiser prints a code for the producer.
    organiser_client = login(organiser)
    response = organiser_client.post(reverse("importing:claims_print"), {"producer": [imported.pk]})
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    code = re.search(r'data-testid="claim-code">([^<]+)<', page).group(1)
    assert CODE.match(code)
    assert "Kampot Pepper Cooperative" in page
    organiser_client.logout()

    # 2. The producer claims it: a verified producer account, member of the business.
    response = claim(client, code.lower().replace("-", " "))
    assert response.status_code == 302
    assert response["Location"] == reverse("producers:dashboard")
    user = User.objects.get(email="sokha@example.org")
    assert user.is_producer and user.full_name == "Sokha Chan"
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.get(user=user).verified
    assert list(imported.members.all()) == [user]
    assert client.get(reverse("producers:dashboard")).status_code == 200  # logged in
    used = ClaimCode.objects.get()
    assert used.used_by == user and used.used_at is not None

    # 3. The code works only once.
    client.logout()
    response = claim(client, code, email="other@example.org")
    assert response.status_code == 400
    assert "This code has been used already; each code works once." in response.content.decode()
    assert not User.objects.filter(email="other@example.org").exists()


def test_an_expired_code_is_refused(client, organiser, imported):
    code = claim_code_issue(producer=imported, issued_by=organiser)
    ClaimCode.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = claim(client, code)
    assert response.status_code == 400
    assert "This code expired on" in response.content.decode()
    assert imported.members.count() == 0


def test_codes_expire_after_thirty_days(organiser, imported):
    claim_code_issue(producer=imported, issued_by=organiser)
    claim_code = ClaimCode.objects.get()
    lifetime = claim_code.expires_at - claim_code.created_at
    assert abs(lifetime - dt.timedelta(days=30)) < dt.timedelta(seconds=5)


@pytest.mark.parametrize("wrong", ["K7Q4-M9XP", "2222-2222", "ABC"])
def test_a_wrong_code_is_refused(client, organiser, imported, wrong):
    claim_code_issue(producer=imported, issued_by=organiser)
    response = claim(client, wrong)
    assert response.status_code == 400
    assert imported.members.count() == 0
    assert not User.objects.filter(email="sokha@example.org").exists()


def test_an_emailed_code_only_works_with_that_address(client, organiser, imported):
    code = claim_code_issue(
        producer=imported,
        issued_by=organiser,
        channel=ClaimCode.Channel.EMAIL,
        email="Sokha@Example.org",
    )
    response = claim(client, code, email="someone@example.org")
    assert "This code was sent to another email address" in response.content.decode()
    assert claim(client, code, email="sokha@example.org").status_code == 302


def test_a_new_code_replaces_the_older_ones(client, organiser, imported):
    old = claim_code_issue(producer=imported, issued_by=organiser)
    new = claim_code_issue(producer=imported, issued_by=organiser)
    assert "This code was replaced by a newer one" in claim(client, old).content.decode()
    assert claim(client, new).status_code == 302


def test_an_existing_account_must_log_in_first_and_then_needs_only_the_code(
    client, organiser, imported
):
    producer_user = ProducerUserFactory(email="sokha@example.org")
    code = claim_code_issue(producer=imported, issued_by=organiser)
    response = claim(client, code)
    assert "log in first, then enter the code" in response.content.decode()
    client.force_login(producer_user)
    form = client.get(CLAIM).content.decode()
    assert 'name="password"' not in form
    response = client.post(CLAIM, {"code": code})
    assert response.status_code == 302
    assert list(imported.members.all()) == [producer_user]


def test_a_buyer_cannot_claim_a_business(client, buyer, organiser, imported):
    code = claim_code_issue(producer=imported, issued_by=organiser)
    client.force_login(buyer)
    assert "not a producer’s" in client.get(CLAIM).content.decode()
    with pytest.raises(ClaimError):
        claim_code_redeem(code=code, user=buyer)


def test_a_weak_password_is_refused_and_the_code_still_works(client, organiser, imported):
    code = claim_code_issue(producer=imported, issued_by=organiser)
    response = claim(client, code, password="12345678")
    assert response.status_code == 400
    assert "This password is entirely numeric." in response.content.decode()
    assert claim(client, code).status_code == 302


def test_too_many_wrong_codes_make_the_visitor_wait(client, organiser, imported):
    from django.core.cache import cache

    cache.clear()
    code = claim_code_issue(producer=imported, issued_by=organiser)
    for _ in range(10):
        claim(client, "2222-2222")
    response = claim(client, code)
    assert "Too many wrong codes" in response.content.decode()
    assert imported.members.count() == 0
    cache.clear()


def test_invitations_are_emailed_with_a_working_code(
    client, login, organiser, smtp_server, settings
):
    data = csv_bytes(
        table(
            [
                row(email="sokha@example.org"),
                row(producer_name="Phone Only Household", kind="household", phone="012 999 888"),
            ]
        )
    )
    batch = batch_from(data, organiser)
    services.import_batch_commit(batch=batch, user=organiser)
    organiser_client = login(organiser)
    listing = organiser_client.get(reverse("importing:claims") + f"?batch={batch.pk}")
    assert "Phone Only Household" in listing.content.decode()
    response = organiser_client.post(
        reverse("importing:claims_invite"),
        {"batch": str(batch.pk), "producer": batch.producer_ids},
        follow=True,
    )
    page = response.content.decode()
    assert "Invitation emailed to 1 producer." in page
    assert "Not emailed (no email address, or sending failed): Phone Only Household" in page
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "sokha@example.org"
    code = re.search(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", smtp_server.bodies()[0]).group(0)
    assert f"/claim/?code={code}" in smtp_server.bodies()[0]
    organiser_client.logout()
    assert claim(client, code).status_code == 302


def test_printing_every_unclaimed_producer_of_an_import(login, organiser, alice):
    data = csv_bytes(
        table([row(), row(producer_name="Second Household", kind="household", phone="")])
    )
    batch = batch_from(data, organiser)
    services.import_batch_commit(batch=batch, user=organiser)
    from producers.models import Producer

    Producer.objects.get(name="Second Household").members.add(alice)  # claimed already
    response = login(organiser).post(
        reverse("importing:claims_print"), {"batch": str(batch.pk), "everyone": "1"}
    )
    page = response.content.decode()
    assert page.count('data-testid="claim-code"') == 1
    assert "Kampot Pepper Cooperative" in page


def test_printing_without_choosing_anyone_says_so(login, organiser):
    response = login(organiser).post(reverse("importing:claims_print"), {}, follow=True)
    assert "Tick at least one producer." in response.content.decode()
