from django.urls import reverse

from buyers.models import Buyer


def profile_data(country, province=None, **overrides):
    data = {
        "name": "Lotus Hotel Group",
        "kind": Buyer.Kind.HOTEL_RESTAURANT,
        "country": country.pk,
        "province": province.pk if province else "",
        "description": "Twelve hotels in the Mekong delta.",
        "website": "https://lotus.example",
    }
    data.update(overrides)
    return data


def test_buyer_without_profile_is_sent_to_create_one_first(client_for, alice):
    client = client_for(alice)
    for name in ["buyers:dashboard", "buyers:need_create"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"] == reverse("buyers:profile")


def test_buyer_creates_profile_and_becomes_its_member(client_for, alice, vietnam, an_giang):
    client = client_for(alice)
    assert client.get(reverse("buyers:profile")).status_code == 200

    response = client.post(reverse("buyers:profile"), profile_data(vietnam, an_giang))

    assert response.status_code == 302
    assert response["Location"] == reverse("buyers:dashboard")
    buyer = Buyer.objects.get(name="Lotus Hotel Group")
    assert list(buyer.members.all()) == [alice]
    assert buyer.province == an_giang
    assert client.get(reverse("buyers:dashboard")).status_code == 200


def test_foreign_buyer_needs_no_province(client_for, alice, japan):
    response = client_for(alice).post(reverse("buyers:profile"), profile_data(japan))
    assert response.status_code == 302
    assert Buyer.objects.get(members=alice).province is None


def test_buyer_edits_own_profile_without_making_a_second_one(client_for, alice, alice_buyer):
    data = profile_data(alice_buyer.country, alice_buyer.province, name="Green Mart Vietnam")
    response = client_for(alice).post(reverse("buyers:profile"), data)
    assert response.status_code == 302
    alice_buyer.refresh_from_db()
    assert alice_buyer.name == "Green Mart Vietnam"
    assert Buyer.objects.filter(members=alice).count() == 1


def test_province_outside_country_is_refused_with_a_message_on_the_province(
    client_for, alice, vietnam, kampot
):
    response = client_for(alice).post(reverse("buyers:profile"), profile_data(vietnam, kampot))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["province"] == [
        "The province must be in the country you chose. "
        "Pick a province of that country, or leave the province empty."
    ]
    assert not Buyer.objects.exists()
    # What was typed comes back.
    assert b'value="Lotus Hotel Group"' in response.content
    assert b"Please correct the problem below." in response.content


def test_missing_and_malformed_fields_are_named_in_their_messages(client_for, alice, vietnam):
    data = profile_data(vietnam, name="", kind="", website="not a web address")
    response = client_for(alice).post(reverse("buyers:profile"), data)

    errors = response.context["form"].errors
    assert errors["name"] == ["Please fill in “Organisation name”."]
    assert errors["kind"] == ["Please choose “Kind of organisation”."]
    assert errors["website"] == ["“Website” must be a web address, like https://example.com."]
    assert b"Please correct the 3 problems below." in response.content
    assert b'value="not a web address"' in response.content


def test_provinces_in_the_profile_form_are_grouped_by_country(client_for, alice, lam_dong, kampot):
    response = client_for(alice).get(reverse("buyers:profile"))
    html = response.content.decode()
    assert '<optgroup label="Cambodia">' in html
    assert '<optgroup label="Vietnam">' in html
    assert (
        html.index(">Test Kampot</option>")
        < html.index('<optgroup label="Vietnam">')
        < html.index(">Test Lam Dong</option>")
    )
