"""The settings module is driven by the environment; production settings pass --deploy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args, env_overrides: dict[str, str], drop: tuple[str, ...] = ()):
    # Run as a fresh process would: without pytest's markers or the browser tests' opt-out.
    inherited = {"PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE", *drop}
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_secret_key_is_required_when_debug_is_off():
    result = run_manage("check", env_overrides={}, drop=("DEBUG", "SECRET_KEY", "TESTING"))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_migration_commands_run_without_a_secret_key_but_others_do_not():
    """makemigrations/migrate sign nothing, so a bare environment may run them."""
    bare = {"env_overrides": {}, "drop": ("DEBUG", "SECRET_KEY", "TESTING")}
    result = run_manage("makemigrations", "--check", "--dry-run", **bare)
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = run_manage("shell", "-c", code, **bare)
    assert "SECRET_KEY must be set" in result.stdout + result.stderr
    assert "ImproperlyConfigured" in result.stdout + result.stderr


def test_debug_is_off_unless_set():
    code = "from django.conf import settings; print(settings.DEBUG)"
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        code,
        env_overrides={"SECRET_KEY": secrets.token_urlsafe(50)},
        drop=("DEBUG", "TESTING"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "forum.example.org",
        },
        drop=("DEBUG", "TESTING"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_docker_compose_describes_the_production_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "beat", "mail"} <= set(services)
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "celery" in " ".join(services["worker"]["command"])
    # The periodic tasks in CELERY_BEAT_SCHEDULE only run if a beat does.
    assert services["beat"]["command"][:4] == ["celery", "-A", "forum_market", "beat"]
    assert services["db"]["image"].startswith("postgres")
