from django.urls import reverse

from tests.factories import ProvinceFactory, UserFactory


def test_need_form_offers_grouped_provinces_categories_and_certification_checkboxes(
    client_for, alice, alice_buyer, lam_dong, kampot, coffee, rice, wine, vietgap, kg
):
    response = client_for(alice).get(reverse("buyers:need_create"))

    html = response.content.decode()
    assert '<select name="provinces"' in html and "multiple" in html
    assert '<optgroup label="Cambodia">' in html and '<optgroup label="Vietnam">' in html
    assert '<optgroup label="Test food">' in html and '<optgroup label="Test drinks">' in html
    # Inside a group the whole group comes first, then its subgroups in order.
    whole_group = html.index("Any product in “Test food”")
    assert whole_group < html.index(">Test coffee</option>") < html.index(">Test rice</option>")
    assert html.index('<optgroup label="Test food">') < whole_group
    assert 'type="checkbox" name="required_certifications"' in html
    assert 'type="checkbox" name="preferred_certifications"' in html
    # Vietnamese buyers price in đồng unless they choose otherwise.
    assert '<option value="VND" selected>' in html


def test_non_current_provinces_are_not_offered(client_for, alice, alice_buyer, lam_dong):
    ProvinceFactory(
        code="T-VN-OLD", name_en="Old Province", country=lam_dong.country, is_current=False
    )
    html = client_for(alice).get(reverse("buyers:need_create")).content.decode()
    assert "Test Lam Dong" in html
    assert "Old Province" not in html


def test_admin_lists_and_opens_buyers_and_needs(client, alice_need, bob_buyer):
    admin = UserFactory(email="admin@forum.example", is_staff=True, is_superuser=True)
    client.force_login(admin)
    for name, args in [
        ("admin:buyers_buyer_changelist", []),
        ("admin:buyers_buyer_change", [alice_need.buyer.pk]),
        ("admin:buyers_sourcingneed_changelist", []),
        ("admin:buyers_sourcingneed_change", [alice_need.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 200, name
    changelist = reverse("admin:buyers_sourcingneed_changelist")
    response = client.get(changelist, {"group": alice_need.category.parent_id, "status": "open"})
    assert list(response.context["cl"].result_list) == [alice_need]
