"""Every language on a 360 px phone: sign-up, the catalogue, a product, a participant's agenda
and the organiser's forum pages fit the screen (nothing wider than it, no sideways scrolling
of the page), Khmer is drawn with a Khmer font, and the main forms work without JavaScript.

One marketplace is built per test (tests/i18n/world.py); each language gets its own browser
context with the `django_language` cookie, and logged-in pages get a session cookie made by
the test client, so no time goes into typing log-in forms. Full-page screenshots of every
page in every language are kept in test-artifacts/screenshots/."""

import subprocess

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import require
from tests.i18n.world import World, world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 360
LANGUAGES = ["en", "km", "vi"]

# Elements wider than the screen (more than 1 px out), outermost first, unless they sit in a
# container that scrolls or clips sideways and itself fits (a wide table in .table-wrap).
OVERFLOW = """
(width) => {
  const describe = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 4;
         node = node.parentElement) {
      let part = node.tagName.toLowerCase();
      if (node.id) part += '#' + node.id;
      else if (node.classList.length) part += '.' + [...node.classList].join('.');
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  // Inside a container that scrolls or clips sideways and itself fits? An absolutely placed
  // element escapes every such container up to its containing block (.visually-hidden
  // labels in a table's cells did, and made the page scroll sideways).
  const clippedInside = (el) => {
    let position = getComputedStyle(el).position;
    for (let node = el.parentElement; node && node !== document.body;
         node = node.parentElement) {
      if (position === 'fixed') return false;
      const style = getComputedStyle(node);
      if (position === 'absolute' && style.position === 'static') continue;
      if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) {
        return node.getBoundingClientRect().right <= width + 1;
      }
      position = style.position;
    }
    return false;
  };
  const outside = (box) => (box.width > 0 || box.height > 0)
    && (box.right > width + 1 || box.left < -1);
  const found = [];
  const report = (el, box) => {
    const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    found.push(`${describe(el)} [${Math.round(box.left)}..${Math.round(box.right)}px] ${text}`);
  };
  // Boxes: the outermost element that sticks out.
  for (const el of document.body.querySelectorAll('*')) {
    if (!outside(el.getBoundingClientRect()) || clippedInside(el)) continue;
    const parent = el.parentElement;
    if (parent !== document.body && outside(parent.getBoundingClientRect())
        && !clippedInside(parent)) continue;
    report(el, el.getBoundingClientRect());
  }
  // Text (a long word, say) spilling out of a box that itself fits.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    const el = node.parentElement;
    if (outside(box) && !outside(el.getBoundingClientRect()) && !clippedInside(el)) {
      report(el, box);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, offenders: [...new Set(found)]};
}
"""


def session_cookie(user, url: str) -> dict:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": url}


def phone_context(browser, live_server, language: str, **options):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": WIDTH, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale={"en": "en-GB", "km": "km-KH", "vi": "vi-VN"}[language],
        **options,
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    context.set_default_timeout(15_000)
    return context


def fits(page) -> list[str]:
    """What is wider than the screen on this page (empty when everything fits)."""
    result = page.evaluate(OVERFLOW, WIDTH)
    problems = result["offenders"][:8]
    if result["scrollWidth"] > WIDTH:
        problems.insert(0, f"the page scrolls sideways: scrollWidth {result['scrollWidth']}px")
    return problems


def key_pages(world: World) -> list[tuple[str, object, str]]:
    """(name, user or None, url): the pages issue #7 names, and the organiser's forum pages."""
    forum = world.forum.pk
    return [
        ("signup", None, reverse("account_signup")),
        ("catalogue", None, reverse("catalogue:list")),
        ("product", None, reverse("catalogue:detail", args=[world.product.pk])),
        ("agenda", world.buyer_user, reverse("forum_pages:agenda", args=[forum])),
        ("forum", world.organiser, reverse("forum_pages:detail", args=[forum])),
        ("forum-dashboard", world.organiser, reverse("forum_pages:dashboard", args=[forum])),
        (
            "draft-review",
            world.organiser,
            reverse("forum_pages:run", args=[forum, world.draft_run.pk]),
        ),
        ("meetings", world.organiser, reverse("forum_pages:meetings", args=[forum])),
    ]


