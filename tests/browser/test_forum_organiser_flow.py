"""The organiser's path in a real browser: create a forum with one day, (participants and
accepted meetings arrive through factories), schedule it (the eager task runs in-process),
review and publish the draft; then a buyer logs in and reads the agenda, also at 360 px."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import user_create_verified
from forums.models import Forum, Meeting
from tests.factories import (
    PASSWORD,
    BuyerFactory,
    ForumBuyerFactory,
    ForumProducerFactory,
    MeetingFactory,
    ProducerFactory,
    ProvinceFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_organiser_creates_schedules_and_publishes_a_forum_and_a_buyer_reads_the_agenda(
    page, screenshot, mailoutbox
):
    organiser = user_create_verified(
        email="lan@ocop.example", password=PASSWORD, role=User.Role.ORGANISER
    )
    province = ProvinceFactory()
    log_in(page, organiser.email)

    page.get_by_role("link", name="Forums").click()
    page.get_by_role("link", name="New forum").click()
    page.get_by_label("Name").fill("Kampot Pepper Forum")
    page.get_by_label("Province").select_option(str(province.pk))
    page.get_by_label("Venue").fill("Kampot Provincial Hall")
    page.get_by_label("Tables or booths for meetings").fill("2")
    page.locator("#id_days-0-date").fill("2026-03-10")
    page.locator("#id_days-0-morning_start").fill("08:00")
    page.locator("#id_days-0-morning_end").fill("09:40")
    page.locator("#id_days-0-afternoon_start").fill("13:00")
    page.locator("#id_days-0-afternoon_end").fill("13:45")
    screenshot(page, "create")
    page.get_by_role("button", name="Create the forum").click()
    expect(page.get_by_text("Forum created with 6 slots.")).to_be_visible()
    forum = Forum.objects.get()
    assert forum.time_zone == "Asia/Phnom_Penh"

    # Participants and their accepted meetings arrive through the request pages; here, factories.
    buyer_user = user_create_verified(
        email="dara@greenmart.example", password=PASSWORD, role=User.Role.BUYER
    )
    buyer = BuyerFactory(name="Green Mart Phnom Penh", members=[buyer_user])
    ForumBuyerFactory(forum=forum, buyer=buyer)
    producers = [ProducerFactory(name=f"Kampot Cooperative {i}") for i in range(3)]
    for i, producer in enumerate(producers):
        ForumProducerFactory(forum=forum, producer=producer, booth=f"K{i + 1}")
        MeetingFactory(forum=forum, producer=producer, buyer=buyer)

    page.get_by_role("link", name="Schedule").click()
    page.get_by_label("Time limit (seconds)").fill("5")
    page.get_by_role("button", name="Schedule the meetings").click()
    expect(page.get_by_role("heading", name=re.compile("Scheduled meetings"))).to_be_visible()
    expect(page.get_by_text("3 / 3")).to_be_visible()
    screenshot(page, "review")
    assert not Meeting.objects.filter(slot__isnull=False).exists()  # a draft until published

    page.get_by_role("button", name="Publish the schedule").click()
    expect(page.get_by_text("Schedule published")).to_be_visible()
    assert Meeting.objects.filter(slot__isnull=False).count() == 3
    assert [m.to for m in mailoutbox] == [[buyer_user.email]]
    page.get_by_role("button", name="Log out").click()

    log_in(page, buyer_user.email)
    page.get_by_role("link", name="My forums").click()
    page.get_by_role("link", name="Agenda").click()
    expect(page.get_by_role("heading", name="Green Mart Phnom Penh")).to_be_visible()
    for i, producer in enumerate(producers):
        expect(page.get_by_text(producer.name)).to_be_visible()
        expect(page.get_by_text(f"booth K{i + 1}")).to_be_visible()
    expect(page.get_by_text("Times in Asia/Phnom_Penh")).to_be_visible()
    screenshot(page, "agenda")

    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "agenda-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
