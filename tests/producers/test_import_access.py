"""Only organisers import, export everything and hand out claim codes; anyone may export
the approved catalogue and claim a business with a code."""

import uuid

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SOME_BATCH = uuid.UUID("00000000-0000-4000-8000-000000000001")  # fixed: xdist needs stable ids
ORGANISER_PAGES = [
    ("get", reverse("importing:upload")),
    ("post", reverse("importing:upload")),
    ("get", reverse("importing:template", args=["vi", "xlsx"])),
    ("get", reverse("importing:preview", args=[SOME_BATCH])),
    ("post", reverse("importing:mapping", args=[SOME_BATCH])),
    ("post", reverse("importing:recheck", args=[SOME_BATCH])),
    ("post", reverse("importing:commit", args=[SOME_BATCH])),
    ("get", reverse("importing:done", args=[SOME_BATCH])),
    ("get", reverse("importing:claims")),
    ("post", reverse("importing:claims_print")),
    ("post", reverse("importing:claims_invite")),
]


@pytest.mark.parametrize(("method", "url"), ORGANISER_PAGES)
def test_anonymous_visitors_are_asked_to_log_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(("method", "url"), ORGANISER_PAGES)
@pytest.mark.parametrize("who", ["alice", "buyer"])
def test_producers_and_buyers_are_refused(request, login, method, url, who):
    client = login(request.getfixturevalue(who))
    assert getattr(client, method)(url).status_code == 403


def test_organisers_get_the_pages(login, organiser):
    client = login(organiser)
    assert client.get(reverse("importing:upload")).status_code == 200
    assert client.get(reverse("importing:claims")).status_code == 200
    assert client.get(reverse("importing:preview", args=[SOME_BATCH])).status_code == 404
    assert client.get(reverse("importing:template", args=["xx", "xlsx"])).status_code == 404


def test_the_nav_links_to_the_import_for_organisers_only(login, organiser, alice):
    assert reverse("importing:upload") in login(organiser).get("/").content.decode()
    assert reverse("importing:upload") not in login(alice).get("/").content.decode()


def test_anyone_may_export_the_approved_catalogue_and_open_the_claim_form(client):
    assert client.get(reverse("importing:export") + "?format=xlsx").status_code == 200
    assert client.get(reverse("importing:export")).status_code == 200
    assert client.get(reverse("importing:claim")).status_code == 200
