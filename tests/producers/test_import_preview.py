"""The preview: every row checked against the database without writing, with an error per
wrong cell (naming the row and the column) and a note for each decision taken for the
organiser."""

from decimal import Decimal

import pytest
from django.urls import reverse

from producers.importing import cells
from producers.importing.cells import CellError
from producers.importing.services import import_batch_create
from producers.models import Producer, Product
from taxonomy.models import Unit
from tests.producers.test_import_builders import (
    KEYS,
    csv_bytes,
    errors_of,
    notes_of,
    preview_of,
    row,
    row_of,
    table,
    upload_file,
)

pytestmark = pytest.mark.django_db


def one_row(organiser, keys=KEYS, **overrides):
    _batch, preview = preview_of(csv_bytes(table([row(**overrides)], keys=keys)), organiser)
    return preview


def test_nothing_is_written_by_a_preview(organiser):
    producers, products = Producer.objects.count(), Product.objects.count()
    preview = one_row(organiser)
    assert preview["counts"]["producers_new"] == 1
    assert preview["counts"]["products_new"] == 1
    assert (Producer.objects.count(), Product.objects.count()) == (producers, products)


# --- Provinces ------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["Kien Giang", "Kiên Giang", "Tỉnh Kiên Giang", "កៀនយ៉ាង"])
def test_an_old_vietnamese_province_maps_to_its_successor_with_a_note(organiser, written):
    preview = one_row(organiser, province=written, phone="0912 345 678", currency="VND")
    assert errors_of(preview, 2) == []
    assert row_of(preview, 2)["province"] == "An Giang"
    assert (
        "province",
        f"“{written}” is now part of An Giang (since 1 July 2025); filed under An Giang. "
        "Use An Giang in future files.",
    ) in notes_of(preview, 2)


def test_an_unknown_province_is_an_error_naming_the_row_and_column(login, organiser):
    client = login(organiser)
    data = csv_bytes(table([row(), row(product_name="White pepper", province="Atlantis")]))
    response = client.post(reverse("importing:upload"), {"file": upload_file(data)})
    page = client.get(response["Location"]).content.decode()
    assert (
        "Row 3, province: “Atlantis” is not a province of Cambodia or Vietnam that we know." in page
    )
    assert "Not ready to import" in page


# --- Units and quantities -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capacity", "number", "unit"),
    [
        ("2 tấn", "2", "t"),
        ("2 tan", "2", "t"),
        ("2tấn/tháng", "2", "t"),
        ("2 tonnes per month", "2", "t"),
        ("៣ តោន", "3", "t"),
        ("៥០០ គីឡូ", "500", "kg"),
        ("500 kí", "500", "kg"),
        ("1.5 t", "1.5", "t"),
        ("1,5 tấn", "1.5", "t"),
        ("1,500 kg", "1500", "kg"),
        ("1.500.000 g", "1500000", "g"),
        ("300 lít", "300", "L"),
        ("300 លីត្រ", "300", "L"),
        ("3 tạ", "3", "quintal"),
        ("12 tá", "12", "dozen"),
        ("800 quả", "800", "piece"),
    ],
)
def test_capacities_with_units_in_three_languages(organiser, capacity, number, unit):
    preview = one_row(organiser, capacity=capacity)
    assert errors_of(preview, 2) == []
    batch_row = row_of(preview, 2)
    assert batch_row["a"] == "new"


@pytest.mark.parametrize(
    ("capacity", "number", "unit"),
    [("2 tấn", "2", "t"), ("៥០០ គីឡូ", "500", "kg"), ("300 lít", "300", "L")],
)
def test_parsed_capacity_is_stored_in_the_written_unit(organiser, capacity, number, unit):
    from producers.importing.services import import_batch_commit

    batch = import_batch_create(
        upload=upload_file(csv_bytes(table([row(capacity=capacity)]))), user=organiser
    )
    import_batch_commit(batch=batch, user=organiser)
    product = Product.objects.get(name="Kampot black pepper")
    assert product.capacity == Decimal(number)
    assert product.capacity_unit.code == unit


