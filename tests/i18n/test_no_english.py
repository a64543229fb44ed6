"""Key pages read entirely in Khmer or Vietnamese: no English word is left in their visible
text (text nodes, and the title, placeholder, aria-label, alt and button values people see or
hear), apart from the names of things people typed in and a few words that never translate.

A word counts as English when it is made of 3 or more Latin letters and is neither a word the
language's own catalogue keeps in Latin script (codes, units, file formats, Vietnamese words
written without diacritics) nor part of a name from the reference tables in that language."""

import re
import unicodedata
from functools import partial
from html.parser import HTMLParser
from itertools import chain
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from babel import Locale
from babel.messages.pofile import read_po
from django.urls import reverse

from taxonomy.models import Category, Certification, Country, Province, Unit
from tests.i18n.world import PASSWORD, World, world_build

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "locale"
# A word: letters with their combining marks (Vietnamese tones, Khmer vowel signs), so that
# only words written wholly in plain Latin letters are taken for possible English.
WORD = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f\u17b4-\u17d3])+")
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")
EMAIL = re.compile(r"\S+@\S+")
URL = re.compile(r"\b(?:https?://|webcal://|/)\S*")
# Never translated (docs/glossary.md): the brand, programmes, codes and currency codes, and
# each language's own name in the language switcher.
ALWAYS_ALLOWED = {
    "forum", "market", "ovop", "ocop", "usd", "khr", "vnd", "thb", "eur", "cny", "jpy",
    "english", "haccp", "vietgap", "iso", "csv", "xlsx", "ics", "pdf", "jpeg",
    "png", "webp", "excel",
}  # fmt: skip
# Words a language borrows as they are (their translations equal the English).
BORROWED = {"km": {"tab"}, "vi": {"email", "logo", "halal", "tab"}}
SKIPPED_TAGS = {"script", "style", "template"}
ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "aria-description"}
BUTTON_INPUTS = {"submit", "button", "reset"}


class VisibleText(HTMLParser):
    """The text a person sees or hears on the page, one piece per text node or attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIPPED_TAGS:
            self.skipping += 1
            return
        for name in ATTRIBUTES & attrs.keys():
            self.pieces.append(attrs[name] or "")
        if tag == "input" and (attrs.get("type") or "").lower() in BUTTON_INPUTS:
            self.pieces.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.pieces.append(data)


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.pieces


def latin_words(text: str) -> list[str]:
    """The words of `text` written in plain Latin letters, 3 letters or more."""
    words = WORD.findall(unicodedata.normalize("NFC", text))
    return [word for word in words if ASCII_WORD.fullmatch(word)]


def _tokens(text: str) -> set[str]:
    return {word.lower() for word in latin_words(text)}


def forms(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


@pytest.fixture(scope="module")
def catalogue_words() -> dict[str, set[str]]:
    """Per language, the words its catalogue's translations use (so: not English there)."""
    words = {}
    for language in ("km", "vi"):
        with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as po:
            catalogue = read_po(po, locale=language)
        found = set()
        for message in catalogue:
            strings, english = forms(message.string), forms(message.id)
            # A "translation" that is the English text again vouches for no word.
            if not message.id or set(strings) <= set(english):
                continue
            for string in strings:
                # Placeholders are replaced by values when the page renders.
                found |= _tokens(re.sub(r"%\(\w+\)[sd]|\{\w*\}", " ", string or ""))
        words[language] = found
    return words


def reference_words(language: str) -> set[str]:
    """Words of the reference rows' names in `language` (Kampot stays Kampot in Vietnamese)."""
    found = set()
    for model in (Country, Province, Category, Certification, Unit):
        for row in model.objects.all():
            found |= _tokens(getattr(row, f"name_{language}") or row.name_en)
            found |= _tokens(getattr(row, "code", ""))
            found |= _tokens(getattr(row, "symbol", ""))
    return found


def calendar_words(language: str) -> set[str]:
    """Words of CLDR's month and day names (Vietnamese abbreviates "tháng 1" as "thg 1")."""
    locale = Locale.parse(language)
    found = set()
    for width in ("wide", "abbreviated", "short", "narrow"):
        for context in ("format", "stand-alone"):
            for names in (locale.months, locale.days):
                found |= _tokens(" ".join(names.get(context, {}).get(width, {}).values()))
    return found


