"""The km and vi catalogues: nearly everything translated, the committed .mo files compiled
from the current .po files, and every translation keeping its msgid's placeholders (a lost or
renamed %(name)s raises KeyError when the page renders in that language)."""

import gettext
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = ["km", "vi"]
MINIMUM_SHARE = 0.99

# %(name)s, %s, %d, %.2f ... (not the %% escape). \w also matches Khmer or Vietnamese letters,
# so a translated placeholder name ("%(tên)s") shows up as a different placeholder.
PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?(?P<kind>[a-zA-Z%])")
BRACE = re.compile(r"(?<!\{)\{(\w*)\}(?!\})")
TEMPLATE_VAR = re.compile(r"\{\{\s*([\w.]+)")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b")


def catalogue(language: str):
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module", params=LANGUAGES)
def language(request):
    return request.param


@pytest.fixture(scope="module")
def messages(language):
    """(catalogue, the non-obsolete messages with a msgid)."""
    cat = catalogue(language)
    return cat, [m for m in cat if m.id]


def forms(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def sources(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def is_translated(message) -> bool:
    return not message.fuzzy and all(forms(message))


def percent_placeholders(text: str) -> tuple[Counter, int]:
    """Named placeholders (with their conversion) and the number of positional ones."""
    named, positional = Counter(), 0
    for match in PERCENT.finditer(text):
        if match["kind"] == "%":
            continue
        if match["name"] is None:
            positional += 1
        else:
            named[match["name"]] += 1
    return named, positional


def test_at_least_99_percent_of_messages_are_translated(messages, language):
    cat, msgs = messages
    missing = [m for m in msgs if not is_translated(m)]
    share = 1 - len(missing) / len(msgs)
    listed = "\n".join(f"  {'(fuzzy) ' if m.fuzzy else ''}{sources(m)[0]!r}" for m in missing)
    assert share >= MINIMUM_SHARE, (
        f"{language}: {len(msgs) - len(missing)} of {len(msgs)} messages translated "
        f"({share:.1%}); untranslated or fuzzy:\n{listed}"
    )


def test_the_committed_mo_matches_the_po(language):
    """Compiling the .po now gives exactly the committed .mo (a forgotten compilemessages
    fails here). Fuzzy messages are left out, as msgfmt does by default."""
    cat = catalogue(language)
    compiled = io.BytesIO()
    write_mo(compiled, cat)
    compiled.seek(0)
    expected = gettext.GNUTranslations(compiled)._catalog
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        committed = gettext.GNUTranslations(mo)._catalog
    expected.pop("", None)  # the headers, which each compiler writes its own way
    committed.pop("", None)
    stale = sorted(
        (
            repr(key)[:90]
            for key in expected.keys() | committed.keys()
            if expected.get(key) != committed.get(key)
        ),
    )
    assert not stale, (
        f"locale/{language}/LC_MESSAGES/django.mo is out of date with django.po for "
        f"{len(stale)} messages (run `manage.py compilemessages`), e.g.:\n  "
        + "\n  ".join(stale[:15])
    )


def test_translations_keep_their_placeholders(messages, language):
    cat, msgs = messages
    problems = []
    for m in msgs:
        if not is_translated(m):
            continue
        ids = sources(m)
        plural = len(ids) > 1
        flags = m.flags
        source_named, source_positional = Counter(), 0
        for text in ids:
            named, positional = percent_placeholders(text)
            source_named |= named
            source_positional = max(source_positional, positional)
        for form in forms(m):
            where = f"{ids[0]!r} → {form!r}"
            if "python-format" in flags:
                named, positional = percent_placeholders(form)
                if plural:
                    # A plural form may drop the count ("One slot"), never add a name.
                    if set(named) - set(source_named):
                        problems.append(f"unknown placeholder in {where}")
                elif set(named) != set(source_named):
                    problems.append(f"placeholders differ in {where}")
                if positional != source_positional:
                    problems.append(f"positional %s count differs in {where}")
                values = dict.fromkeys(source_named, 1)
                try:
                    form % (values if source_named else (1,) * source_positional)
                except (KeyError, ValueError, TypeError) as error:
                    problems.append(f"{type(error).__name__}: {error} formatting {where}")
            if "python-brace-format" in flags and set(BRACE.findall(form)) != set(
                BRACE.findall(ids[0])
            ):
                problems.append(f"{{braces}} differ in {where}")
            if set(TEMPLATE_VAR.findall(form)) != set(TEMPLATE_VAR.findall(ids[-1])):
                problems.append(f"{{{{ template variables }}}} differ in {where}")
            if Counter(TAG.findall(form)) != Counter(TAG.findall(ids[-1])):
                problems.append(f"HTML tags differ in {where}")
    assert not problems, f"{language}: {len(problems)} broken translations:\n  " + "\n  ".join(
        problems
    )


def test_no_obsolete_or_duplicate_messages_pile_up(language):
    """Obsolete (#~) entries are harmless but hide forgotten translations; keep them few."""
    cat = catalogue(language)
    assert len(cat.obsolete) <= 0.05 * len(cat), f"{language}: {len(cat.obsolete)} obsolete"


def _upstream_msgids() -> set[str]:
    """The msgids django-allauth and Django ship, from their compiled French catalogues
    (complete, and quick to read). A plural entry is known by its singular."""
    import allauth
    import django

    paths = [
        Path(allauth.__file__).parent / "locale/fr/LC_MESSAGES/django.mo",
        Path(django.__file__).parent / "conf/locale/fr/LC_MESSAGES/django.mo",
        Path(django.__file__).parent / "contrib/auth/locale/fr/LC_MESSAGES/django.mo",
    ]
    found = set()
    for path in paths:
        with open(path, "rb") as mo:
            for key in gettext.GNUTranslations(mo)._catalog:
                found.add(key[0] if isinstance(key, tuple) else key)
    return found


def test_upstream_messages_still_match_the_packages():
    """forum_market/upstream_messages.py names allauth's and Django's msgids so that they get
    translated here; a package upgrade that rewords one would silently bring English back."""
    import ast

    source = Path(__file__).resolve().parents[2] / "forum_market" / "upstream_messages.py"
    listed = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {
            "gettext_noop",
            "ngettext_lazy",
        }:
            listed += [a.value for a in node.args if isinstance(a, ast.Constant)][:1]
    listed = [text for text in listed if isinstance(text, str)]
    assert len(listed) > 50
    gone = [text for text in listed if text not in _upstream_msgids()]
    assert not gone, f"no longer in django-allauth or Django: {gone}"