@pytest.mark.parametrize("unit", ["kg", "គីឡូក្រាម", "ki-lô-gam", "kilo"])
def test_units_of_sale_in_three_languages(organiser, unit):
    preview = one_row(organiser, unit=unit)
    assert errors_of(preview, 2) == []


def test_a_capacity_in_an_unknown_unit_is_an_error(organiser):
    preview = one_row(organiser, capacity="2 bao")
    assert errors_of(preview, 2) == [
        (
            "capacity",
            "“2 bao” is not a number with a unit we know (such as 2 tấn, 500 kg, 300 L or ២ តោន).",
        )
    ]


def test_a_capacity_that_is_not_a_number_is_an_error(organiser):
    preview = one_row(organiser, capacity="two tonnes")
    assert errors_of(preview, 2)[0][0] == "capacity"


def test_a_unit_that_differs_only_by_accents_is_not_guessed(organiser):
    # "ta" could be tạ (100 kg) or tá (a dozen).
    preview = one_row(organiser, capacity="3 ta")
    assert errors_of(preview, 2)[0][0] == "capacity"


def test_a_bare_capacity_takes_the_unit_of_sale_with_a_note(organiser):
    preview = one_row(organiser, capacity="500")
    assert errors_of(preview, 2) == []
    assert ("capacity", "no unit given; taken in the unit of sale (kg).") in notes_of(preview, 2)


def test_a_capacity_unit_column_gives_the_unit_of_a_bare_number(organiser):
    keys = (*KEYS, "capacity_unit")
    preview = one_row(organiser, keys=keys, capacity="2", capacity_unit="tấn")
    assert errors_of(preview, 2) == []
    assert notes_of(preview, 2) == []


def test_a_minimum_order_with_its_own_unit_is_converted(organiser):
    preview = one_row(organiser, min_order="1 tấn")
    assert ("min_order", "1 tấn is 1000 kg.") in notes_of(preview, 2)


def test_a_unit_of_sale_we_do_not_know_says_what_to_write(organiser):
    preview = one_row(organiser, unit="hộp")
    [(field, message)] = errors_of(preview, 2)
    assert field == "unit"
    assert "“hộp” is not a unit we know" in message


# --- Numbers, prices, stars, months ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "thousands_dot", "expected"),
    [
        ("12", False, "12"),
        ("12.5", False, "12.5"),
        ("12,5", False, "12.5"),
        ("1,500", False, "1500"),
        ("1.500.000", False, "1500000"),
        ("1.500,5", False, "1500.5"),
        ("1,500.5", False, "1500.5"),
        ("15.000", True, "15000"),
        ("15.000", False, "15.000"),
        ("2.125", False, "2.125"),
        ("១២", False, "12"),
        ("1 500 000", False, "1500000"),
    ],
)
def test_numbers_written_the_vietnamese_khmer_or_english_way(text, thousands_dot, expected):
    assert cells.number_parse(text, thousands_dot=thousands_dot) == Decimal(expected)


@pytest.mark.parametrize("text", ["abc", "1.2.3", "-5", "1,2,3,4", "12,", ",5"])
def test_text_that_is_not_a_number(text):
    with pytest.raises(CellError):
        cells.number_parse(text)


@pytest.mark.parametrize(
    ("price", "currency", "low", "high", "code"),
    [
        ("15-22", "USD", "15", "22", "USD"),
        ("15 – 22", "USD", "15", "22", "USD"),
        ("150.000-220.000", "VND", "150000", "220000", "VND"),
        ("150.000 đ", "", "150000", "150000", "VND"),
        ("từ 15 đến 22", "USD", "15", "22", "USD"),
        ("$12", "", "12", "12", "USD"),
        ("12,50", "USD", "12.5", "12.5", "USD"),
        ("40000 ៛", "", "40000", "40000", "KHR"),
        ("15-22 USD/kg", "", "15", "22", "USD"),
    ],
)
def test_prices_and_ranges(organiser, price, currency, low, high, code):
    from producers.importing.services import import_batch_commit

    batch = import_batch_create(
        upload=upload_file(csv_bytes(table([row(price=price, currency=currency)]))),
        user=organiser,
    )
    import_batch_commit(batch=batch, user=organiser)
    product = Product.objects.get(name="Kampot black pepper")
    assert (product.price_min, product.price_max, product.currency) == (
        Decimal(low),
        Decimal(high),
        code,
    )


