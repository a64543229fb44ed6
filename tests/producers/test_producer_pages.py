"""What a producer does through the pages: the business profile and listing forms, the
dashboard, submitting, and editing a public listing through a revision."""

from decimal import Decimal

import pytest
from django.urls import reverse

from producers.models import Producer, Product
from tests.factories import (
    CategoryFactory,
    ProducerUserFactory,
    ProvinceFactory,
    TonneFactory,
    UnitFactory,
    VietnamFactory,
)
from tests.producers.uploads import jpeg_upload

Status = Product.Status


@pytest.fixture
def taxonomy(db):
    return {
        "category": CategoryFactory(),
        "kg": UnitFactory(),
        "tonne": TonneFactory(),
        "province": ProvinceFactory(),
    }


def listing_form(taxonomy, **overrides):
    data = {
        "category": taxonomy["category"].pk,
        "name": "Kampot black pepper",
        "description": "Sun dried.",
        "content_language": "en",
        "unit_of_sale": taxonomy["kg"].pk,
        "capacity": "1.5",
        "capacity_unit": taxonomy["tonne"].pk,
        "min_order": "20",
        "price_min": "10.50",
        "price_max": "12",
        "currency": "USD",
        "stars": "4",
        "months": ["1", "2", "12"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Profile --------------------------------------------------------------------------------


def test_new_producer_creates_a_profile_and_becomes_its_member(login, taxonomy):
    newcomer = ProducerUserFactory()
    client = login(newcomer)
    assert client.get(reverse("producers:dashboard"))["Location"] == reverse(
        "producers:profile_create"
    )
    response = client.post(
        reverse("producers:profile_create"),
        {
            "name": "Sok Pepper Household",
            "kind": "household",
            "village": "Trapeang Sangkae",
            "province": taxonomy["province"].pk,
            "phone": "+855 12 000 111",
            "logo": jpeg_upload("logo.png"),
        },
    )
    assert response.status_code == 302
    producer = Producer.objects.get(name="Sok Pepper Household")
    assert list(producer.members.all()) == [newcomer]
    assert producer.logo_thumbnail.url.endswith(".webp")
    assert client.get(reverse("producers:dashboard")).status_code == 200
    # A second profile is not made: the create page sends them to edit theirs.
    assert client.get(reverse("producers:profile_create"))["Location"] == reverse(
        "producers:profile_edit"
    )


def test_profile_offers_current_provinces_only_grouped_by_country(login, taxonomy):
    ProvinceFactory(code="T-OLD", name_en="Former Province", is_current=False)
    ProvinceFactory(code="T-VN-HN", name_en="Hanoi", country=VietnamFactory())
    page = login(ProducerUserFactory()).get(reverse("producers:profile_create")).content.decode()
    assert '<optgroup label="Cambodia">' in page
    assert '<optgroup label="Vietnam">' in page
    assert "Hanoi" in page
    assert "Former Province" not in page


def test_profile_errors_name_the_field_and_keep_what_was_typed(login, taxonomy):
    response = login(ProducerUserFactory()).post(
        reverse("producers:profile_create"),
        {"name": "Sok Pepper", "kind": "household", "village": "", "province": "999999"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please correct the errors below." in page
    assert "Village or commune</a>: This field is required." in page
    assert "Province</a>: Select a valid choice." in page
    assert 'value="Sok Pepper"' in page


def test_producer_edits_the_profile(login, alice, alice_producer, taxonomy):
    response = login(alice).post(
        reverse("producers:profile_edit"),
        {
            "name": "Alice & Sons",
            "kind": "enterprise",
            "village": "Kep",
            "province": taxonomy["province"].pk,
        },
    )
    assert response.status_code == 302
    alice_producer.refresh_from_db()
    assert alice_producer.name == "Alice & Sons"
    assert alice_producer.kind == "enterprise"


def test_editing_the_profile_keeps_or_clears_the_logo(login, alice, alice_producer, taxonomy):
    alice_producer.logo = jpeg_upload("logo.jpg")
    alice_producer.save()
    logo_name = alice_producer.logo.name
    form = {
        "name": "Alice Pepper Farm",
        "kind": "household",
        "village": "Kep",
        "province": taxonomy["province"].pk,
    }
    client = login(alice)
    assert client.post(reverse("producers:profile_edit"), form).status_code == 302
    alice_producer.refresh_from_db()
    assert alice_producer.logo.name == logo_name
    response = client.post(reverse("producers:profile_edit"), {**form, "logo-clear": "on"})
    assert response.status_code == 302
    alice_producer.refresh_from_db()
    assert not alice_producer.logo


# --- Listing form ---------------------------------------------------------------------------


def test_producer_creates_a_listing_as_a_draft(login, alice, alice_producer, taxonomy):
    response = login(alice).post(reverse("producers:product_create"), listing_form(taxonomy))
    product = Product.objects.get()
    assert response["Location"] == reverse("producers:product_detail", args=[product.pk])
    assert product.producer == alice_producer
    assert product.status == Status.DRAFT
    assert product.capacity_base == Decimal("1500")
    assert product.price_min == Decimal("10.50")
    assert isinstance(product.price_min, Decimal)
    assert product.months == [1, 2, 12]
    assert product.stars == 4


def test_listing_form_groups_subgroups_by_group_and_offers_no_groups(login, alice, alice_producer):
    category = CategoryFactory()
    page = login(alice).get(reverse("producers:product_create")).content.decode()
    assert f'<optgroup label="{category.parent.name}">' in page
    assert f'<option value="{category.pk}">{category.name}</option>' in page
    assert f'<option value="{category.parent.pk}">' not in page
    assert page.count('type="checkbox" name="months"') == 12


def test_price_range_upside_down_is_refused_on_the_highest_price(
    login, alice, alice_producer, taxonomy
):
    response = login(alice).post(
        reverse("producers:product_create"),
        listing_form(taxonomy, price_min="20", price_max="10", name="Pepper as typed"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["price_max"] == [
        "The highest price must be the same as or more than the lowest price (20)."
    ]
    assert list(form.errors) == ["price_max"]
    page = response.content.decode()
    assert "Highest price</a>: The highest price must be" in page
    assert 'value="Pepper as typed"' in page
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"months": None}, "months", "Tick at least one month when the product is available."),
        ({"capacity": "-1"}, "capacity", "Ensure this value is greater than or equal to 0."),
        ({"capacity": "lots"}, "capacity", "Enter a number."),
        ({"price_min": "1.234"}, "price_min", "Ensure that there are no more than 2 decimal"),
        ({"category": "0"}, "category", "Select a valid choice."),
    ],
)
def test_listing_form_errors_sit_on_their_field(
    login, alice, alice_producer, taxonomy, overrides, field, message
):
    response = login(alice).post(
        reverse("producers:product_create"), listing_form(taxonomy, **overrides)
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field][0].startswith(message)
    assert "Please correct the errors below." in response.content.decode()


def test_a_group_is_refused_as_a_category(login, alice, alice_producer, taxonomy):
    group = taxonomy["category"].parent
    response = login(alice).post(
        reverse("producers:product_create"), listing_form(taxonomy, category=group.pk)
    )
    assert response.status_code == 200
    assert "category" in response.context["form"].errors


# --- Dashboard and lifecycle through the pages ----------------------------------------------


def test_dashboard_lists_every_own_listing_with_its_status(
    login, alice, draft, submitted, approved, bob_producer
):
    from tests.factories import ProductFactory

    ProductFactory(producer=bob_producer, name="Bob's sauce")
    page = login(alice).get(reverse("producers:dashboard")).content.decode()
    for name in ("Kampot black pepper", "Palm sugar", "Salted crab"):
        assert name in page
    assert "Bob&#x27;s sauce" not in page
    assert '<span class="badge submitted">Waiting for review</span>' in page
    assert '<span class="badge approved">Approved</span>' in page
    assert '<span class="badge draft">Draft</span>' in page


def test_submit_without_photo_says_to_add_one(login, alice, alice_producer):
    from tests.factories import ProductFactory

    product = ProductFactory(producer=alice_producer)
    client = login(alice)
    response = client.post(reverse("producers:product_submit", args=[product.pk]), follow=True)
    assert "Add at least one photo before you submit" in response.content.decode()
    product.refresh_from_db()
    assert product.status == Status.DRAFT


def test_submit_sends_the_listing_for_review(login, alice, draft):
    response = login(alice).post(reverse("producers:product_submit", args=[draft.pk]), follow=True)
    assert "Submitted. An organiser will review it" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_producer_deletes_a_draft(login, alice, draft):
    client = login(alice)
    assert client.get(reverse("producers:product_delete", args=[draft.pk])).status_code == 200
    response = client.post(reverse("producers:product_delete", args=[draft.pk]))
    assert response["Location"] == reverse("producers:dashboard")
    assert not Product.objects.filter(pk=draft.pk).exists()


def test_an_approved_listing_cannot_be_deleted(login, alice, approved):
    response = login(alice).post(
        reverse("producers:product_delete", args=[approved.pk]), follow=True
    )
    assert "Only a draft or rejected listing can be deleted" in response.content.decode()
    assert Product.objects.filter(pk=approved.pk).exists()


def test_editing_a_public_listing_keeps_buyers_on_the_old_version_until_approved(
    login, alice, buyer, organiser, approved, taxonomy, django_capture_on_commit_callbacks
):
    client = login(alice)
    form_page = client.get(reverse("producers:product_edit", args=[approved.pk]))
    assert "buyers keep seeing the current listing" in form_page.content.decode()

    response = client.post(
        reverse("producers:product_edit", args=[approved.pk]),
        listing_form(taxonomy, name="Salted crab, bigger jars"),
    )
    revision = Product.objects.get(revision_of=approved)
    assert response["Location"] == reverse("producers:product_detail", args=[revision.pk])
    # Further edits of the public listing go to the same revision.
    again = client.get(reverse("producers:product_edit", args=[approved.pk]))
    assert again["Location"] == reverse("producers:product_edit", args=[revision.pk])

    client.post(reverse("producers:product_submit", args=[revision.pk]))
    dashboard = client.get(reverse("producers:dashboard")).content.decode()
    assert "Changes waiting for review." in dashboard

    public_url = reverse("catalogue:detail", args=[approved.pk])
    assert "Salted crab, bigger jars" not in login(buyer).get(public_url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        login(organiser).post(reverse("producers:review_approve", args=[revision.pk]))
    page = login(buyer).get(public_url)
    assert page.status_code == 200
    assert "Salted crab, bigger jars" in page.content.decode()
    assert not Product.objects.filter(pk=revision.pk).exists()


def test_make_changes_button_starts_a_revision_for_photos_and_certificates(login, alice, approved):
    client = login(alice)
    response = client.post(reverse("producers:product_revise", args=[approved.pk]))
    revision = Product.objects.get(revision_of=approved)
    assert response["Location"] == reverse("producers:product_detail", args=[revision.pk])
    page = client.get(response["Location"]).content.decode()
    assert "These are your changes to the public listing" in page
    assert reverse("producers:photo_upload", args=[revision.pk]) in page
    # Asking again reuses it.
    client.post(reverse("producers:product_revise", args=[approved.pk]))
    assert Product.objects.filter(revision_of=approved).count() == 1
