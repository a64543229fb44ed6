"""A listing's content language: producers write in their own language and may add English;
each buyer sees their own language when it is the original, else English when there is
some, else the original; pages mark which language each text is in."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from producers import services
from producers.forms import ProductForm
from producers.importing.cells import CellError, content_language_parse
from producers.importing.columns import header_field
from producers.importing.export import catalogue_rows
from producers.importing.services import import_batch_commit
from producers.models import Product, content_language_default
from tests.factories import (
    CategoryFactory,
    CountryFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProducerUserFactory,
    ProductFactory,
    ProductPhotoFactory,
    ProvinceFactory,
    TonneFactory,
    UnitFactory,
    VietnamFactory,
)
from tests.producers.test_import_builders import (
    KEYS,
    batch_from,
    csv_bytes,
    errors_of,
    preview_of,
    row,
    table,
)


@pytest.fixture(autouse=True)
def _language_kept():
    """A request activates its language in the thread and leaves it active: put back the
    one before, so the Khmer and Vietnamese pages here leave later tests in English."""
    language = translation.get_language()
    yield
    translation.activate(language)


# --- Which text a reader sees ---------------------------------------------------------------

ORIGINAL, ENGLISH = "original", "english"
# (reader's language, listing's language, has English) -> what the reader sees.
EXPECTED = {
    # Readers of the original's own language always get it as written.
    ("km", "km", True): ORIGINAL,
    ("km", "km", False): ORIGINAL,
    ("vi", "vi", True): ORIGINAL,
    ("vi", "vi", False): ORIGINAL,
    # Everyone else gets English where there is some: English before a foreign script.
    ("en", "km", True): ENGLISH,
    ("en", "vi", True): ENGLISH,
    ("km", "vi", True): ENGLISH,
    ("vi", "km", True): ENGLISH,
    # ... and the original where there is none.
    ("en", "km", False): ORIGINAL,
    ("en", "vi", False): ORIGINAL,
    ("km", "vi", False): ORIGINAL,
    ("vi", "km", False): ORIGINAL,
    # A listing written in English has no other version.
    ("en", "en", True): ORIGINAL,
    ("en", "en", False): ORIGINAL,
    ("km", "en", True): ORIGINAL,
    ("km", "en", False): ORIGINAL,
    ("vi", "en", True): ORIGINAL,
    ("vi", "en", False): ORIGINAL,
}
TEXTS = {
    "km": ("ម្រេចកំពត", "ម្រេចខ្មៅ"),
    "vi": ("Nước mắm Phú Quốc", "Cá cơm ủ chượp."),
    "en": ("Kampot pepper", "Black pepper."),
}


def product_in(language: str, *, has_english: bool) -> Product:
    name, description = TEXTS[language]
    return Product(
        name=name,
        description=description,
        content_language=language,
        name_en="English name" if has_english else "",
        description_en="English description" if has_english else "",
    )


@pytest.mark.parametrize(("reader", "written_in", "has_english"), sorted(EXPECTED))
def test_reader_sees_original_in_its_language_else_english_else_original(
    reader, written_in, has_english
):
    product = product_in(written_in, has_english=has_english)

    shown = product.localised(reader)

    if EXPECTED[reader, written_in, has_english] == ENGLISH:
        assert (shown.name, shown.name_language) == ("English name", "en")
        assert (shown.description, shown.description_language) == ("English description", "en")
        assert shown.name_is_translation and shown.description_is_translation
    else:
        assert (shown.name, shown.name_language) == (product.name, written_in)
        assert (shown.description, shown.description_language) == (
            product.description,
            written_in,
        )
        assert not shown.name_is_translation and not shown.description_is_translation


def test_display_properties_follow_the_active_language():
    product = product_in("vi", has_english=True)
    with translation.override("km"):
        assert (product.display_name, product.display_name_language) == ("English name", "en")
        assert product.display_description == "English description"
    with translation.override("vi"):
        assert (product.display_name, product.display_name_language) == (product.name, "vi")
        assert product.display_description == product.description


def test_name_and_description_are_chosen_separately():
    product = Product(
        name="Nước mắm", description="Cá cơm.", content_language="vi", name_en="Fish sauce"
    )
    shown = product.localised("en")
    assert (shown.name, shown.name_language) == ("Fish sauce", "en")
    assert (shown.description, shown.description_language) == ("Cá cơm.", "vi")


@pytest.mark.parametrize(
    ("language", "sees"),
    [("vi-vn", "Nước mắm"), ("EN-us", "Fish sauce"), ("zh-hans", "Fish sauce")],
)
def test_regional_and_other_languages_are_read_by_their_language(language, sees):
    product = Product(name="Nước mắm", content_language="vi", name_en="Fish sauce")
    assert product.localised(language).name == sees


# --- Defaults and the backfill ------------------------------------------------------------


@pytest.mark.parametrize(
    ("country_code", "preferred", "expected"),
    [
        ("KH", "", "km"),
        ("VN", "", "vi"),
        ("TH", "", "th"),
        ("JP", "", "ja"),
        ("vn", "en", "vi"),  # the country wins over the member's preferred language
        ("", "km", "km"),
        ("", "vi-vn", "vi"),
        ("", "fr", "en"),
        ("", "", "en"),
        ("LA", "", "en"),
    ],
)
def test_default_language_comes_from_the_country_then_the_member(country_code, preferred, expected):
    assert content_language_default(country_code=country_code, preferred=preferred) == expected


@pytest.fixture
def vietnam_province(db):
    return ProvinceFactory(
        code="T-VN-KG", name_en="Kien Giang", country=VietnamFactory(), latitude=10, longitude=105
    )


@pytest.fixture
def japan_province(db):
    japan = CountryFactory(code="JP", name_en="Japan", time_zone="Asia/Tokyo", currency="JPY")
    return ProvinceFactory(code="T-JP-13", name_en="Tokyo", country=japan)


def test_a_listing_saved_without_a_language_gets_its_producers(vietnam_province):
    product = ProductFactory(producer=ProducerFactory(province=vietnam_province))
    Product.objects.filter(pk=product.pk).update(content_language="")
    product.refresh_from_db()

    product.save(update_fields=["name"])

    product.refresh_from_db()
    assert product.content_language == "vi"


def test_the_migration_fills_existing_listings_from_the_producers_country(
    vietnam_province, japan_province
):
    khmer = ProductFactory()  # a producer in Kampot
    vietnamese = ProductFactory(producer=ProducerFactory(province=vietnam_province))
    japanese = ProductFactory(producer=ProducerFactory(province=japan_province))
    Product.objects.update(content_language="")
    migration = importlib.import_module("producers.migrations.0004_product_content_language")

    migration.content_language_fill(apps, None)

    languages = dict(Product.objects.values_list("pk", "content_language"))
    assert languages == {khmer.pk: "km", vietnamese.pk: "vi", japanese.pk: "ja"}


# --- Pages ---------------------------------------------------------------------------------


@pytest.fixture
def fish_sauce(vietnam_province):
    product = ProductFactory(
        producer=ProducerFactory(province=vietnam_province),
        approved=True,
        name="Nước mắm Phú Quốc",
        description="Cá cơm ủ chượp.",
        name_en="Phu Quoc fish sauce",
        description_en="Anchovies fermented in salt.",
    )
    ProductPhotoFactory(product=product)
    return product


def test_a_khmer_reader_sees_the_english_name_marked_and_the_original_offered(client, fish_sauce):
    page = client.get(
        reverse("catalogue:detail", args=[fish_sauce.pk]), HTTP_ACCEPT_LANGUAGE="km"
    ).content.decode()

    assert '<h1 lang="en">Phu Quoc fish sauce</h1>' in page
    assert '(<span lang="vi">Tiếng Việt</span>): <span lang="vi">Nước mắm Phú Quốc</span>' in page
    assert '<div lang="en"><p>Anchovies fermented in salt.</p></div>' in page
    assert '<details class="original-description">' in page
    assert '<div lang="vi"><p>Cá cơm ủ chượp.</p></div>' in page


def test_a_reader_of_the_original_sees_it_alone(client, fish_sauce):
    page = client.get(
        reverse("catalogue:detail", args=[fish_sauce.pk]), HTTP_ACCEPT_LANGUAGE="vi"
    ).content.decode()

    assert '<h1 lang="vi">Nước mắm Phú Quốc</h1>' in page
    assert '<div lang="vi"><p>Cá cơm ủ chượp.</p></div>' in page
    assert "original-name" not in page and "original-description" not in page
    assert "Phu Quoc fish sauce" not in page


def test_catalogue_cards_mark_the_language_of_each_name(client, fish_sauce):
    page = client.get(reverse("catalogue:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<strong lang="en">Phu Quoc fish sauce</strong>' in page
    page = client.get(reverse("catalogue:list"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<strong lang="vi">Nước mắm Phú Quốc</strong>' in page


def test_the_producers_own_page_marks_original_and_english(client, fish_sauce):
    member = ProducerUserFactory()
    fish_sauce.producer.members.add(member)
    client.force_login(member)

    page = client.get(reverse("producers:product_detail", args=[fish_sauce.pk])).content.decode()

    assert '<span lang="vi">Nước mắm Phú Quốc</span>' in page
    assert '<div lang="en"><p><strong>Phu Quoc fish sauce</strong></p>' in page


# --- The listing form ---------------------------------------------------------------------


def test_the_form_starts_from_the_producers_language(vietnam_province):
    producer = ProducerFactory(province=vietnam_province)
    assert ProductForm(producer=producer).initial["content_language"] == "vi"
    assert ProductForm(producer=ProducerFactory()).initial["content_language"] == "km"


def test_the_new_listing_page_starts_from_the_producers_language_not_the_pages(
    client, vietnam_province
):
    member = ProducerUserFactory(language="en")
    ProducerFactory(province=vietnam_province).members.add(member)
    client.force_login(member)

    response = client.get(reverse("producers:product_create"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.context["form"]["content_language"].value() == "vi"


def test_without_a_producer_the_form_starts_from_the_members_or_the_pages_language(db):
    assert ProductForm(user=ProducerUserFactory(language="vi")).initial["content_language"] == "vi"
    with translation.override("km"):
        assert ProductForm().initial["content_language"] == "km"


def test_the_form_keeps_an_existing_listings_language(db):
    product = ProductFactory(content_language="en")
    form = ProductForm(instance=product, producer=product.producer)
    assert form["content_language"].value() == "en"
    assert form.fields["name"].widget.attrs["lang"] == "en"
    assert form.fields["name_en"].widget.attrs["lang"] == "en"


@pytest.fixture
def member_of_vietnamese_business(vietnam_province):
    member = ProducerUserFactory(language="en")
    ProducerFactory(province=vietnam_province, members=[member])
    return member


@pytest.fixture
def listing_post(db):
    tonne, kg = TonneFactory(), UnitFactory()
    category = CategoryFactory()
    return {
        "category": category.pk,
        "name": "Nước mắm",
        "description": "Cá cơm.",
        "unit_of_sale": kg.pk,
        "capacity": "2",
        "capacity_unit": tonne.pk,
        "currency": "VND",
        "stars": "0",
        "months": ["1", "2"],
    }


def test_a_producer_creates_a_listing_in_their_language(
    client, member_of_vietnamese_business, listing_post
):
    client.force_login(member_of_vietnamese_business)
    response = client.post(
        reverse("producers:product_create"), {**listing_post, "content_language": "vi"}
    )
    assert response.status_code == 302
    assert Product.objects.get().content_language == "vi"


@pytest.mark.parametrize("bad", ["fr", "xx", ""])
def test_the_form_refuses_a_language_listings_cannot_be_written_in(
    client, member_of_vietnamese_business, listing_post, bad
):
    client.force_login(member_of_vietnamese_business)
    response = client.post(
        reverse("producers:product_create"), {**listing_post, "content_language": bad}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["content_language"]
    assert not Product.objects.exists()


def test_a_changed_language_reaches_the_public_listing_on_approval(fish_sauce):
    revision = services.product_update(product=fish_sauce, data={"content_language": "en"})
    fish_sauce.refresh_from_db()
    assert (revision.content_language, fish_sauce.content_language) == ("en", "vi")

    services.product_submit(product=revision)
    services.product_approve(product=revision, reviewer=OrganiserUserFactory())

    fish_sauce.refresh_from_db()
    assert fish_sauce.content_language == "en"


# --- The API -------------------------------------------------------------------------------

PRODUCTS_URL = "/api/v1/producer/products/"


@pytest.fixture
def api_listing(db):
    TonneFactory(), UnitFactory(), CategoryFactory()
    return {
        "category": "T-FOOD-SPICE",
        "name": "Nước mắm",
        "unit_of_sale": "kg",
        "capacity": "2",
        "capacity_unit": "t",
    }


@pytest.fixture
def api_member(member_of_vietnamese_business):
    api = APIClient()
    api.force_login(member_of_vietnamese_business)
    return api


def test_the_api_takes_the_language_and_defaults_it_from_the_country(api_member, api_listing):
    given = api_member.post(PRODUCTS_URL, {**api_listing, "content_language": "en"}, format="json")
    assert given.status_code == 201, given.content
    assert given.json()["content_language"] == "en"

    left_out = api_member.post(PRODUCTS_URL, api_listing, format="json")
    assert left_out.status_code == 201, left_out.content
    assert left_out.json()["content_language"] == "vi"
    assert Product.objects.get(pk=left_out.json()["id"]).content_language == "vi"


@pytest.mark.parametrize("bad", ["fr", "vi-VN", 7])
def test_the_api_refuses_an_unsupported_language_naming_the_field(api_member, api_listing, bad):
    response = api_member.post(
        PRODUCTS_URL, {**api_listing, "content_language": bad}, format="json"
    )
    assert response.status_code == 400
    assert "content_language" in response.json()["errors"]
    assert not Product.objects.exists()


def test_the_api_changes_the_language_of_a_draft(api_member, api_listing):
    created = api_member.post(PRODUCTS_URL, api_listing, format="json").json()
    response = api_member.patch(
        f"{PRODUCTS_URL}{created['id']}/", {"content_language": "km"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Product.objects.get(pk=created["id"]).content_language == "km"
    bad = api_member.patch(f"{PRODUCTS_URL}{created['id']}/", {"content_language": "de"})
    assert bad.status_code == 400 and "content_language" in bad.json()["errors"]


def test_the_catalogue_api_gives_the_name_for_the_readers_language(fish_sauce):
    api = APIClient()
    url = f"/api/v1/catalogue/{fish_sauce.pk}/"

    khmer = api.get(url, HTTP_ACCEPT_LANGUAGE="km").json()
    vietnamese = api.get(url, HTTP_ACCEPT_LANGUAGE="vi").json()

    assert khmer["content_language"] == vietnamese["content_language"] == "vi"
    assert (khmer["display_name"], khmer["display_name_language"]) == ("Phu Quoc fish sauce", "en")
    assert khmer["display_description_language"] == "en"
    assert (vietnamese["display_name"], vietnamese["display_name_language"]) == (
        "Nước mắm Phú Quốc",
        "vi",
    )
    assert vietnamese["display_description"] == "Cá cơm ủ chượp."
    assert khmer["name"] == "Nước mắm Phú Quốc" and khmer["name_en"] == "Phu Quoc fish sauce"


def test_the_catalogue_list_api_has_the_language_too(fish_sauce):
    body = APIClient().get("/api/v1/catalogue/", HTTP_ACCEPT_LANGUAGE="en").json()
    (listing,) = body["results"]
    assert (listing["content_language"], listing["display_name"]) == ("vi", "Phu Quoc fish sauce")


# --- The spreadsheet import ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("vi", "vi"),
        ("Tiếng Việt", "vi"),
        ("tieng viet", "vi"),
        ("Vietnamese", "vi"),
        ("ភាសាខ្មែរ", "km"),
        ("Khmer", "km"),
        ("KM", "km"),
        ("English", "en"),
        ("tiếng Anh", "en"),
        ("ภาษาไทย", "th"),
        ("日本語", "ja"),
    ],
)
def test_the_import_reads_a_language_however_it_is_written(written, code):
    assert content_language_parse(written) == code


def test_the_import_refuses_an_unknown_language():
    with pytest.raises(CellError, match="not a language a listing can be written in"):
        content_language_parse("Klingon")


@pytest.mark.parametrize("header", ["Language", "Ngôn ngữ", "ភាសា", "language of the listing"])
def test_the_language_column_is_found_in_each_language(header):
    assert header_field(header) == "language"


def test_an_unknown_language_in_a_file_is_an_error_in_its_column(db):
    organiser = OrganiserUserFactory()
    keys = (*KEYS, "language")
    rows = [
        row(language="English"),
        row(product_name="Kampot red pepper", language=""),
        row(product_name="Kampot white pepper", language="Klingon"),
    ]
    _batch, preview = preview_of(csv_bytes(table(rows, keys=keys)), organiser)

    assert errors_of(preview, 2) == [] and errors_of(preview, 3) == []
    assert [key for key, _message in errors_of(preview, 4)] == ["language"]


def test_an_import_writes_the_files_language_or_the_countrys_and_exports_it(db):
    organiser = OrganiserUserFactory()
    keys = (*KEYS, "language")
    rows = [row(language="English"), row(product_name="Kampot red pepper", language="")]
    batch = batch_from(csv_bytes(table(rows, keys=keys)), organiser)
    import_batch_commit(batch=batch, user=organiser, approve_directly=True)

    languages = dict(Product.objects.values_list("name", "content_language"))
    assert languages == {"Kampot black pepper": "en", "Kampot red pepper": "km"}
    header, *exported = list(catalogue_rows(language="en"))
    column = header.index("Language")
    assert sorted(line[column] for line in exported) == ["en", "km"]


def test_a_reimport_with_another_language_updates_the_listing(db):
    organiser = OrganiserUserFactory()
    keys = (*KEYS, "language")
    first = batch_from(csv_bytes(table([row(language="")], keys=keys)), organiser)
    import_batch_commit(batch=first, user=organiser, approve_directly=False)
    assert Product.objects.get().content_language == "km"

    second = batch_from(csv_bytes(table([row(language="en")], keys=keys)), organiser)
    import_batch_commit(batch=second, user=organiser, approve_directly=False)
    assert Product.objects.get().content_language == "en"

    # A file without the column leaves the language as it is.
    third = batch_from(csv_bytes(table([row()])), organiser)
    import_batch_commit(batch=third, user=organiser, approve_directly=False)
    assert Product.objects.get().content_language == "en"


def test_search_text_is_unchanged_by_the_language(vietnam_province):
    product = ProductFactory(
        producer=ProducerFactory(province=vietnam_province), name="Nước mắm", name_en="Fish sauce"
    )
    before = product.search_text
    product.content_language = "en"
    product.save()
    assert product.search_text == before