def test_a_reversed_price_range_is_an_error(organiser):
    preview = one_row(organiser, price="22-15")
    assert errors_of(preview, 2) == [
        ("price", "the lowest price (22.00) is more than the highest (15.00).")
    ]


def test_a_currency_that_contradicts_the_price_is_an_error(organiser):
    preview = one_row(organiser, price="150.000 đ", currency="USD")
    assert errors_of(preview, 2)[0][0] == "price"


def test_without_a_currency_the_countrys_is_used_with_a_note(organiser):
    preview = one_row(organiser, currency="")
    assert (
        "currency",
        "not given; KHR, the currency of Cambodia, is used.",
    ) in notes_of(preview, 2)


@pytest.mark.parametrize(
    ("text", "stars"),
    [("4", 4), ("4 sao", 4), ("★★★★★", 5), ("៣", 3), ("3 stars", 3), ("OCOP 4 sao", 4), ("", 0)],
)
def test_stars(text, stars):
    assert cells.stars_parse(text) == stars


def test_stars_other_than_three_four_or_five_are_an_error(organiser):
    preview = one_row(organiser, stars="2")
    assert errors_of(preview, 2) == [("stars", "“2”: OCOP and OVOP ratings are 3, 4 or 5 stars.")]


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("1-4, 11-12", [1, 2, 3, 4, 11, 12]),
        ("T11-T2", [1, 2, 11, 12]),
        ("tháng 5 - tháng 7", [5, 6, 7]),
        ("Jan-Mar; Oct", [1, 2, 3, 10]),
        ("quanh năm", list(range(1, 13))),
    ],
)
def test_months(text, months):
    mask = cells.months_parse(text)
    assert [m for m in range(1, 13) if mask & (1 << (m - 1))] == months
    assert cells.months_parse(cells.months_format(mask)) == mask


# --- Certifications -------------------------------------------------------------------------


def test_certifications_by_code_or_name_with_optional_expiry(organiser):
    preview = one_row(
        organiser, certifications="VietGAP (2035-12-31); HACCP, OCOP 4 sao: 31/12/2035"
    )
    assert errors_of(preview, 2) == []


def test_an_unknown_or_expired_certification_is_an_error(organiser):
    preview = one_row(organiser, certifications="FairTrade; HACCP (2020-01-01)")
    errors = errors_of(preview, 2)
    assert errors[0] == (
        "certifications",
        "“FairTrade” is not a certification we know; write its code or name as listed in the "
        "template (such as VIETGAP, HACCP or OCOP-4).",
    )
    assert errors[1][1].startswith("HACCP expired on")


# --- Producers ------------------------------------------------------------------------------


def test_the_kind_of_business_is_read_in_three_languages(organiser):
    _batch, preview = preview_of(
        csv_bytes(
            table(
                [
                    row(producer_name="A", kind="hợp tác xã"),
                    row(producer_name="B", kind="សហគ្រាស", phone="+855 12 000 001"),
                    row(producer_name="C", kind="Hộ gia đình", phone="+855 12 000 002"),
                ]
            )
        ),
        organiser,
    )
    assert [errors_of(preview, n) for n in (2, 3, 4)] == [[], [], []]


def test_an_empty_kind_is_taken_from_the_name_when_it_tells(organiser):
    preview = one_row(organiser, producer_name="HTX Tiêu Phú Quốc", kind="")
    assert ("kind", "not given; “Cooperative” from the name.") in notes_of(preview, 2)
    preview = one_row(organiser, producer_name="Sokha Chan", kind="")
    assert errors_of(preview, 2) == [("kind", "empty: write household, cooperative or enterprise.")]


def test_rows_of_one_producer_must_agree(organiser):
    _batch, preview = preview_of(
        csv_bytes(table([row(), row(product_name="White pepper", kind="household")])),
        organiser,
    )
    assert errors_of(preview, 3) == [
        (
            "kind",
            "“Household” differs from row 2 (“Cooperative”) for the same producer; the rows "
            "of one producer must agree.",
        )
    ]