def leftover_english(pieces: list[str], typed: list[str], allowed: set[str]) -> dict[str, list]:
    """The pieces of text with English-looking words left in them, and those words."""
    found = {}
    for piece in pieces:
        text = EMAIL.sub(" ", piece)
        for content in sorted(typed, key=len, reverse=True):
            text = text.replace(content, " ")
        text = URL.sub(" ", text)
        words = [w for w in latin_words(text) if w.lower() not in allowed]
        if words:
            found.setdefault(" ".join(piece.split())[:150], words)
    return found


def pages(world: World) -> list[tuple[str, object, str]]:
    """(name, user or None, url) of the pages to read."""
    w = world
    forum, product, need = w.forum.pk, w.product.pk, w.need.pk
    run = "forum_pages:run"
    return [
        ("home", None, reverse("home")),
        ("catalogue", None, reverse("catalogue:list")),
        ("catalogue search", None, reverse("catalogue:list") + "?q=pepper"),
        ("catalogue, nothing found", None, reverse("catalogue:list") + "?q=zzzzzz"),
        ("product", None, reverse("catalogue:detail", args=[product])),
        ("sign-up", None, reverse("account_signup")),
        ("log-in", None, reverse("account_login")),
        ("password reset", None, reverse("account_reset_password")),
        ("password reset sent", None, reverse("account_reset_password_done")),
        ("verification sent", None, reverse("account_email_verification_sent")),
        ("account", w.producer_user, reverse("accounts:profile")),
        ("change password", w.producer_user, reverse("account_change_password")),
        ("producer dashboard", w.producer_user, reverse("producers:dashboard")),
        ("own listing", w.producer_user, reverse("producers:product_detail", args=[product])),
        ("draft listing", w.producer_user, reverse("producers:product_detail", args=[w.draft.pk])),
        ("listing form", w.producer_user, reverse("producers:product_edit", args=[w.draft.pk])),
        ("delete listing", w.producer_user, reverse("producers:product_delete", args=[w.draft.pk])),
        ("new listing", w.producer_user, reverse("producers:product_create")),
        ("producer profile", w.producer_user, reverse("producers:profile_edit")),
        ("buyers' needs", w.producer_user, reverse("buyers:needs_for_producer")),
        ("a buyer's need", w.producer_user, reverse("buyers:need_detail", args=[need])),
        ("suggested buyers", w.producer_user, reverse("matching:producer_suggestions")),
        ("incoming requests", w.producer_user, reverse("forums:requests_incoming")),
        ("a request", w.producer_user, reverse("forums:request_detail", args=[w.request.pk])),
        ("producer's forums", w.producer_user, reverse("forum_pages:mine")),
        ("producer's agenda", w.producer_user, reverse("forum_pages:agenda", args=[forum])),
        ("forum registration", w.producer_user, reverse("forum_pages:register", args=[forum])),
        ("availability", w.producer_user, reverse("forum_pages:availability", args=[forum])),
        ("buyer dashboard", w.buyer_user, reverse("buyers:dashboard")),
        ("buyer profile", w.buyer_user, reverse("buyers:profile")),
        ("need form", w.buyer_user, reverse("buyers:need_create")),
        ("need edit", w.buyer_user, reverse("buyers:need_edit", args=[need])),
        ("need suggestions", w.buyer_user, reverse("matching:need_suggestions", args=[need])),
        ("outgoing requests", w.buyer_user, reverse("forums:requests_outgoing")),
        ("request form", w.buyer_user, reverse("forums:request_create", args=[product])),
        ("buyer's forums", w.buyer_user, reverse("forum_pages:mine")),
        ("buyer's agenda", w.buyer_user, reverse("forum_pages:agenda", args=[forum])),
        ("review queue", w.organiser, reverse("producers:review_queue")),
        ("reject", w.organiser, reverse("producers:review_reject", args=[w.submitted.pk])),
        ("import", w.organiser, reverse("importing:upload")),
        ("claim codes", w.organiser, reverse("importing:claims")),
        ("claim", None, reverse("importing:claim")),
        ("forums", w.organiser, reverse("forum_pages:list")),
        ("new forum", w.organiser, reverse("forum_pages:create")),
        ("forum", w.organiser, reverse("forum_pages:detail", args=[forum])),
        ("forum edit", w.organiser, reverse("forum_pages:edit", args=[forum])),
        ("participants", w.organiser, reverse("forum_pages:participants", args=[forum])),
        ("schedule", w.organiser, reverse("forum_pages:schedule", args=[forum])),
        ("draft run review", w.organiser, reverse(run, args=[forum, w.draft_run.pk])),
        ("published run", w.organiser, reverse(run, args=[forum, w.published_run.pk])),
        ("meetings", w.organiser, reverse("forum_pages:meetings", args=[forum])),
        ("forum dashboard", w.organiser, reverse("forum_pages:dashboard", args=[forum])),
        ("matching runs", w.organiser, reverse("matching:runs")),
        ("matching weights", w.organiser, reverse("matching:weights")),
    ]


