"""Light pages (issue #7): `manage.py page_weights` passes within its budgets on the demo data,
and fails when a page is over budget; list thumbnails are WebP and at most 40 KB even for a
large noisy photo; static files have hashed names and far-future cache headers. (That the
main pages need no JavaScript and fit a 360 px screen is tested in
tests/browser/test_pages_without_javascript.py.)"""

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.templatetags.static import static
from django.test import override_settings
from PIL import Image

from forums.management.commands.page_weights import PAGES
from producers.imagegenerators import LIST_THUMBNAIL_MAX_BYTES, ListThumbnail
from producers.models import ProductPhoto
from tests.factories import ProductFactory

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_STATIC = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
LANGUAGES = ["en", "km", "vi"]


def production_static(settings, root: Path) -> None:
    """Static files as production serves them: collected, hashed and precompressed, served
    by WhiteNoise from STATIC_ROOT (not from the finders, as in development and tests)."""
    settings.STATIC_ROOT = str(root)
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PRODUCTION_STATIC}
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=str(root), STORAGES={"staticfiles": PRODUCTION_STATIC}):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture(autouse=True)
def _fresh_cache():
    """ImageKit remembers in the cache which thumbnails exist; each test has its own
    MEDIA_ROOT, so a thumbnail another test made must be made again."""
    cache.clear()
    yield
    cache.clear()


def page_weights(*args) -> str:
    out = io.StringIO()
    call_command("page_weights", *args, stdout=out)
    return out.getvalue()


def page_weights_json(*args) -> dict:
    return json.loads(page_weights("--json", *args))


# --- page_weights ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_page_weights_passes_within_its_budgets_on_the_demo_data(settings, collected_static):
    production_static(settings, collected_static)
    call_command("seed_demo", stdout=io.StringIO())

    output = page_weights()

    rows = [line.split() for line in output.splitlines()]
    seen = {(row[0], row[1], row[2]) for row in rows if len(row) == 12 and row[-1] == "OK"}
    expected = {
        (page, user, language)
        for page, users, _thumbs in PAGES
        for user in users
        for language in LANGUAGES
    }
    assert {page for page, _users, _thumbs in PAGES} == {
        "home",
        "catalogue",
        "product",
        "search",
        "agenda",
        "dashboard",
        "sign-up",
    }
    assert seen == expected, output
    assert f"{len(expected)} pages, 0 failed" in output


@pytest.mark.django_db
def test_pages_are_counted_as_a_browser_gets_them_and_need_no_javascript(
    settings, collected_static
):
    production_static(settings, collected_static)
    call_command("seed_demo", stdout=io.StringIO())

    report = page_weights_json("--language", "en")

    assert report["ok"] is True
    assert report["budget_bytes"] == 60_000
    assert report["thumbnail_max_bytes"] == LIST_THUMBNAIL_MAX_BYTES == 40_000
    for page in report["pages"]:
        where = f"{page['page']} as {page['user']}"
        assert page["status"] == 200, where
        assert page["problems"] == [], where
        # Without JavaScript: no scripts, no inline handlers; forms are plain GET and POST.
        assert page["scripts"] == 0, where
        assert page["script_handlers"] == 0, where
        assert page["viewport"] is True, where
        css = [asset for asset in page["assets"] if asset["kind"] == "css"]
        assert css, where
        for asset in css:
            # Hashed names, sent precompressed by WhiteNoise.
            assert re.search(r"\.[0-9a-f]{12}\.css$", asset["url"]), asset
            assert asset["encoding"] == "gzip", asset
        assert page["requests"] == 1 + len(page["assets"]), where
        assert 0 < page["html_bytes"] <= page["budget_bytes"] <= 60_000, where
    catalogue = next(p for p in report["pages"] if p["page"] == "catalogue")
    assert catalogue["photos"] >= 7  # the demo listings' thumbnails, checked and counted
    photos = [a for a in catalogue["assets"] if a["kind"] == "photo"]
    assert all(a["content_type"] == "image/webp" for a in photos), photos


