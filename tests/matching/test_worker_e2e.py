"""End to end with the real parts: a Celery worker process on its own Redis queue, the
PostgreSQL test database and a real SMTP server. An organiser approves a listing here; the
worker rescores it, a suggestion appears for the matching buyer, exactly one digest arrives,
and running the digest step of the same run again sends nothing."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction

from forum_market.celery import app as celery_app
from matching import tasks
from matching.models import DigestSent, MatchRun, Suggestion
from producers.models import Product
from producers.services import product_approve
from tests.conftest import require
from tests.factories import (
    BuyerFactory,
    BuyerUserFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProductFactory,
)
from tests.matching.conftest import celery_settings, need_create, taxonomy

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"


def _redis_answers() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


def _wait_for(condition, *, timeout: float, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    return condition()


@pytest.fixture
def worker(transactional_db, smtp_server, tmp_path):
    """A Celery worker subprocess consuming one fresh queue, against the test database."""
    require(_redis_answers(), "Redis")
    queue = f"matching-e2e-{uuid.uuid4().hex[:10]}"
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DEBUG"}},
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "SECRET_KEY": "e2e-worker-secret-key-not-for-production",
        "TESTING": "1",
    }
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "forum_market",
                "worker",
                "-P",
                "solo",
                "-c",
                "1",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        ready = _wait_for(lambda: "ready." in log.read_text(), timeout=25)
        assert ready and process.poll() is None, log.read_text()
        with celery_settings(task_always_eager=False, task_default_queue=queue):
            yield {"queue": queue, "log": log}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_rescores_an_approved_listing_and_sends_one_digest(worker, smtp_server):
    t = taxonomy()
    buyer_member = BuyerUserFactory(email="buyer-e2e@example.org")
    need = need_create(
        buyer=BuyerFactory(country=t["country"], members=[buyer_member]),
        category=t["sauce"],
        unit=t["litre"],
        volume="1500",
    )
    product = ProductFactory(
        producer=ProducerFactory(province=t["provinces"][0]),
        category=t["sauce"],
        unit_of_sale=t["litre"],
        capacity_unit=t["litre"],
        capacity=Decimal("2000"),
        status=Product.Status.SUBMITTED,
    )
    organiser = OrganiserUserFactory()

    # 1. The organiser approves; the rescoring is queued after commit.
    with transaction.atomic():
        product_approve(product=product, reviewer=organiser)

    # 2-3. The worker rescores it: a suggestion appears for the matching buyer.
    suggestion = _wait_for(
        lambda: Suggestion.objects.filter(need=need, product=product).first(), timeout=30
    )
    assert suggestion is not None, worker["log"].read_text()
    assert suggestion.need_rank == 1 and suggestion.producer_rank == 1
    run = MatchRun.objects.get(kind=MatchRun.Kind.INCREMENTAL, subject__product=product.pk)
    assert run.status == MatchRun.Status.DONE

    # 4. Exactly one digest arrives, to the buyer's member.
    assert _wait_for(lambda: smtp_server.messages, timeout=30), worker["log"].read_text()
    time.sleep(1.5)
    assert len(smtp_server.messages) == 1
    digest = smtp_server.messages[0]
    assert digest["To"] == buyer_member.email
    assert product.name in digest.get_body(preferencelist=("plain",)).get_content()
    assert DigestSent.objects.filter(run=run, user=buyer_member).count() == 1

    # 5. The digest step of the same run again: the worker plans it and sends nothing.
    planned = tasks.send_digests.apply_async(args=(run.pk,))
    assert planned.get(timeout=20) == 1  # the reader is planned again, but...
    time.sleep(2)
    assert len(smtp_server.messages) == 1  # ...DigestSent stops a second copy
    assert DigestSent.objects.filter(run=run).count() == 1
    assert celery_app.conf.task_default_queue == worker["queue"]
