from decimal import Decimal

import pytest
from django.urls import reverse

from buyers.models import SourcingNeed
from buyers.services import (
    sourcing_need_close,
    sourcing_need_create,
    sourcing_need_reopen,
    sourcing_need_update,
)
from buyers.signals import sourcing_need_changed


def need_data(category, unit, **overrides):
    data = {
        "category": category.pk,
        "volume": "1.5",
        "unit": unit.pk,
        "order_size": "0.25",
        "provinces": [],
        "required_certifications": [],
        "preferred_certifications": [],
        "min_stars": 3,
        "target_price": "4.20",
        "currency": "USD",
        "deadline": "",
        "notes": "Arabica, washed.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def received():
    """What `sourcing_need_changed` receivers were sent, as (need pk, action) pairs."""
    calls = []

    def receiver(sender, need, action, **kwargs):
        calls.append((need.pk, action))

    sourcing_need_changed.connect(receiver, dispatch_uid="buyers-test-receiver")
    yield calls
    sourcing_need_changed.disconnect(dispatch_uid="buyers-test-receiver")


def test_buyer_creates_need_in_tonnes_and_it_is_stored_in_kilograms(
    client_for, alice, alice_buyer, coffee, tonne, lam_dong, vietgap, organic, next_month
):
    data = need_data(
        coffee,
        tonne,
        provinces=[lam_dong.pk],
        required_certifications=[vietgap.pk],
        preferred_certifications=[organic.pk],
        deadline=next_month.isoformat(),
    )
    response = client_for(alice).post(reverse("buyers:need_create"), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("buyers:dashboard")
    need = SourcingNeed.objects.get(buyer=alice_buyer)
    assert need.volume == Decimal("1.5")
    assert need.unit == tonne
    assert need.volume_base == Decimal("1500")
    assert need.order_size_base == Decimal("250")
    assert need.target_price == Decimal("4.20")
    assert need.status == SourcingNeed.Status.OPEN
    assert need.closed_at is None
    assert need.deadline == next_month
    assert list(need.provinces.all()) == [lam_dong]
    assert list(need.required_certifications.all()) == [vietgap]
    assert list(need.preferred_certifications.all()) == [organic]


def test_need_may_cover_a_whole_group(client_for, alice, alice_buyer, food, kg):
    client_for(alice).post(reverse("buyers:need_create"), need_data(food, kg))
    need = SourcingNeed.objects.get(buyer=alice_buyer)
    assert need.category.is_group


def test_buyer_edits_need_and_base_volume_follows_the_new_unit(
    client_for, alice, alice_need, rice, tonne, haccp
):
    assert alice_need.volume_base == Decimal("200")
    data = need_data(rice, tonne, volume="2", order_size="", required_certifications=[haccp.pk])

    response = client_for(alice).post(reverse("buyers:need_edit", args=[alice_need.pk]), data)

    assert response.status_code == 302
    alice_need.refresh_from_db()
    assert alice_need.category == rice
    assert alice_need.volume_base == Decimal("2000")
    assert alice_need.order_size is None
    assert alice_need.order_size_base is None
    assert list(alice_need.required_certifications.all()) == [haccp]


def test_edit_form_comes_back_filled_in(client_for, alice, alice_need):
    response = client_for(alice).get(reverse("buyers:need_edit", args=[alice_need.pk]))
    assert response.status_code == 200
    assert b'value="200"' in response.content


def test_buyer_closes_and_reopens_need_by_post(client_for, alice, alice_need):
    client = client_for(alice)

    response = client.post(reverse("buyers:need_close", args=[alice_need.pk]))
    assert response.status_code == 302
    alice_need.refresh_from_db()
    assert alice_need.status == SourcingNeed.Status.CLOSED
    assert alice_need.closed_at is not None

    dashboard = client.get(reverse("buyers:dashboard")).content.decode()
    assert "Closed" in dashboard
    assert reverse("buyers:need_reopen", args=[alice_need.pk]) in dashboard

    response = client.post(reverse("buyers:need_reopen", args=[alice_need.pk]))
    assert response.status_code == 302
    alice_need.refresh_from_db()
    assert alice_need.status == SourcingNeed.Status.OPEN
    assert alice_need.closed_at is None


def test_close_and_reopen_refuse_get(client_for, alice, alice_need):
    client = client_for(alice)
    assert client.get(reverse("buyers:need_close", args=[alice_need.pk])).status_code == 405
    assert client.get(reverse("buyers:need_reopen", args=[alice_need.pk])).status_code == 405
    alice_need.refresh_from_db()
    assert alice_need.status == SourcingNeed.Status.OPEN


def test_close_needs_the_csrf_token(alice, alice_need):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("buyers:need_close", args=[alice_need.pk]))
    assert response.status_code == 403
    alice_need.refresh_from_db()
    assert alice_need.status == SourcingNeed.Status.OPEN


def test_dashboard_lists_the_buyers_needs_with_status(
    client_for, alice, alice_buyer, alice_need, bob_buyer, wine, kg
):
    other = sourcing_need_create(buyer=bob_buyer, category=wine, volume=Decimal(5), unit=kg)
    closed = sourcing_need_create(buyer=alice_buyer, category=wine, volume=Decimal(9), unit=kg)
    sourcing_need_close(need=closed)

    response = client_for(alice).get(reverse("buyers:dashboard"))

    needs = list(response.context["needs"])
    assert set(needs) == {alice_need, closed}
    assert other not in needs
    html = response.content.decode()
    assert "Open" in html and "Closed" in html
    assert reverse("buyers:need_edit", args=[alice_need.pk]) in html


def test_signal_is_sent_after_commit_for_each_change(
    alice_buyer, coffee, kg, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        need = sourcing_need_create(buyer=alice_buyer, category=coffee, volume=Decimal(1), unit=kg)
    assert len(callbacks) == 1
    assert received == []  # nothing is announced before the commit

    for callback in callbacks:
        callback()
    assert received == [(need.pk, "created")]

    received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sourcing_need_update(need=need, data={"volume": Decimal(2)})
    with django_capture_on_commit_callbacks(execute=True):
        sourcing_need_close(need=need)
    with django_capture_on_commit_callbacks(execute=True):
        sourcing_need_reopen(need=need)
    assert received == [(need.pk, "updated"), (need.pk, "closed"), (need.pk, "reopened")]


def test_closing_a_closed_need_announces_nothing(
    alice_need, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sourcing_need_close(need=alice_need)
        sourcing_need_close(need=alice_need)
        sourcing_need_reopen(need=alice_need)
        sourcing_need_reopen(need=alice_need)
    assert received == [(alice_need.pk, "closed"), (alice_need.pk, "reopened")]


def test_signal_is_sent_when_a_need_is_created_through_the_page(
    client_for, alice, alice_buyer, coffee, kg, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).post(reverse("buyers:need_create"), need_data(coffee, kg))
    need = SourcingNeed.objects.get(buyer=alice_buyer)
    assert received == [(need.pk, "created")]


def test_a_rolled_back_change_announces_nothing(
    alice_buyer, coffee, kg, received, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        sourcing_need_create(buyer=alice_buyer, category=coffee, volume=Decimal(1), unit=kg)
        raise RuntimeError("boom")
    assert received == []
    assert not SourcingNeed.objects.exists()


def test_update_refuses_unknown_fields(alice_need):
    with pytest.raises(TypeError):
        sourcing_need_update(need=alice_need, data={"status": "closed"})
