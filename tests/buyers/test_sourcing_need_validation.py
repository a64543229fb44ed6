from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from buyers.models import SourcingNeed
from buyers.services import sourcing_need_create, sourcing_need_update
from tests.buyers.test_sourcing_need_lifecycle import need_data

OVERLAP = (
    "Preferred certifications cannot also be required: {}. "
    "Untick them under preferred certifications."
)
PAST = "The deadline cannot be in the past. Choose today or a later day, or leave it empty."


def post_new_need(client, data):
    return client.post(reverse("buyers:need_create"), data)


def test_preferred_certification_that_is_also_required_is_refused(
    client_for, alice, alice_buyer, coffee, kg, vietgap, haccp, organic
):
    data = need_data(
        coffee,
        kg,
        required_certifications=[vietgap.pk, haccp.pk],
        preferred_certifications=[haccp.pk, organic.pk],
    )
    response = post_new_need(client_for(alice), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["preferred_certifications"] == [OVERLAP.format("Test HACCP")]
    assert not SourcingNeed.objects.exists()
    # The ticked boxes are still ticked.
    html = response.content.decode()
    assert html.count("checked") == 4


def test_deadline_in_the_past_is_refused(client_for, alice, alice_buyer, coffee, kg, today):
    yesterday = today - timedelta(days=1)
    response = post_new_need(
        client_for(alice), need_data(coffee, kg, deadline=yesterday.isoformat())
    )

    assert response.context["form"].errors["deadline"] == [PAST]
    assert f'value="{yesterday.isoformat()}"'.encode() in response.content
    assert not SourcingNeed.objects.exists()


def test_deadline_today_is_accepted(client_for, alice, alice_buyer, coffee, kg, today):
    response = post_new_need(client_for(alice), need_data(coffee, kg, deadline=today.isoformat()))
    assert response.status_code == 302


def test_unchanged_deadline_that_has_passed_does_not_block_other_edits(
    client_for, alice, alice_need, coffee, kg, today
):
    last_week = today - timedelta(days=7)
    SourcingNeed.objects.filter(pk=alice_need.pk).update(deadline=last_week)
    data = need_data(coffee, kg, deadline=last_week.isoformat(), notes="Now also robusta.")

    response = client_for(alice).post(reverse("buyers:need_edit", args=[alice_need.pk]), data)

    assert response.status_code == 302
    alice_need.refresh_from_db()
    assert alice_need.notes == "Now also robusta."


def test_moving_deadline_to_another_past_day_is_refused(
    client_for, alice, alice_need, coffee, kg, today
):
    SourcingNeed.objects.filter(pk=alice_need.pk).update(deadline=today - timedelta(days=7))
    data = need_data(coffee, kg, deadline=(today - timedelta(days=3)).isoformat())
    response = client_for(alice).post(reverse("buyers:need_edit", args=[alice_need.pk]), data)
    assert response.context["form"].errors["deadline"] == [PAST]


@pytest.mark.parametrize("volume", ["-5", "0"])
def test_volume_must_be_more_than_zero(client_for, alice, alice_buyer, coffee, kg, volume):
    response = post_new_need(client_for(alice), need_data(coffee, kg, volume=volume))
    assert response.context["form"].errors["volume"] == [
        "The monthly volume must be more than zero."
    ]
    assert f'value="{volume}"'.encode() in response.content


def test_negative_order_size_and_price_are_refused_with_their_names(
    client_for, alice, alice_buyer, coffee, kg
):
    data = need_data(coffee, kg, order_size="-1", target_price="-0.5")
    errors = post_new_need(client_for(alice), data).context["form"].errors
    assert errors["order_size"] == ["The typical order size must be more than zero."]
    assert errors["target_price"] == ["The target price cannot be negative."]


def test_every_generic_error_names_its_field(client_for, alice, alice_buyer, coffee, kg):
    data = need_data(coffee, kg, volume="lots", deadline="soon")
    data.update(category="", unit="")
    response = post_new_need(client_for(alice), data)

    errors = response.context["form"].errors
    assert errors["category"] == ["Please choose “Category”."]
    assert errors["volume"] == ["“Monthly volume” must be a number, like 1500 or 2.5."]
    assert errors["unit"] == ["Please choose “Unit”."]
    assert errors["deadline"] == ["“Deadline” must be a date, like 2026-12-31."]
    html = response.content.decode()
    assert "Please correct the 4 problems below." in html
    assert 'href="#field-volume"' in html
    assert 'value="lots"' in html


def test_services_apply_the_same_rules(alice_buyer, alice_need, coffee, kg, haccp, today):
    with pytest.raises(ValidationError) as error:
        sourcing_need_create(
            buyer=alice_buyer,
            category=coffee,
            volume=Decimal("-1"),
            unit=kg,
            required_certifications=[haccp],
            preferred_certifications=[haccp],
            deadline=today - timedelta(days=1),
        )
    assert set(error.value.message_dict) == {"volume", "deadline", "preferred_certifications"}

    with pytest.raises(ValidationError) as error:
        sourcing_need_update(
            need=alice_need,
            data={"required_certifications": [haccp], "preferred_certifications": [haccp]},
        )
    assert error.value.message_dict["preferred_certifications"] == [OVERLAP.format("Test HACCP")]
    assert not alice_need.required_certifications.exists()
