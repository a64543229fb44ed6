"""`seed_demo` loads the demo the README promises, and running it again changes nothing."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from buyers.models import SourcingNeed
from forums.management.commands.seed_demo import (
    BUYER_EMAIL,
    DEMO_PASSWORD,
    ORGANISER_EMAIL,
    PRODUCER_EMAIL,
)
from forums.models import Forum, Meeting
from producers.models import Producer, Product

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        Producer.objects.count(),
        Product.objects.count(),
        Product.objects.approved().count(),
        SourcingNeed.objects.count(),
        Forum.objects.count(),
        Meeting.objects.count(),
    )


def test_seed_demo_is_idempotent_and_its_logins_work(client):
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    assert first[2] >= 7  # the seven products the README names, approved
    assert Product.objects.filter(status=Product.Status.SUBMITTED).exists()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    for email in (ORGANISER_EMAIL, PRODUCER_EMAIL, BUYER_EMAIL):
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        client.logout()
    names = set(Product.objects.approved().values_list("name_en", flat=True))
    assert {"Kampot black pepper", "Phu Quoc fish sauce, 40°N"} <= names


def test_the_demo_forum_is_published_so_the_demo_logins_have_an_agenda(client):
    call_command("seed_demo", stdout=io.StringIO())
    forum = Forum.objects.get()
    assert forum.schedule_published_at is not None
    meeting = Meeting.objects.get(forum=forum)
    assert meeting.slot_id is not None and meeting.table is not None
    client.post("/accounts/login/", {"login": BUYER_EMAIL, "password": DEMO_PASSWORD})
    page = client.get(reverse("forum_pages:agenda", args=[forum.pk])).content.decode()
    assert meeting.producer.name in page
    assert "No meetings scheduled for you." not in page
    assert "Table " in page
