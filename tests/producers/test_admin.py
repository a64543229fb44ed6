"""The admin pages for producers and listings open, with their inlines and filters."""

import pytest
from django.urls import reverse

from tests.factories import HeldCertificationFactory, UserFactory


@pytest.fixture
def admin_client_(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, role="organiser"))
    return client


def test_product_admin_lists_and_opens_a_listing_with_photos_and_certifications(
    admin_client_, approved
):
    held = HeldCertificationFactory(product=approved)
    changelist = admin_client_.get(
        reverse("admin:producers_product_changelist"), {"status__exact": "approved"}
    )
    assert changelist.status_code == 200
    assert "Salted crab" in changelist.content.decode()
    change = admin_client_.get(reverse("admin:producers_product_change", args=[approved.pk]))
    assert change.status_code == 200
    page = change.content.decode()
    # Evidence has no public URL; the admin links to the checked download view instead.
    assert reverse("producers:certification_evidence", args=[held.pk]) in page


def test_producer_admin_lists_and_opens_a_producer(admin_client_, alice_producer):
    assert admin_client_.get(reverse("admin:producers_producer_changelist")).status_code == 200
    url = reverse("admin:producers_producer_change", args=[alice_producer.pk])
    assert admin_client_.get(url).status_code == 200
