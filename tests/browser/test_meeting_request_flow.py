"""A meeting request in a real browser: a buyer searches the catalogue, opens a product and asks
its producer to meet at a forum; the producer logs in and accepts it on the incoming page; the
buyer sees it accepted on the outgoing page, with the producer's contact details. The pages
are also checked at 360 px wide."""

import re

import pytest
from playwright.sync_api import expect

from accounts.services import user_create_verified
from forums.models import Meeting, MeetingRequest
from tests.factories import BuyerFactory, ForumFactory, ProducerFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUYER_EMAIL, BUYER_PASSWORD = "alice@greenmart.example", "green-mart-2026"
PRODUCER_EMAIL, PRODUCER_PASSWORD = "sokha@kampot.example", "kampot-pepper-2026"


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def too_wide_for_a_phone(page, screenshot, name: str) -> list[str]:
    """The elements that stick out of a 360 px screen (none, on a page that fits)."""
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, f"{name}-phone")
    too_wide = page.evaluate(
        """() => document.documentElement.scrollWidth <= 360 ? [] :
        [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 360)
            .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))"""
    )
    page.set_viewport_size({"width": 1024, "height": 800})
    return too_wide


def test_buyer_requests_a_meeting_that_the_producer_accepts(page, live_server, screenshot):
    buyer_user = user_create_verified(
        email=BUYER_EMAIL, password=BUYER_PASSWORD, role="buyer", full_name="Alice Nguyen"
    )
    BuyerFactory(name="Green Mart", members=[buyer_user])
    producer_user = user_create_verified(
        email=PRODUCER_EMAIL, password=PRODUCER_PASSWORD, role="producer", full_name="Sokha Chan"
    )
    coop = ProducerFactory(
        name="Kampot Pepper Coop", members=[producer_user], phone="+855 12 345 678"
    )
    ProductFactory(producer=coop, name="Kampot black pepper", approved=True)
    ProductFactory(producer=coop, name="Palm sugar", approved=True)
    ForumFactory(name="Kampot OVOP Forum 2026")

    # 1. The buyer finds the pepper in the catalogue and asks to meet at the forum.
    log_in(page, BUYER_EMAIL, BUYER_PASSWORD)
    page.goto("/catalogue/")
    page.get_by_role("search").get_by_label("Search").fill("black pepper")
    page.get_by_role("search").get_by_label("Search").press("Enter")
    page.wait_for_url(re.compile(r"q=black"))
    page.get_by_role("link", name="Kampot black pepper").first.click()
    expect(page.get_by_role("heading", name="Kampot black pepper")).to_be_visible()
    page.get_by_role("link", name="Request a meeting").click()
    page.get_by_label("Kampot OVOP Forum 2026").check()
    page.get_by_label("Message").fill("Could you supply 200 kg a month?")
    assert not too_wide_for_a_phone(page, screenshot, "request-form")
    screenshot(page, "request-form")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request is sent")).to_be_visible()
    expect(page.get_by_text("Waiting for an answer")).to_be_visible()
    screenshot(page, "request-sent")
    log_out(page)

    # 2. The producer accepts it on the incoming page.
    log_in(page, PRODUCER_EMAIL, PRODUCER_PASSWORD)
    page.get_by_role("link", name="Meeting requests").click()
    card = page.locator(".request").filter(has_text="Green Mart")
    expect(card).to_contain_text("Waiting for an answer")
    expect(card).to_contain_text("Could you supply 200 kg a month?")
    assert not too_wide_for_a_phone(page, screenshot, "incoming")
    screenshot(page, "incoming")
    card.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("You accepted the meeting request")).to_be_visible()
    expect(card).to_contain_text("Accepted")
    screenshot(page, "accepted")
    log_out(page)

    # 3. The buyer sees it accepted, and can now reach the producer.
    log_in(page, BUYER_EMAIL, BUYER_PASSWORD)
    page.get_by_role("link", name="Meeting requests").click()
    page.get_by_role("link", name="Sent").click()
    card = page.locator(".request").filter(has_text="Kampot Pepper Coop")
    expect(card).to_contain_text("Accepted")
    screenshot(page, "outgoing")
    card.get_by_role("link", name="Kampot Pepper Coop").click()
    expect(page.get_by_text(PRODUCER_EMAIL)).to_be_visible()
    expect(page.get_by_text("Not scheduled yet")).to_be_visible()
    assert not too_wide_for_a_phone(page, screenshot, "detail")
    screenshot(page, "detail")

    meeting_request = MeetingRequest.objects.get()
    assert meeting_request.status == MeetingRequest.Status.ACCEPTED
    assert Meeting.objects.get().request == meeting_request