def account_steps(world: World, language: str):
    """Forms sent with mistakes, then the sign-up, confirmation, log-in and log-out path:
    (name, user or None, url, POST data); the page checked is the one redirects end on."""
    signup, login = reverse("account_signup"), reverse("account_login")
    new = f"sophea-{language}@example.org"
    yield "sign-up errors", None, signup, {"email": "sophea", "password1": "1", "password2": "2"}
    yield "sign-up, weak password", None, signup, {
        "email": new, "password1": "12345678", "password2": "12345678",
        "full_name": "Sophea", "role": "producer", "language": language,
    }  # fmt: skip
    yield "signed up", None, signup, {
        "email": new, "password1": PASSWORD, "password2": PASSWORD,
        "full_name": "Sophea", "role": "producer", "language": language,
    }  # fmt: skip
    address = EmailAddress.objects.get(email=new)
    confirm = reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])
    yield "confirm email", None, confirm, None
    yield "email confirmed", None, confirm, {}
    yield "log-in errors", None, login, {"login": world.buyer_user.email, "password": "wrong"}
    yield "logged in", None, login, {"login": world.buyer_user.email, "password": PASSWORD}
    yield "logged out", world.buyer_user, reverse("account_logout"), {}
    yield "password reset asked", None, reverse("account_reset_password"), {"email": new}
    bad_key = reverse("account_reset_password_from_key", kwargs={"uidb36": "1", "key": "x-y"})
    yield "password reset, bad link", None, bad_key, None


def read(client, language, name, user, url, data=None) -> str | None:
    """The final page's HTML, or None (and a failure) when it is not a 200 in `language`."""
    client.logout()
    if user is not None:
        client.force_login(user)
    client.cookies["django_language"] = language
    send = client.get if data is None else partial(client.post, data=data)
    response = send(url, follow=True)
    assert response.status_code == 200, f"{name} ({url}): HTTP {response.status_code}"
    html = response.content.decode()
    assert f'lang="{language}"' in html, f"{name} ({url}) is not served in {language}"
    return html


@pytest.mark.parametrize("language", ["km", "vi"])
def test_key_pages_have_no_english_left(client, language, catalogue_words, mailoutbox):
    world = world_build()
    allowed = ALWAYS_ALLOWED | BORROWED[language] | catalogue_words[language]
    allowed |= reference_words(language)
    allowed |= calendar_words(language)
    typed = [*world.content, "Sophea", "zzzzzz", "pepper"]
    steps = [(name, user, url, None) for name, user, url in pages(world)]
    failures = []
    # The account steps are a generator: each step's data may depend on the one before.
    for name, user, url, data in chain(steps, account_steps(world, language)):
        html = read(client, language, name, user, url, data)
        english = leftover_english(visible_text(html), typed, allowed)
        if english:
            listed = "\n".join(f"    {text!r}: {' '.join(w)}" for text, w in english.items())
            failures.append(f"{name} ({url}):\n{listed}")
    assert not failures, f"English left on {language} pages:\n" + "\n".join(failures)
