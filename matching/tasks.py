"""Celery tasks for matching. Thin: each calls one service, and every one is safe to run
twice (acks_late and retries are on; the services are idempotent).

A full run fans out as a chord::

    full_run(run)  ->  chord(group(score_chunk(run, 0..n-1)), finish_run(run))
                                                                   -> send_digests(run)
                                                                        -> send_digest(run, user)...

`score_chunk` scores one slice of the needs against every product and writes those needs'
top k; `finish_run` merges the chunks' per-producer candidates into each producer's top k
and removes stale suggestions. An incremental run is one task, then the same digest step.
Follow-up tasks go to the queue the current task came from, so a worker consuming one
queue sees a run through. With no broker (CELERY_TASK_ALWAYS_EAGER) it all runs in-process.
"""

from __future__ import annotations

import smtplib

from celery import chord, group, shared_task
from django.db import InterfaceError, OperationalError

from matching import services

TRANSIENT = (OperationalError, InterfaceError)
RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


def _queue(task) -> dict:
    """Options that keep a follow-up on the queue this task was delivered from."""
    info = getattr(task.request, "delivery_info", None) or {}
    queue = info.get("routing_key")
    return {"queue": queue} if queue else {}


@shared_task(bind=True, name="matching.tasks.full_run", **RETRY)
def full_run(self, run_id: int) -> int:
    """Plan the run's chunks and fan them out; returns how many chunks were queued."""
    options = _queue(self)
    try:
        indexes = services.match_run_plan(run_id=run_id)
        if indexes is None:
            return 0  # finished already (a duplicate delivery)
        if not indexes:
            # Nothing left to score (a retry after the chunks finished): just finish.
            finish_run.apply_async(args=(run_id,), **options)
            return 0
        header = group(score_chunk.si(run_id, i).set(**options) for i in indexes)
        # A chunk failing for good fails the chord's body, whose errback records it.
        body = finish_run.si(run_id).set(**options)
        body.link_error(run_failed.si(run_id).set(**options))
        chord(header, body).apply_async(**options)
    except TRANSIENT:
        raise
    except Exception as error:
        services.match_run_fail(run_id=run_id, error=repr(error))
        raise
    return len(indexes)


@shared_task(bind=True, name="matching.tasks.score_chunk", **RETRY)
def score_chunk(self, run_id: int, index: int) -> int:
    return services.match_chunk_score(run_id=run_id, index=index)


@shared_task(bind=True, name="matching.tasks.finish_run", **RETRY)
def finish_run(self, run_id: int) -> str:
    try:
        run = services.match_run_finish(run_id=run_id)
    except TRANSIENT:
        raise
    except Exception as error:
        services.match_run_fail(run_id=run_id, error=repr(error))
        raise
    if run.status == run.Status.DONE and run.send_digests:
        send_digests.apply_async(args=(run_id,), **_queue(self))
    return run.status


@shared_task(name="matching.tasks.run_failed")
def run_failed(run_id: int, *args) -> None:
    """Error callback of the chord: a chunk failed for good."""
    services.match_run_fail(run_id=run_id, error="A chunk of the run failed; see the worker log.")


@shared_task(bind=True, name="matching.tasks.incremental_run", **RETRY)
def incremental_run(self, run_id: int) -> str:
    try:
        run = services.match_run_incremental(run_id=run_id)
    except TRANSIENT:
        raise
    except Exception as error:
        services.match_run_fail(run_id=run_id, error=repr(error))
        raise
    if run.status == run.Status.DONE and run.send_digests:
        send_digests.apply_async(args=(run_id,), **_queue(self))
    return run.status


@shared_task(bind=True, name="matching.tasks.send_digests", **RETRY)
def send_digests(self, run_id: int) -> int:
    """Queue one digest task per reader with new suggestions; returns how many."""
    plans = services.digests_plan(run_id=run_id)
    for plan in plans:
        send_digest.apply_async(
            args=(run_id, plan.user_id, plan.buyer_ids, plan.producer_ids), **_queue(self)
        )
    return len(plans)


@shared_task(
    bind=True,
    name="matching.tasks.send_digest",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(smtplib.SMTPException, OSError, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_digest(
    self, run_id: int, user_id: int, buyer_ids: list[int], producer_ids: list[int]
) -> bool:
    return services.digest_send(
        run_id=run_id, user_id=user_id, buyer_ids=buyer_ids, producer_ids=producer_ids
    )
