"""The main pages need no JavaScript and fit a 360 px screen, in every language, as each
kind of user (issue #7): the demo data, Chromium with JavaScript off, a phone-sized window."""

import io

import pytest
from django.core.management import call_command

from forums.management.commands.seed_demo import (
    BUYER_EMAIL,
    DEMO_PASSWORD,
    ORGANISER_EMAIL,
    PRODUCER_EMAIL,
)

LANGUAGES = ["en", "km", "vi"]

# --- 360 px, without JavaScript -------------------------------------------------------------

NARROW_PAGES = {
    None: ["/", "/catalogue/", "/catalogue/?q=pepper", "product", "/accounts/signup/"],
    PRODUCER_EMAIL: ["/producer/", "agenda"],
    BUYER_EMAIL: ["/buyer/", "agenda"],
    ORGANISER_EMAIL: ["dashboard"],
}
# What sticks out of the screen, but for what scrolls inside its own box (.table-wrap).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const inScrollBox = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !inScrollBox(e))
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))
    .slice(0, 5)
    .concat(document.documentElement.scrollWidth > width ? ['(page scrolls sideways)'] : []);
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_main_pages_fit_360_px_without_javascript_in_every_language(browser, live_server):
    from forums.models import Forum
    from producers.models import Product

    call_command("seed_demo", stdout=io.StringIO())
    forum = Forum.objects.get()
    named = {
        "product": f"/catalogue/{Product.objects.approved().order_by('pk').first().pk}/",
        "agenda": f"/forums/{forum.pk}/agenda/",
        "dashboard": f"/forums/{forum.pk}/dashboard/",
    }
    problems = []
    for email, paths in NARROW_PAGES.items():
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": 360, "height": 740},
            java_script_enabled=False,
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        if email:  # logging in is a plain form too
            page.goto("/accounts/login/")
            page.locator("input[name=login]").fill(email)
            page.locator("input[name=password]").fill(DEMO_PASSWORD)
            page.locator("main form [type=submit]").first.click()
            page.wait_for_load_state()
        for language in LANGUAGES:
            context.add_cookies(
                [{"name": "django_language", "value": language, "url": live_server.url}]
            )
            for path in paths:
                path = named.get(path, path)
                response = page.goto(path)
                where = f"{path} ({language}, {email or 'anonymous'})"
                if response.status != 200 or page.url != live_server.url + path:
                    problems.append(f"{where}: {response.status} at {page.url}")
                    continue
                if page.locator("html").get_attribute("lang") != language:
                    problems.append(f"{where}: not in {language}")
                sticking_out = page.evaluate(OVERFLOW)
                if sticking_out:
                    problems.append(f"{where}: {sticking_out}")
        context.close()
    assert problems == []