def other_pages(world: World) -> list[tuple[str, object, str]]:
    """More pages, checked for width in the language with the longest words (no screenshots)."""
    forum, need = world.forum.pk, world.need.pk
    producer, buyer, organiser = world.producer_user, world.buyer_user, world.organiser
    return [
        ("home", None, reverse("home")),
        ("login", None, reverse("account_login")),
        ("producer-dashboard", producer, reverse("producers:dashboard")),
        ("listing", producer, reverse("producers:product_detail", args=[world.product.pk])),
        ("listing-form", producer, reverse("producers:product_edit", args=[world.draft.pk])),
        ("needs", producer, reverse("buyers:needs_for_producer")),
        ("need", producer, reverse("buyers:need_detail", args=[need])),
        ("incoming", producer, reverse("forums:requests_incoming")),
        ("request", producer, reverse("forums:request_detail", args=[world.request.pk])),
        ("buyer-dashboard", buyer, reverse("buyers:dashboard")),
        ("need-form", buyer, reverse("buyers:need_create")),
        ("my-forums", buyer, reverse("forum_pages:mine")),
        ("review-queue", organiser, reverse("producers:review_queue")),
        ("import", organiser, reverse("importing:upload")),
        ("forum-form", organiser, reverse("forum_pages:edit", args=[forum])),
        ("participants", organiser, reverse("forum_pages:participants", args=[forum])),
        ("schedule", organiser, reverse("forum_pages:schedule", args=[forum])),
        ("matching-weights", organiser, reverse("matching:weights")),
    ]


def drawn_with(page, selector: str) -> list[tuple[str, int]]:
    """The fonts Chromium really drew the element's text with, and how many glyphs each."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return [(font["familyName"], font["glyphCount"]) for font in fonts]


def log_in_as(context, live_server, user) -> None:
    context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    if user is not None:
        context.add_cookies([session_cookie(user, live_server.url)])


def test_pages_fit_a_360px_phone_in_every_language(browser, live_server, screenshot):
    world = world_build()
    problems = []
    for language in LANGUAGES:
        context = phone_context(browser, live_server, language)
        page = context.new_page()
        shown = key_pages(world)
        current = None
        for name, user, url in shown + (other_pages(world) if language == "km" else []):
            if user != current:
                log_in_as(context, live_server, user)
                current = user
            response = page.goto(url)
            assert response.ok, f"{language} {name} ({url}): HTTP {response.status}"
            assert page.locator("html").get_attribute("lang") == language, (language, name)
            if (name, user, url) in shown:
                screenshot(page, f"{language}-{name}")
            problems += [f"{language} {name} ({url}): {p}" for p in fits(page)]
        context.close()
    assert not problems, "wider than a 360 px screen:\n" + "\n".join(problems)


def test_khmer_is_drawn_with_a_khmer_font(browser, live_server):
    """The Khmer font stack in site.css finds an installed Khmer font: every glyph of a Khmer
    heading comes from it (no boxes, no fallback drawing)."""
    listing = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    require("khmer" in listing.lower(), "a Khmer font (fonts-khmeros or fonts-noto-core)")
    context = phone_context(browser, live_server, "km")
    page = context.new_page()
    page.goto(reverse("catalogue:list"))
    fonts = drawn_with(page, "h1")
    khmer = sum(count for family, count in fonts if "khmer" in family.lower())
    assert khmer and khmer == sum(count for _, count in fonts), fonts
    context.close()


def test_sign_up_search_and_language_switch_work_without_javascript(
    browser, live_server, screenshot, mailoutbox
):
    """In Khmer, with JavaScript off: search the catalogue, sign up, switch the language."""
    world = world_build()
    context = phone_context(browser, live_server, "km", java_script_enabled=False)
    page = context.new_page()

    page.goto(reverse("catalogue:list"))
    page.locator("#id_q").fill("pepper")
    page.locator("form[role=search] button").first.click()
    page.wait_for_url("**/catalogue/?**q=pepper**")
    cards = page.locator("main").get_by_text(world.product.name)
    assert cards.count() >= 1, page.locator("main").inner_text()
    assert page.get_by_text("Kep sea salt flowers").count() == 0
    screenshot(page, "search")
    assert not fits(page)

    page.goto(reverse("account_signup"))
    page.locator("#id_email").fill("sophea@example.org")
    page.locator("#id_full_name").fill("Sophea")
    page.locator("input[name=role][value=producer]").check()
    page.locator("#id_password1").fill("kampot-pepper-2024")
    page.locator("#id_password2").fill("kampot-pepper-2024")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/confirm-email/")
    assert [m.to for m in mailoutbox if "sophea@example.org" in m.to] == [["sophea@example.org"]]
    screenshot(page, "signed-up")

    # The language switcher is a plain form with a button.
    page.locator("#lang-select").select_option("vi")
    page.locator("form.lang button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "vi"
    context.close()
