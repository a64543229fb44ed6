"""Signal receivers: other apps announce changes (after commit) and matching queues an
incremental run for just that row, or adds the row to the batch in progress (see
`services.match_runs_batched`). Connected in MatchingConfig.ready()."""

from __future__ import annotations

import logging

from buyers.signals import sourcing_need_changed
from producers.signals import listing_approved, listing_rejected

logger = logging.getLogger(__name__)


def on_listing_changed(sender, product, **kwargs) -> None:
    from matching.services import match_incremental_queue

    match_incremental_queue(product=product, action="listing")


def on_need_changed(sender, need, action="", **kwargs) -> None:
    from matching.services import match_incremental_queue

    match_incremental_queue(need=need, action=action)


def on_request_started(**kwargs) -> None:
    from matching.services import match_batches_reset

    match_batches_reset()


def on_task_prerun(task=None, **kwargs) -> None:
    # An eager task runs inside the caller's unit of work, perhaps inside a batch.
    if task is not None and not task.request.is_eager:
        on_request_started()


def connect() -> None:
    from celery.signals import task_prerun
    from django.core.signals import request_started

    request_started.connect(on_request_started, dispatch_uid="matching.batches_reset")
    task_prerun.connect(on_task_prerun, dispatch_uid="matching.batches_reset", weak=False)
    listing_approved.connect(on_listing_changed, dispatch_uid="matching.listing_approved")
    listing_rejected.connect(on_listing_changed, dispatch_uid="matching.listing_rejected")
    sourcing_need_changed.connect(on_need_changed, dispatch_uid="matching.need_changed")
