"""Assisted registration in a real browser: an organiser uploads a committee's spreadsheet,
sees row errors, fixes how a column is read on the page, imports the file, prints claim
codes; a producer claims their business with one."""

import re

import pytest

from accounts.services import organiser_create
from producers.models import Producer, Product
from tests.producers.test_import_builders import csv_bytes, row, table

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


KEYS = (
    "producer_name",
    "kind",
    "village",
    "province",
    "phone",
    "product_name",
    "category",
    "unit",
    "capacity",
    "price",
    "currency",
)


def ben_tre_file() -> bytes:
    """Two households with the same name in one province, told apart only by their phone,
    in a column headed "Contact number", which the import does not recognise."""
    common = {"producer_name": "Hộ Nguyễn Văn An", "kind": "hộ gia đình", "province": "Bến Tre"}
    cells = table(
        [
            row(
                **common,
                village="Thôn 1, xã Phú Lễ",
                phone="0912 111 222",
                product_name="Kẹo dừa",
                category="G1.3c",
                unit="kg",
                capacity="2 tấn",
                price="60.000-80.000",
                currency="VND",
            ),
            row(
                **common,
                village="Thôn 3, xã Phú Lễ",
                phone="0913 333 444",
                product_name="Bánh tráng",
                category="G1.3b",
                unit="kg",
                capacity="៥០០ គីឡូ",
                price="40.000",
                currency="VND",
            ),
        ],
        keys=KEYS,
        language="vi",
    )
    cells[0][KEYS.index("phone")] = "Contact number"
    return csv_bytes(cells, bom=True)


def log_in(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_organiser_imports_a_file_fixes_a_column_and_a_producer_claims_the_business(
    page, live_server, screenshot
):
    organiser_create(email="ocop@bentre.example.org", password="organiser-pass-1")
    log_in(page, "ocop@bentre.example.org", "organiser-pass-1")

    # 1. Upload from the Import page.
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("Spreadsheet").set_input_files(
        files=[{"name": "ben-tre.csv", "mimeType": "text/csv", "buffer": ben_tre_file()}]
    )
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r"/organiser/import/[0-9a-f-]+/$"))

    # 2. Without phones the two households look like one that disagrees with itself.
    errors = page.locator("#row-errors")
    assert errors.is_visible()
    assert "Row 3, village or commune:" in errors.inner_text()
    assert "differs from row 2" in errors.inner_text()
    assert page.get_by_text("Not ready to import").is_visible()
    assert page.get_by_text("“Bến Tre” is now part of Vĩnh Long").first.is_visible() or (
        page.get_by_text("“Bến Tre” is now part of Vinh Long").first.is_visible()
    )
    screenshot(page, "preview-with-errors")

    # 3. The unrecognised column is ignored; the organiser says it holds the phone.
    contact = page.get_by_label("Contact number")
    assert contact.input_value() == ""
    contact.select_option("phone")
    page.get_by_role("button", name="Read the columns this way").click()
    assert page.get_by_text("The columns are set; every row was checked again.").is_visible()
    assert page.locator("#row-errors").count() == 0
    summary = page.locator("#summary").inner_text()
    assert re.search(r"2\s*new producers", summary), summary
    screenshot(page, "preview-fixed")

    # 4. Import; the listings wait for review.
    page.get_by_role("button", name="Import 2 rows").click()
    page.wait_for_url(re.compile(r"/done/$"))
    assert Producer.objects.filter(name="Hộ Nguyễn Văn An").count() == 2
    assert set(Product.objects.values_list("status", flat=True)) == {"submitted"}
    assert Producer.objects.get(phone="0912 111 222").province.name_vi == "Vĩnh Long"
    screenshot(page, "imported")

    # 5. Claim codes for commune officers to hand out.
    page.get_by_role("link", name="Claim codes for the producers of this file").click()
    page.get_by_role(
        "button", name="Print codes for every unclaimed producer of this import"
    ).click()
    codes = page.get_by_test_id("claim-code").all_inner_texts()
    assert len(codes) == 2 and all(
        re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", c) for c in codes
    )
    screenshot(page, "claim-codes")
    page.get_by_role("link", name="Back to the claim codes").click()
    page.get_by_role("button", name="Log out").click()

    # 6. A producer takes over their business with a code.
    page.goto("/claim/")
    page.get_by_label("Claim code").fill(codes[0].lower())
    page.get_by_label("Your email address").fill("an.nguyen@example.org")
    page.get_by_label("Your name").fill("Nguyễn Văn An")
    page.get_by_label("Choose a password").fill("keo-dua-ben-tre-2025")
    page.get_by_role("button", name="Claim my business").click()
    page.wait_for_url(re.compile(r"/producer/"))
    assert page.get_by_text("is now yours").is_visible()
    screenshot(page, "claimed")
    claimed = Producer.objects.filter(members__email="an.nguyen@example.org")
    assert claimed.count() == 1

    # The same code does not work twice.
    page.get_by_role("button", name="Log out").click()
    page.goto("/claim/")
    page.get_by_label("Claim code").fill(codes[0])
    page.get_by_label("Your email address").fill("someone.else@example.org")
    page.get_by_label("Choose a password").fill("keo-dua-ben-tre-2025")
    page.get_by_role("button", name="Claim my business").click()
    assert page.get_by_text("This code has been used already").first.is_visible()


def test_the_preview_fits_a_phone_screen_without_javascript(browser, live_server, screenshot):
    organiser_create(email="ocop@kampot.example.org", password="organiser-pass-2")
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 360, "height": 740},
        java_script_enabled=False,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, "ocop@kampot.example.org", "organiser-pass-2")
        page.goto("/organiser/import/")
        data = csv_bytes(table([row(), row(product_name="Long pepper", capacity="2 bao")]))
        page.get_by_label("Spreadsheet").set_input_files(
            files=[{"name": "kampot.csv", "mimeType": "text/csv", "buffer": data}]
        )
        page.get_by_role("button", name="Upload and check").click()
        assert page.get_by_text("Row 3, monthly capacity:").is_visible()
        assert page.locator("#row-errors li").count() == 1, page.locator("#row-errors").inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, width
        screenshot(page, "preview-360px")
    finally:
        context.close()
