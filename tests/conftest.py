"""Project-wide fixtures. Real services are required under CI=true: a test that needs
PostgreSQL, Redis or Chromium fails there (never skips) when the service is missing."""

import importlib
import os
import socket

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, what: str) -> None:
    """Skip locally when a real part is missing, but fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available.", pytrace=False)
    pytest.skip(f"{what} is not available")


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    fixtures = set(getattr(item, "fixturenames", ()))
    return transactional or bool(fixtures & {"transactional_db", "live_server"})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (live server, threads, a real worker) empties every table when it
    ends, including the reference rows that data migrations loaded (provinces, categories,
    units...). Load them again, so every test starts from the database that migrations make.
    (Serialized rollback cannot do this under Playwright, whose event loop gives the test a
    different connection object from the one that holds the serialized copy.)"""
    yield
    # After the last test the test database is already gone.
    if nextitem is None or not _is_transactional(item):
        return
    from django.apps import apps
    from pytest_django.plugin import blocking_manager_key

    from taxonomy.models import Country

    with item.config.stash[blocking_manager_key].unblock():
        if not Country.objects.exists():
            migration = importlib.import_module("taxonomy.migrations.0002_reference_data")
            migration.load(apps, None)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        require(on_postgres(), "PostgreSQL")


@pytest.fixture
def _needs_postgres():
    require(on_postgres(), "PostgreSQL")


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Uploaded files of one test never leak into another, or into the repository. The
    cache goes too: ImageKit records there which thumbnails exist, and a later test whose
    photo has the same name in a fresh MEDIA_ROOT would otherwise get no thumbnail."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash a password per user; the production hasher is slow on purpose, and
    how passwords are hashed is not what any test here is about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _language_back():
    """A request through the test client leaves its language active in the thread; put the
    default back, so a test never reads another test's language."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPInbox:
    """Messages received by a real aiosmtpd server, parsed with the email package."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def bodies(self) -> list[str]:
        texts = []
        for message in self.messages:
            part = message.get_body(preferencelist=("plain", "html"))
            texts.append(part.get_content() if part else "")
        return texts


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free local port; Django sends through it with the SMTP backend."""
    from aiosmtpd.controller import Controller

    inbox = SMTPInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    inbox.port = settings.EMAIL_PORT
    try:
        yield inbox
    finally:
        controller.stop()