def test_a_row_without_phone_belongs_to_the_producer_of_the_same_name(organiser):
    _batch, preview = preview_of(
        csv_bytes(table([row(), row(product_name="White pepper", phone="")])), organiser
    )
    assert preview["counts"]["producers_new"] == 1
    assert row_of(preview, 3)["pr"] == 2


def test_an_invalid_email_is_an_error(organiser):
    preview = one_row(organiser, email="sokha at example")
    assert errors_of(preview, 2) == [("email", "“sokha at example” is not an email address.")]


def test_a_producer_only_row_registers_the_producer_without_a_product(organiser):
    empty = dict.fromkeys(
        ("product_name", "category", "unit", "capacity", "min_order", "price", "currency"), ""
    )
    preview = one_row(organiser, **empty)
    assert errors_of(preview, 2) == []
    assert preview["counts"]["producers_new"] == 1
    assert preview["counts"]["products_new"] == 0


# --- Duplicates -----------------------------------------------------------------------------


def test_a_duplicate_row_is_reported_on_its_second_occurrence_and_imported_once(organiser):
    _batch, preview = preview_of(csv_bytes(table([row(), row(), row()])), organiser)
    assert row_of(preview, 2)["a"] == "new"
    assert row_of(preview, 3)["a"] == "duplicate"
    assert ("product_name", "the same product as row 2; imported once.") in notes_of(preview, 3)
    assert preview["counts"]["products_new"] == 1
    assert preview["counts"]["duplicates"] == 2


def test_the_same_product_twice_with_different_values_is_an_error(organiser):
    _batch, preview = preview_of(
        csv_bytes(table([row(), row(product_name="KAMPOT Black Pepper", price="20-25")])),
        organiser,
    )
    assert errors_of(preview, 3) == [
        (
            "product_name",
            "row 2 lists this product too, with a different Product name, Lowest price, "
            "Highest price; keep one of the two rows.",
        )
    ]


# --- The page -------------------------------------------------------------------------------


def test_the_preview_is_paginated_with_summary_counts(login, organiser):
    client = login(organiser)
    rows = [row(product_name=f"Pepper {n}") for n in range(230)]
    rows[150] = row(product_name="Pepper 150", province="Nowhere")
    response = client.post(
        reverse("importing:upload"), {"file": upload_file(csv_bytes(table(rows)))}
    )
    url = response["Location"]
    page = client.get(url).content.decode()
    assert "<strong>230</strong>rows" in page
    assert "<strong>1</strong>rows with errors" in page
    assert "Page 1 of 3" in page
    assert page.count('<tr id="row-') == 100
    last = client.get(url + "?page=3").content.decode()
    assert last.count('<tr id="row-') == 30
    errors = client.get(url + "?show=errors").content.decode()
    assert errors.count('<tr id="row-') == 1
    assert 'id="row-152"' in errors


def test_the_organiser_corrects_the_mapping_on_the_page(login, organiser):
    client = login(organiser)
    keys = ("producer_name", "kind", "village", "province", "phone", "product_name")
    cells_ = table([row()], keys=keys)
    cells_[0][4] = "Contact number"  # not a header we know
    response = client.post(reverse("importing:upload"), {"file": upload_file(csv_bytes(cells_))})
    url = response["Location"]
    page = client.get(url).content.decode()
    assert "— ignore this column —" in page
    batch_id = url.rstrip("/").rsplit("/", 1)[-1]
    mapping = {f"column_{i}": key for i, key in enumerate(keys)}
    mapping["column_4"] = ""
    from producers.importing.models import ImportBatch

    batch = ImportBatch.objects.get(pk=batch_id)
    assert batch.mapping[4] == ""
    # Two columns set to the same field are refused.
    client.post(reverse("importing:mapping", args=[batch.pk]), {**mapping, "column_4": "province"})
    batch.refresh_from_db()
    assert batch.mapping[4] == ""
    page = client.get(url).content.decode()
    assert "are both set to “Province”" in page
    client.post(reverse("importing:mapping", args=[batch.pk]), {**mapping, "column_4": "phone"})
    batch.refresh_from_db()
    assert batch.mapping[4] == "phone"


def test_units_are_reference_data():
    assert Unit.objects.filter(code__in=["kg", "t", "L", "piece"]).count() == 4