@pytest.mark.django_db
def test_a_page_over_budget_or_a_thumbnail_over_the_limit_makes_it_fail():
    call_command("seed_demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="over budget: .* KB > 1 KB"):
        page_weights("--budget-kb", "1", "--page", "home", "--language", "en")
    with pytest.raises(CommandError, match=r"thumbnail .* KB \(limit 0.1 KB\)"):
        page_weights("--thumbnail-kb", "0.1", "--page", "catalogue", "--language", "en")
    page_weights("--page", "home", "--page", "catalogue", "--language", "en")  # and passes


@pytest.mark.django_db
def test_missing_demo_data_is_reported_not_a_crash():
    with pytest.raises(CommandError) as failure:
        page_weights("--language", "en")
    message = str(failure.value)
    assert "seed_demo" in message
    assert "no approved listing" in message


@pytest.mark.django_db
def test_seed_option_loads_the_demo_first():
    output = page_weights("--seed", "--page", "agenda", "--language", "km")
    assert "2 pages, 0 failed" in output


# --- list thumbnails ------------------------------------------------------------------------


def noisy_jpeg(width: int = 3000, height: int = 2000) -> bytes:
    """The worst case for a thumbnail: noise at the thumbnail's own scale survives the
    downscale (per-pixel noise of a large photo would average out to grey)."""
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    image = Image.fromarray(noise).resize((width, height), Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def is_webp(content: bytes) -> bool:
    return content[:4] == b"RIFF" and content[8:12] == b"WEBP"


@pytest.mark.django_db
def test_list_thumbnail_of_a_large_noisy_photo_is_a_webp_of_at_most_40_kb():
    photo = ProductPhoto.objects.create(
        product=ProductFactory(approved=True),
        image=SimpleUploadedFile("noisy.jpg", noisy_jpeg(), "image/jpeg"),
    )
    with photo.thumbnail.storage.open(photo.thumbnail.name) as handle:  # made on save
        content = handle.read()
    assert is_webp(content)
    assert len(content) <= 40_000, len(content)
    assert Image.open(io.BytesIO(content)).size == (320, 240)


@pytest.mark.django_db
def test_list_thumbnail_spec_lowers_the_quality_until_the_file_fits(monkeypatch):
    photo = ProductPhoto.objects.create(
        product=ProductFactory(approved=True),
        image=SimpleUploadedFile("noisy.jpg", noisy_jpeg(1600, 1200), "image/jpeg"),
    )
    at_quality_60 = ListThumbnail(source=photo.image).generate().read()
    assert len(at_quality_60) > 20_000  # so the smaller limit below has work to do

    monkeypatch.setattr(ListThumbnail, "max_bytes", 20_000)
    content = ListThumbnail(source=photo.image).generate().read()

    assert is_webp(content)
    assert len(content) <= 20_000, len(content)
    assert Image.open(io.BytesIO(content)).size == (320, 240)


# --- static files ---------------------------------------------------------------------------


def test_production_settings_serve_hashed_precompressed_static_files_for_a_year():
    """The settings production runs with (DEBUG and the test flags unset)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTEST_VERSION", "TESTING", "DEBUG", "PYTEST_XDIST_WORKER"}
    }
    env.update(SECRET_KEY="production-like", DJANGO_SETTINGS_MODULE="forum_market.settings")
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.STORAGES['staticfiles']['BACKEND'], s.WHITENOISE_MAX_AGE, "
        "s.WHITENOISE_USE_FINDERS, s.WHITENOISE_AUTOREFRESH, "
        "'whitenoise.middleware.WhiteNoiseMiddleware' in s.MIDDLEWARE]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    backend, max_age, use_finders, autorefresh, whitenoise = json.loads(result.stdout)
    assert backend == PRODUCTION_STATIC["BACKEND"]
    assert max_age >= 365 * 24 * 3600
    assert (use_finders, autorefresh, whitenoise) == (False, False, True)


@pytest.mark.django_db
def test_hashed_static_files_are_cached_forever(settings, collected_static, client):
    production_static(settings, collected_static)
    settings.WHITENOISE_MAX_AGE = 31536000  # as in production (tests run with DEBUG off too)

    url = static("css/site.css")
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", url), url
    home = client.get("/")
    assert url in home.content.decode()  # pages link the hashed name

    response = client.get(url, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert response["Content-Encoding"] == "gzip"
    b"".join(response.streaming_content)

    unhashed = client.get("/static/css/site.css")
    assert unhashed.status_code == 200
    assert unhashed["Cache-Control"] == "max-age=31536000, public"
    b"".join(unhashed.streaming_content)
