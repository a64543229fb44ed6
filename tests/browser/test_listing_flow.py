"""The foundation flow in a real browser: a producer signs up, verifies the address from the
email a real SMTP server received, lists a product with a photo and submits it; an organiser
approves it; it appears in the public catalogue."""

import io
import re

import pytest
from PIL import Image

from accounts.services import organiser_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (31, 111, 74)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_producer_lists_a_product_that_an_organiser_approves_into_the_catalogue(
    page, live_server, smtp_server, screenshot
):
    organiser_create(email="review@ocop.example.org", password="organiser-pass-1")

    # 1. Sign up as a producer and follow the link from the email.
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("sokha@kampot.example.org")
    page.get_by_label("Your name").fill("Sokha Chan")
    page.get_by_label("Producer").check()
    page.locator("#id_password1").fill("kampot-pepper-2024")
    page.locator("#id_password2").fill("kampot-pepper-2024")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    assert len(smtp_server.messages) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", smtp_server.bodies()[0])
    assert link, smtp_server.bodies()[0]
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="Go to my listings").click()

    # 2. Business profile, then a product with a photo, submitted for review.
    page.wait_for_url(re.compile(r"/producer/profile/new/"))
    page.get_by_label("Business name").fill("Kampot Pepper Cooperative")
    page.get_by_label("Kind of business").select_option("cooperative")
    page.get_by_label("Village or commune").fill("Trapeang Sangke")
    page.get_by_label("Province").select_option(label="Kampot")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Add a product").click()
    page.get_by_label("Category").select_option(
        label="Other spices and seasonings (salt, shallot, garlic, pepper...)"
    )
    page.locator("#id_name").fill("Kampot black pepper")
    page.get_by_label("Unit of sale").select_option(label="kilogram (kg)")
    page.locator("#id_capacity").fill("2")
    page.get_by_label("Unit of the monthly capacity").select_option(label="tonne (t)")
    page.get_by_role("button", name="Save").click()
    page.get_by_label("Add photos").set_input_files(
        files=[{"name": "pepper.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("button", name="Submit for review").click()
    assert page.get_by_text("Waiting for review").first.is_visible()
    screenshot(page, "submitted")
    page.get_by_role("button", name="Log out").click()

    # Not public yet.
    page.goto("/catalogue/")
    assert page.get_by_text("Kampot black pepper").count() == 0

    # 3. The organiser approves it from the review queue.
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("review@ocop.example.org")
    page.get_by_label("Password").fill("organiser-pass-1")
    page.get_by_role("button", name="Log in").click()
    page.goto("/review/")
    assert page.get_by_text("Kampot black pepper").first.is_visible()
    screenshot(page, "review-queue")
    page.get_by_role("button", name="Approve").click()
    page.get_by_role("button", name="Log out").click()

    # 4. Anyone sees it in the catalogue, and the producer was told.
    page.goto("/catalogue/")
    page.get_by_role("link", name="Kampot black pepper").first.click()
    assert page.get_by_role("heading", name="Kampot black pepper").is_visible()
    screenshot(page, "catalogue-detail")
    subjects = [message["Subject"] for message in smtp_server.messages]
    assert any("approved" in subject.lower() for subject in subjects), subjects
