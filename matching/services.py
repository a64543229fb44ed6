"""Writes and workflows of matching: runs (full and incremental), dismissals, meeting
requests from suggestions, weights, and digest emails.

A full run is split by sourcing need into chunks that separate Celery workers score (see
`matching.tasks`). Each need's top k is a property of the need alone, so a chunk writes its
needs' top k straight away. A producer's top k needs spans every chunk: each chunk keeps its
own per-producer top k as candidates (the global top k is always among them), and the chord
callback, `match_run_finish`, merges them exactly as `engine.match` ranks producers, writes
the winners and removes what the run no longer suggests. The result is the same as a single
`engine.match` over everything.

An incremental run rescores one listing or one need and repairs only the ranks it can change
(see `_product_plan` and `_need_plan`). Stored suggestions are the engine's truth: every step
is an upsert keyed on (need, product), so running a step twice leaves the same rows.

Pairs turned down ("not interested") are left out of that side's top k by every run, so the
next best takes the slot; turning one down rescores its need at once. Bulk changes (a
spreadsheet import approving its listings) collect their per-row runs into one
(`match_runs_batched`).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from buyers.models import Buyer, SourcingNeed
from forums.models import Forum, MeetingRequest
from matching import engine
from matching.emails import digest_email_send
from matching.loaders import (
    Vocabulary,
    exclusions_load,
    int_columns_fetch,
    needs_load,
    needs_load_for_groups,
    needs_queryset,
    products_load,
    rows_fetch,
    vocabulary,
)
from matching.models import (
    WEIGHT_FIELDS,
    DigestSent,
    Dismissal,
    MatchingWeights,
    MatchRun,
    MatchRunChunk,
    Suggestion,
)
from matching.selectors import weights_for
from matching.writing import (
    Rows,
    fingerprints,
    pair_keys,
    ranks_update,
    rows_from_result,
    suggestions_delete,
    suggestions_upsert,
)
from producers.models import Producer, Product

logger = logging.getLogger(__name__)

MAX_CHUNKS = 8
NEEDS_PER_CHUNK = 1250
DIGEST_ITEMS = 5
ANALYZE_AFTER = 20_000  # rows written by a full run
_SCALE = 10.0**engine.RANK_DECIMALS


class MatchingError(Exception):
    """A matching action the user may not take; `message` is written for them."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _rounded(scores: Any) -> np.ndarray:
    """The integers scores are ranked by (engine.rank_value, vectorised)."""
    return np.rint(np.asarray(scores, dtype=np.float64) * _SCALE).astype(np.int64)


# --- weights ----------------------------------------------------------------------------------


@transaction.atomic
def matching_weights_save(
    *, forum: Forum | None, data: dict[str, Any], user: User | None = None
) -> MatchingWeights:
    """Create or change the global weights (forum None) or one forum's; raises
    ValidationError naming the field at fault."""
    weights = MatchingWeights.objects.select_for_update().filter(forum=forum).first()
    if weights is None:
        weights = MatchingWeights(forum=forum)
    for name in (*WEIGHT_FIELDS, "group_match_factor", "distance_scale_km", "k"):
        if name in data:
            setattr(weights, name, data[name])
    weights.updated_by = user
    weights.full_clean()
    weights.save()
    return weights


# --- runs: starting ---------------------------------------------------------------------------


def _queue(task_name: str, *args: Any) -> None:
    from matching import tasks  # tasks import services: import late

    getattr(tasks, task_name).apply_async(args=args)


def match_run_create(
    *,
    forum: Forum | None = None,
    user: User | None = None,
    chunks: int | None = None,
    send_digests: bool = True,
) -> MatchRun:
    """Record a full run (queued, not yet sent to a worker), with the weights in force."""
    return MatchRun.objects.create(
        kind=MatchRun.Kind.FULL,
        forum=forum,
        weights=weights_for(forum=forum).snapshot(),
        triggered_by=user if user is not None and user.is_authenticated else None,
        chunks_total=max(0, int(chunks or 0)),
        send_digests=send_digests,
    )


def match_run_start(
    *,
    forum: Forum | None = None,
    user: User | None = None,
    chunks: int | None = None,
    send_digests: bool = True,
) -> MatchRun:
    """Record a full run and queue it (after commit). With a forum, only its participating
    producers and buyers are scored, with the forum's weights. `chunks` fixes how many
    chunk tasks share it (default: one per ~500 needs, at most 8)."""
    run = match_run_create(forum=forum, user=user, chunks=chunks, send_digests=send_digests)
    transaction.on_commit(lambda: _queue("full_run", run.pk))
    return run


def match_incremental_queue(
    *,
    product: Product | None = None,
    need: SourcingNeed | None = None,
    action: str = "",
    send_digests: bool = True,
) -> MatchRun | None:
    """Record an incremental run for one listing or one need and queue it after commit.
    Inside `match_runs_batched` the change is collected instead (returns None)."""
    if (product is None) == (need is None):
        raise TypeError("Pass exactly one of product or need.")
    batches = _batch_stack()
    if batches:
        if product is not None:
            batches[-1].products[product.pk] = action
        else:
            batches[-1].needs[need.pk] = action
        return None
    subject: dict[str, Any] = (
        {"product": product.pk, "action": action}
        if product is not None
        else {"need": need.pk, "action": action}
    )
    return _incremental_start(subject, send_digests=send_digests)


def _incremental_start(subject: dict[str, Any], *, send_digests: bool = True) -> MatchRun:
    run = MatchRun.objects.create(
        kind=MatchRun.Kind.INCREMENTAL,
        subject=subject,
        weights=weights_for().snapshot(),
        send_digests=send_digests,
    )
    transaction.on_commit(lambda: _queue("incremental_run", run.pk))
    return run


# Rows a batch rescores one after another in one incremental run (~0.1 s each at national
# scale); a batch with more changes gets one full run (~2-3 s) instead.
INCREMENTAL_BATCH_MAX = 20


@dataclass(eq=False)
class _Batch:
    products: dict[int, str] = field(default_factory=dict)  # pk -> action
    needs: dict[int, str] = field(default_factory=dict)


_batches = threading.local()


def _batch_stack() -> list[_Batch]:
    """The batches collecting in this thread, innermost last."""
    stack = getattr(_batches, "stack", None)
    if stack is None:
        stack = _batches.stack = []
    return stack


def match_batches_reset() -> None:
    """Forget batches left in this thread. A batch ends with an on_commit callback of the
    outer transaction; should another callback before it raise, Django runs no more of them
    and the batch would swallow every later change in this thread. Called when a request or
    a task starts, where no batch can still be open."""
    stack = _batch_stack()
    if stack:
        logger.warning("Dropping %d matching batch(es) a failed commit left open.", len(stack))
        stack.clear()


@contextmanager
def match_runs_batched() -> Iterator[None]:
    """Collect the incremental runs that listing and need changes ask for inside the block
    (through `match_incremental_queue`) and queue one run for all of them at its end: an
    incremental run for a single change, one incremental run rescoring each changed row in
    turn for a few (up to INCREMENTAL_BATCH_MAX), one full run for more. For bulk writes,
    such as a spreadsheet import approving its listings directly.

    Other apps announce changes when their transaction commits. Used inside an outer
    transaction, the block therefore collects from that transaction's commit until its own
    end-of-block marker has run (both are on_commit callbacks, in order): if the outer
    transaction rolls back, nothing is collected or queued. Nested blocks add to the
    outer one."""
    batch = _Batch()
    deferred = connection.in_atomic_block
    if deferred:
        transaction.on_commit(lambda: _batch_stack().append(batch), robust=True)
    else:
        _batch_stack().append(batch)
    try:
        yield
    finally:
        if deferred:
            transaction.on_commit(lambda: _batch_flush(batch), robust=True)
        else:
            try:
                _batch_flush(batch)
            except Exception:  # like a robust on_commit callback: the writes are committed
                logger.exception("Could not queue the matching run of a batch.")


def _batch_flush(batch: _Batch) -> MatchRun | None:
    """End a batch: hand its changes to the enclosing batch, or queue its run."""
    stack = _batch_stack()
    if batch in stack:
        stack.remove(batch)
    if stack:
        stack[-1].products.update(batch.products)
        stack[-1].needs.update(batch.needs)
        return None
    count = len(batch.products) + len(batch.needs)
    if count == 0:
        return None
    if count > INCREMENTAL_BATCH_MAX:
        return match_run_start()
    if count == 1:
        ((kind, (pk, action)),) = [
            *(("product", item) for item in batch.products.items()),
            *(("need", item) for item in batch.needs.items()),
        ]
        return _incremental_start({kind: pk, "action": action})
    return _incremental_start(
        {"products": sorted(batch.products), "needs": sorted(batch.needs), "action": "batch"}
    )


def _run_begin(run_id: int) -> MatchRun | None:
    """Lock the run and mark it running; None if it already finished."""
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().get(pk=run_id)
        if run.status in (MatchRun.Status.DONE, MatchRun.Status.FAILED):
            return None
        if run.status == MatchRun.Status.QUEUED:
            run.status = MatchRun.Status.RUNNING
            run.started_at = timezone.now()
            run.save(update_fields=["status", "started_at"])
    return run


def match_run_fail(*, run_id: int, error: str) -> None:
    MatchRun.objects.filter(pk=run_id).exclude(status=MatchRun.Status.DONE).update(
        status=MatchRun.Status.FAILED, error=error[:4000], finished_at=timezone.now()
    )


# --- full runs --------------------------------------------------------------------------------


def match_run_plan(*, run_id: int) -> list[int] | None:
    """Split the run's needs into chunks (by pk ranges, so a need created meanwhile still
    falls in exactly one); returns the chunk indexes still to score, or None when the run
    has already finished. Idempotent: the ranges are decided once."""
    run = _run_begin(run_id)
    if run is None:
        return None
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().get(pk=run.pk)
        if not run.chunks.exists():
            pks = np.fromiter(
                needs_queryset(forum=run.forum).order_by("pk").values_list("pk", flat=True),
                dtype=np.int64,
            )
            count = run.chunks_total or min(
                MAX_CHUNKS, max(1, math.ceil(len(pks) / NEEDS_PER_CHUNK))
            )
            count = max(1, min(count, len(pks) or 1))
            starts = [int(part[0]) for part in np.array_split(pks, count) if len(part)]
            bounds = [None, *starts[1:], None] if starts else [None, None]
            MatchRunChunk.objects.bulk_create(
                MatchRunChunk(run=run, index=i, need_from=bounds[i], need_to=bounds[i + 1])
                for i in range(len(bounds) - 1)
            )
            run.chunks_total = len(bounds) - 1
            run.save(update_fields=["chunks_total"])
    return list(run.chunks.filter(done=False).values_list("index", flat=True))


# Products of a run, loaded once per process: every chunk (and the callback) scores the
# same products, and the engine caches its per-group layouts on the object.
_run_products: dict[tuple, tuple[Vocabulary, engine.Products]] = {}


def _products_for_run(run: MatchRun, vocab: Vocabulary) -> engine.Products:
    key = (run.pk, run.started_at)
    cached = _run_products.get(key)
    if cached is not None and cached[0] is vocab:
        return cached[1]
    products = products_load(vocab=vocab, forum=run.forum)
    _run_products.clear()  # one run at a time per process is plenty
    _run_products[key] = (vocab, products)
    return products


def _pack(*columns: np.ndarray) -> bytes:
    """Candidate columns (pks, rounded scores < 2**31, ranks) as int32: small enough to pass
    between workers in one row."""
    return np.stack([np.asarray(c).astype(np.int32) for c in columns]).tobytes()


def _unpack(blob: bytes, rows: int = 4) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype=np.int32).reshape(rows, -1).astype(np.int64)


@dataclass(frozen=True)
class _Stored:
    """Stored suggestion rows as arrays, sorted by pair key."""

    pk: np.ndarray
    need: np.ndarray
    product: np.ndarray
    need_rank: np.ndarray
    producer_rank: np.ndarray
    fingerprint: np.ndarray
    key: np.ndarray

    @classmethod
    def load(cls, queryset: QuerySet[Suggestion]) -> _Stored:
        cols = int_columns_fetch(
            queryset.order_by().values_list(
                "pk", "need_id", "product_id", "need_rank", "producer_rank", "fingerprint"
            ),
            6,
        )
        key = pair_keys(cols[1], cols[2])
        order = np.argsort(key)
        return cls(*(c[order] for c in cols), key=key[order])

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, position) of each key among the stored rows."""
        at = np.searchsorted(self.key, keys)
        found = at < len(self.key)
        found[found] = self.key[at[found]] == keys[found]
        return found, np.where(found, at, 0)

    def take(self, name: str, found: np.ndarray, at: np.ndarray, fill: int = -1) -> np.ndarray:
        """A column at the found positions; `fill` where the key is not stored."""
        values = np.full(len(at), fill, dtype=np.int64)
        values[found] = getattr(self, name)[at[found]]
        return values


def _write(
    *,
    run: MatchRun,
    upserts: Rows,
    updates: list[tuple[int, int, int]],
    deletes: list[int],
    keep_producer_rank: bool = False,
    assume_new: bool = False,
) -> int:
    now = timezone.now()
    with transaction.atomic():
        suggestions_delete(ids=deletes)
        written = suggestions_upsert(
            rows=upserts,
            run_id=run.pk,
            now=now,
            keep_producer_rank=keep_producer_rank,
            assume_new=assume_new,
        )
        written += ranks_update(updates=updates, run_id=run.pk, now=now)
    return written


def match_chunk_score(*, run_id: int, index: int) -> int:
    """Score one chunk of needs against every product; write the needs' top k (only rows
    that changed) and keep the per-producer candidates for the callback. Producer ranks are
    left to the callback. Returns rows written. Idempotent."""
    run = MatchRun.objects.select_related("forum").get(pk=run_id)
    chunk = MatchRunChunk.objects.get(run=run, index=index)
    if run.status != MatchRun.Status.RUNNING:
        return 0
    weights, k = run.weights_engine(), int(run.weights["k"])

    started = time.perf_counter()
    vocab = vocabulary()
    products = _products_for_run(run, vocab)
    scope = {"forum": run.forum, "pk_from": chunk.need_from, "pk_to": chunk.need_to}
    needs = needs_load(vocab=vocab, **scope)
    # Rows of the chunk's pk range (a closed need's rows too: they leave every top k).
    in_range = Suggestion.objects.all()
    if chunk.need_from is not None:
        in_range = in_range.filter(need_id__gte=chunk.need_from)
    if chunk.need_to is not None:
        in_range = in_range.filter(need_id__lt=chunk.need_to)
    stored = _Stored.load(_scope(in_range, run.forum))
    dismissed = exclusions_load(pk_from=chunk.need_from, pk_to=chunk.need_to)
    loaded = time.perf_counter()

    result = engine.match(products, needs, vocab.provinces, weights, k=k, exclude=dismissed)
    top = np.flatnonzero(result.need_rank > 0)
    found, at = stored.find(pair_keys(result.need_id[top], result.product_id[top]))
    fingerprint = fingerprints(result, top, vocab)
    changed = (
        ~found
        | (stored.take("need_rank", found, at) != result.need_rank[top])
        | (stored.take("fingerprint", found, at) != fingerprint)
    )
    upserts = rows_from_result(
        result, top[changed], vocab, producer_rank=np.zeros(int(changed.sum()), np.int64)
    )
    # Rows of these needs that left the top k: need rank 0 (the callback deletes those that
    # are in no producer's top k either).
    kept = np.zeros(len(stored.key), dtype=bool)
    kept[at[found]] = True
    left = np.flatnonzero(~kept & (stored.need_rank > 0))
    updates = [(int(stored.pk[i]), 0, int(stored.producer_rank[i])) for i in left]
    cand = np.flatnonzero(result.producer_rank > 0)
    candidates = _pack(
        result.need_id[cand],
        result.product_id[cand],
        _rounded(result.score[cand]),
        result.need_rank[cand],
    )
    scored = time.perf_counter()

    with transaction.atomic():
        written = _write(
            run=run,
            upserts=upserts,
            updates=updates,
            deletes=[],
            keep_producer_rank=True,
            assume_new=not found.any(),  # none of the chunk's pairs stored: a first run
        )
        MatchRunChunk.objects.filter(pk=chunk.pk).update(
            done=True,
            needs=len(needs),
            pairs_considered=result.pairs_considered,
            pairs_passed=result.pairs_passed,
            rows_written=written,
            load_s=loaded - started,
            score_s=scored - loaded,
            write_s=time.perf_counter() - scored,
            candidates=candidates,
            finished_at=timezone.now(),
        )
        MatchRun.objects.filter(pk=run.pk).update(
            chunks_done=MatchRunChunk.objects.filter(run=run, done=True).count()
        )
    return written


def _producer_top_k(candidates: np.ndarray, k: int) -> np.ndarray:
    """Columns of `candidates` (need, product, producer, rounded, need_rank) that are in
    their producer's top k needs, with the rank appended as a sixth row. Ranks compare the
    rounded score (descending), then the need pk (ascending), as engine.match does."""
    need, _product, producer, rounded, _rank = candidates
    order = np.lexsort((need, -rounded, producer))
    sorted_producer = producer[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_producer, sorted_producer) + 1
    keep = rank <= k
    winners = candidates[:, order[keep]]
    return np.vstack([winners, rank[keep][None, :]])


def _scope(queryset: QuerySet[Suggestion], forum: Forum | None) -> QuerySet[Suggestion]:
    if forum is None:
        return queryset
    return queryset.filter(buyer__forum_entries__forum=forum, producer__forum_entries__forum=forum)


def _member(ids: np.ndarray, sorted_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    at = np.searchsorted(sorted_ids, ids)
    ok = at < len(sorted_ids)
    ok[ok] = sorted_ids[at[ok]] == ids[ok]
    return ok, np.where(ok, at, 0)


def match_run_finish(*, run_id: int) -> MatchRun:
    """The chord callback: merge the chunks' producer candidates into each producer's top
    k, set producer ranks, write the winners that are new or changed, delete what the run
    no longer suggests, and total the counts. Idempotent."""
    run = MatchRun.objects.select_related("forum").get(pk=run_id)
    if run.status != MatchRun.Status.RUNNING:
        return run
    chunks = list(run.chunks.all())
    if not all(c.done for c in chunks):
        raise RuntimeError(f"Run {run.pk}: the callback ran before every chunk was done.")
    weights, k = run.weights_engine(), int(run.weights["k"])

    started = time.perf_counter()
    vocab = vocabulary()
    products = _products_for_run(run, vocab)
    needs = needs_load(vocab=vocab, forum=run.forum)
    stored = _Stored.load(_scope(Suggestion.objects.all(), run.forum))
    loaded = time.perf_counter()

    parts = [_unpack(c.candidates) for c in chunks if c.candidates]
    need, product, rounded, rank = np.hstack(parts) if parts else np.zeros((4, 0), np.int64)
    # Drop pairs whose need or product left since its chunk ran.
    need_ok, need_at = _member(need, needs.need_id)
    product_ok, product_at = _member(product, products.product_id)
    ok = need_ok & product_ok
    producer = products.producer_id[product_at[ok]]
    winners = _producer_top_k(
        np.vstack([need[ok], product[ok], producer, rounded[ok], rank[ok]]), k
    )
    need_at = _member(winners[0], needs.need_id)[1]
    product_at = _member(winners[1], products.product_id)[1]
    details = engine.score_pairs(
        products,
        needs,
        vocab.provinces,
        weights,
        need_rows=need_at,
        product_rows=product_at,
        need_rank=winners[4],
        producer_rank=winners[5],
    )
    fingerprint = fingerprints(details, np.arange(len(details)), vocab)
    found, at = stored.find(pair_keys(winners[0], winners[1]))
    # The stored need rank is the chunk's (current); a winner not stored is no need's top k.
    need_rank = np.where(found, stored.take("need_rank", found, at), winners[4])
    rewrite = ~found | (stored.take("fingerprint", found, at) != fingerprint)
    upserts = rows_from_result(
        details,
        np.flatnonzero(rewrite),
        vocab,
        need_rank=need_rank[rewrite],
        producer_rank=winners[5][rewrite],
    )
    updates = [
        (int(stored.pk[at[i]]), int(need_rank[i]), int(winners[5][i]))
        for i in np.flatnonzero(
            found & ~rewrite & (stored.take("producer_rank", found, at) != winners[5])
        )
    ]
    # Stored rows that are no producer's top k any more: rank 0, or gone if no need's either;
    # rows whose need or product left the run's scope: gone.
    winner = np.zeros(len(stored.key), dtype=bool)
    winner[at[found]] = True
    alive = _member(stored.need, needs.need_id)[0] & _member(stored.product, products.product_id)[0]
    gone = ~alive | (~winner & (stored.need_rank == 0))
    deletes = stored.pk[gone].tolist()
    demote = np.flatnonzero(~gone & ~winner & (stored.producer_rank > 0))
    updates += [(int(stored.pk[i]), int(stored.need_rank[i]), 0) for i in demote]
    scored = time.perf_counter()

    with transaction.atomic():
        run = MatchRun.objects.select_for_update().get(pk=run.pk)
        if run.status != MatchRun.Status.RUNNING:
            return run
        written = _write(run=run, upserts=upserts, updates=updates, deletes=deletes)
        run.products = len(products)
        run.needs = sum(c.needs for c in chunks)
        run.pairs_considered = sum(c.pairs_considered for c in chunks)
        run.pairs_passed = sum(c.pairs_passed for c in chunks)
        run.suggestions_written = sum(c.rows_written for c in chunks) + written
        done = time.perf_counter()
        run.load_s = sum(c.load_s for c in chunks) + (loaded - started)
        run.score_s = sum(c.score_s for c in chunks) + (scored - loaded)
        run.write_s = sum(c.write_s for c in chunks) + (done - scored)
        run.chunks_done = len(chunks)
        run.status = MatchRun.Status.DONE
        run.finished_at = timezone.now()
        run.save()
        MatchRunChunk.objects.filter(run=run).update(candidates=b"")
    if run.suggestions_written > ANALYZE_AFTER and connection.vendor == "postgresql":
        # Fresh statistics, so incremental runs' lookups keep using the rank indexes. Only
        # the columns they filter on (statistics of the jsonb breakdown cost twice the rest)
        # and from a smaller sample (9,000 rows): 40 ms instead of 450 at national scale.
        # Autovacuum's next ANALYZE refines them.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL default_statistics_target = 30")
            cursor.execute(
                f"ANALYZE {Suggestion._meta.db_table} (need_id, product_id, producer_id, "
                f"buyer_id, need_rank, producer_rank, run_id)"
            )
    _run_products.clear()
    return run


def match_run_execute(*, run_id: int) -> MatchRun:
    """A whole full run in this process, step by step (what the chord does on workers)."""
    for index in match_run_plan(run_id=run_id) or []:
        match_chunk_score(run_id=run_id, index=index)
    return match_run_finish(run_id=run_id)


# --- incremental runs -------------------------------------------------------------------------


@dataclass
class _Plan:
    """What an incremental run decided: new ranks inside its scopes, and scored rows."""

    need_scope: set[int] = field(default_factory=set)
    producer_scope: set[int] = field(default_factory=set)
    # (need pk, product pk) -> rank, for needs / producers in scope.
    need_ranks: dict[tuple[int, int], int] = field(default_factory=dict)
    producer_ranks: dict[tuple[int, int], int] = field(default_factory=dict)
    # (need pk, product pk) -> (result, row): pairs whose factors were (re)computed.
    scored: dict[tuple[int, int], tuple[engine.MatchResult, int]] = field(default_factory=dict)
    # The rescored listing or need: all its rows are looked at.
    touched_product: int | None = None
    touched_need: int | None = None
    products: int = 0
    needs: int = 0
    pairs_considered: int = 0
    pairs_passed: int = 0

    def add_scored(self, result: engine.MatchResult, rows: Iterable[int] | None = None) -> None:
        self.pairs_considered += result.pairs_considered
        self.pairs_passed += result.pairs_passed
        indexes = range(len(result)) if rows is None else rows
        need_ids, product_ids = result.need_id.tolist(), result.product_id.tolist()
        for i in indexes:
            self.scored[(need_ids[i], product_ids[i])] = (result, i)


def _ranked(entries: list[tuple[int, int, Any]], k: int) -> list[tuple[Any, int]]:
    """Top k of (rounded score, tie-break id, payload), best first: higher score, then lower
    id. Returns (payload, rank)."""
    entries.sort(key=lambda e: (-e[0], e[1]))
    return [(payload, rank) for rank, (_r, _t, payload) in enumerate(entries[:k], 1)]


def _result_rows(result: engine.MatchResult | None) -> list[tuple[int, int, int, int, int, int]]:
    """(row, need, product, producer, rounded score, producer rank) per result row."""
    if result is None or not len(result):
        return []
    return list(
        zip(
            range(len(result)),
            result.need_id.tolist(),
            result.product_id.tolist(),
            result.producer_id.tolist(),
            _rounded(result.score).tolist(),
            result.producer_rank.tolist(),
            strict=True,
        )
    )


def _product_plan(*, product_id: int, weights: engine.Weights, k: int, vocab: Vocabulary) -> _Plan:
    """Rescore one listing (approved, changed or gone).

    Its producer's top k needs is recomputed exactly (it depends on the producer's products
    alone). A need's top k changes only where the listing enters it, moves in it, or drops
    out: entering and improving merge with the stored top k; where it dropped or got worse
    the need is rescored against every product (the next best are not stored).
    """
    plan = _Plan(touched_product=product_id)
    row = Product.objects.filter(pk=product_id).values_list("producer_id", "revision_of_id").first()
    if row is None or row[1] is not None:
        return plan  # deleted (its rows went with it) or a revision (never scored)
    producer_id = row[0]
    own = products_load(vocab=vocab, producer_ids=[producer_id])
    needs = needs_load_for_groups(vocab=vocab, group_ids=own.group_id.tolist())
    plan.products, plan.needs = len(own), len(needs)
    plan.producer_scope = {producer_id}
    old = rows_fetch(
        Suggestion.objects.filter(product_id=product_id, need_rank__gt=0).values_list(
            "need_id", "score"
        )
    )
    old_in = {
        need: int(r) for (need, _s), r in zip(old, _rounded([s for _n, s in old]), strict=True)
    }

    new: dict[int, tuple[int, engine.MatchResult, int]] = {}
    at = int(np.searchsorted(own.product_id, product_id))
    present = at < len(own) and own.product_id[at] == product_id
    # Turned down by buyers (this producer's listings) or by the producer.
    dismissed = exclusions_load(producer_ids=[producer_id]) if len(own) else None
    if present and len(needs):
        one = engine.match_incremental(
            own, needs, vocab.provinces, weights, product_rows=[at], k=k, exclude=dismissed
        )
        plan.add_scored(one)
        # Alone, the listing is in every top k it passes, except where it was turned down.
        for i, need, _p, _q, rounded, _pr in _result_rows(one):
            if one.need_rank[i] > 0:
                new[need] = (rounded, one, i)
    if len(own) and len(needs):
        mine = engine.match(own, needs, vocab.provinces, weights, k=k, exclude=dismissed)
        top = [i for i, *_rest, pr in _result_rows(mine) if pr > 0]
        plan.add_scored(mine, top)
        for i in top:
            key = (int(mine.need_id[i]), int(mine.product_id[i]))
            plan.producer_ranks[key] = int(mine.producer_rank[i])

    dropped = {n for n, r in old_in.items() if n not in new or new[n][0] < r}
    stays = set(old_in) - dropped
    candidates = [n for n in new if n not in old_in]
    kth = (
        {
            need: (int(_rounded(score)), pk)
            for need, score, pk in rows_fetch(
                Suggestion.objects.filter(need_id__in=candidates, need_rank=k)
                .order_by()
                .values_list("need_id", "score", "product_id")
            )
        }
        if candidates
        else {}
    )
    enters = {
        n for n in candidates if n not in kth or (new[n][0], -product_id) > (kth[n][0], -kth[n][1])
    }
    merged = enters | stays
    plan.need_scope = merged | dropped

    if dropped:
        gone = needs_load(vocab=vocab, need_ids=dropped)
        pool = products_load(vocab=vocab, group_ids=set(gone.group_id.tolist()))
        if len(gone) and len(pool):
            full = engine.match(
                pool,
                gone,
                vocab.provinces,
                weights,
                k=k,
                exclude=exclusions_load(need_ids=dropped),
            )
            top = [i for i in range(len(full)) if full.need_rank[i] > 0]
            plan.add_scored(full, top)
            for i in top:
                plan.need_ranks[(int(full.need_id[i]), int(full.product_id[i]))] = int(
                    full.need_rank[i]
                )
    if merged:
        stored: dict[int, list[tuple[int, int, Any]]] = {n: [] for n in merged}
        for need, product, score in rows_fetch(
            Suggestion.objects.filter(need_id__in=merged, need_rank__gt=0)
            .exclude(product_id=product_id)
            .order_by()
            .values_list("need_id", "product_id", "score")
        ):
            stored[need].append((engine.rank_value(score), product, product))
        for need, entries in stored.items():
            entries.append((new[need][0], product_id, product_id))
            for product, rank in _ranked(entries, k):
                plan.need_ranks[(need, product)] = rank
    return plan


def _need_plan(*, need_id: int, weights: engine.Weights, k: int, vocab: Vocabulary) -> _Plan:
    """Rescore one need (created, changed, closed or past its deadline).

    Its own top k is recomputed exactly. A producer's top k needs changes only where the
    need enters it, moves in it, or drops out: entering and improving merge with the stored
    top k; where it dropped or got worse the producer is rescored against every need.
    """
    plan = _Plan(touched_need=need_id)
    plan.need_scope = {need_id}
    needs = needs_load(vocab=vocab, need_ids=[need_id])
    best: dict[int, tuple[int, int]] = {}  # producer -> (rounded, product) for this need
    if len(needs):
        pool = products_load(vocab=vocab, group_ids=[int(needs.group_id[0])])
        plan.products, plan.needs = len(pool), 1
        if len(pool):
            result = engine.match(
                pool,
                needs,
                vocab.provinces,
                weights,
                k=k,
                exclude=exclusions_load(need_ids=[need_id]),
            )
            rows = _result_rows(result)
            plan.add_scored(result)
            for i, need, product, producer, rounded, producer_rank in rows:
                if result.need_rank[i] > 0:
                    plan.need_ranks[(need, product)] = int(result.need_rank[i])
                if producer_rank == 1:  # one row per producer: its best product
                    best[producer] = (rounded, product)
    old = rows_fetch(
        Suggestion.objects.filter(need_id=need_id, producer_rank__gt=0).values_list(
            "producer_id", "score"
        )
    )
    old_in = {q: int(r) for (q, _s), r in zip(old, _rounded([s for _q, s in old]), strict=True)}
    dropped = {q for q, r in old_in.items() if q not in best or best[q][0] < r}
    stays = set(old_in) - dropped
    candidates = [q for q in best if q not in old_in]
    kth = (
        {
            producer: (int(_rounded(score)), need)
            for producer, score, need in rows_fetch(
                Suggestion.objects.filter(producer_id__in=candidates, producer_rank=k).values_list(
                    "producer_id", "score", "need_id"
                )
            )
        }
        if candidates
        else {}
    )
    enters = {
        q for q in candidates if q not in kth or (best[q][0], -need_id) > (kth[q][0], -kth[q][1])
    }
    merged = enters | stays
    plan.producer_scope = merged | dropped

    if dropped:
        theirs = products_load(vocab=vocab, producer_ids=dropped)
        pool_needs = needs_load_for_groups(vocab=vocab, group_ids=theirs.group_id.tolist())
        if len(theirs) and len(pool_needs):
            full = engine.match(
                theirs,
                pool_needs,
                vocab.provinces,
                weights,
                k=k,
                exclude=exclusions_load(producer_ids=dropped),
            )
            top = [i for i in range(len(full)) if full.producer_rank[i] > 0]
            plan.add_scored(full, top)
            for i in top:
                plan.producer_ranks[(int(full.need_id[i]), int(full.product_id[i]))] = int(
                    full.producer_rank[i]
                )
    if merged:
        stored: dict[int, list[tuple[int, int, Any]]] = {q: [] for q in merged}
        for producer, need, product, score in rows_fetch(
            Suggestion.objects.filter(producer_id__in=merged, producer_rank__gt=0)
            .exclude(need_id=need_id)
            .order_by()
            .values_list("producer_id", "need_id", "product_id", "score")
        ):
            stored[producer].append((engine.rank_value(score), need, (need, product)))
        for producer, entries in stored.items():
            rounded, product = best[producer]
            entries.append((rounded, need_id, (need_id, product)))
            for key, rank in _ranked(entries, k):
                plan.producer_ranks[key] = rank
    return plan


def _plan_apply(*, plan: _Plan, run: MatchRun, vocab: Vocabulary) -> int:
    """Write a plan: rows whose factors or ranks changed, and deletes of rows left with no
    rank. Returns rows written or updated."""
    # Only ranked pairs are kept; a rescored pair without a rank is not (or no longer) stored.
    keys = set(plan.need_ranks) | set(plan.producer_ranks)
    existing: dict[tuple[int, int], tuple[int, int, int, int, int]] = {}
    lookup = Q(need_id__in=plan.need_scope, need_rank__gt=0) | Q(
        producer_id__in=plan.producer_scope, producer_rank__gt=0
    )
    if plan.touched_product is not None:
        lookup |= Q(product_id=plan.touched_product)
    if plan.touched_need is not None:
        lookup |= Q(need_id=plan.touched_need)
    columns = (
        "pk",
        "need_id",
        "product_id",
        "producer_id",
        "need_rank",
        "producer_rank",
        "fingerprint",
    )
    for pk, need, product, *rest in rows_fetch(
        Suggestion.objects.filter(lookup).order_by().values_list(*columns)
    ):
        existing[(need, product)] = (pk, *rest)
    # Ranked pairs the lookup did not cover may still be stored (e.g. a need's top k row
    # that just became its producer's top k too).
    missing = {
        (n, p)
        for n, p in keys - set(existing)
        if p != plan.touched_product and n != plan.touched_need
    }
    if missing:
        for pk, need, product, *rest in rows_fetch(
            Suggestion.objects.filter(
                need_id__in={n for n, _p in missing}, product_id__in={p for _n, p in missing}
            )
            .order_by()
            .values_list(*columns)
        ):
            if (need, product) in missing:
                existing[(need, product)] = (pk, *rest)

    # Fingerprints of the ranked rescored pairs, one vectorised call per engine result.
    groups: dict[int, tuple[engine.MatchResult, list[int], list[tuple[int, int]]]] = {}
    for key in keys:
        scored = plan.scored.get(key)
        if scored is None:
            continue
        result, row = scored
        entry = groups.setdefault(id(result), (result, [], []))
        entry[1].append(row)
        entry[2].append(key)
    fingerprint_of: dict[tuple[int, int], int] = {}
    for result, rows, pair_list in groups.values():
        values = fingerprints(result, np.asarray(rows, dtype=np.intp), vocab).tolist()
        fingerprint_of.update(zip(pair_list, values, strict=True))

    deletes: list[int] = []
    updates: list[tuple[int, int, int]] = []
    upserts: dict[int, tuple[engine.MatchResult, list[int], list[int], list[int]]] = {}
    for key in keys | set(existing):
        need, _product = key
        found = existing.get(key)
        scored = plan.scored.get(key) if key in fingerprint_of else None
        producer = found[1] if found else int(scored[0].producer_id[scored[1]]) if scored else None
        old_nr, old_pr = (found[2], found[3]) if found else (0, 0)
        nr = plan.need_ranks.get(key, 0) if need in plan.need_scope else old_nr
        pr = plan.producer_ranks.get(key, 0) if producer in plan.producer_scope else old_pr
        if nr == 0 and pr == 0:
            if found:
                deletes.append(found[0])
        elif scored is not None and (found is None or found[4] != fingerprint_of[key]):
            result, row = scored
            entry = upserts.setdefault(id(result), (result, [], [], []))
            entry[1].append(row)
            entry[2].append(nr)
            entry[3].append(pr)
        elif found is None:
            raise RuntimeError(f"Incremental run {run.pk}: no factors for new pair {key}.")
        elif (nr, pr) != (old_nr, old_pr):
            updates.append((found[0], nr, pr))
    rows = Rows.concat(
        [
            rows_from_result(
                result,
                np.asarray(idx, dtype=np.intp),
                vocab,
                need_rank=np.asarray(nrs, dtype=np.int64),
                producer_rank=np.asarray(prs, dtype=np.int64),
            )
            for result, idx, nrs, prs in upserts.values()
        ]
    )
    return _write(run=run, upserts=rows, updates=updates, deletes=deletes)


def _subjects(subject: dict[str, Any]) -> list[tuple[str, int]]:
    """What an incremental run rescores, in order: one listing or need, or a batch."""
    if "product" in subject:
        return [("product", int(subject["product"]))]
    if "need" in subject:
        return [("need", int(subject["need"]))]
    return [("product", int(pk)) for pk in subject.get("products", [])] + [
        ("need", int(pk)) for pk in subject.get("needs", [])
    ]


def match_run_incremental(*, run_id: int) -> MatchRun:
    """Rescore the run's listing or need (or each of a batch's, in turn: every step reads
    what the one before wrote) and repair the suggestions it affects."""
    run = _run_begin(run_id)
    if run is None:
        return MatchRun.objects.get(pk=run_id)
    weights, k = run.weights_engine(), int(run.weights["k"])
    vocab = vocabulary()
    totals = {"products": 0, "needs": 0, "pairs_considered": 0, "pairs_passed": 0}
    written, score_s, write_s = 0, 0.0, 0.0
    for kind, pk in _subjects(run.subject):
        started = time.perf_counter()
        if kind == "product":
            plan = _product_plan(product_id=pk, weights=weights, k=k, vocab=vocab)
        else:
            plan = _need_plan(need_id=pk, weights=weights, k=k, vocab=vocab)
        scored = time.perf_counter()
        written += _plan_apply(plan=plan, run=run, vocab=vocab)
        # Loading and scoring interleave here; both are counted as scoring.
        score_s += scored - started
        write_s += time.perf_counter() - scored
        for name in totals:
            totals[name] += getattr(plan, name)
    MatchRun.objects.filter(pk=run.pk).update(
        status=MatchRun.Status.DONE,
        suggestions_written=written,
        score_s=score_s,
        write_s=write_s,
        finished_at=timezone.now(),
        **totals,
    )
    run.refresh_from_db()
    return run


# --- dismissals and meeting requests ----------------------------------------------------------


@transaction.atomic
def suggestion_dismiss(*, user: User, suggestion: Suggestion, side: str) -> Dismissal:
    """ "Not interested": hide the pair from this side for good (later runs included).
    Idempotent."""
    if side == Dismissal.Side.BUYER:
        if not Buyer.objects.filter(pk=suggestion.buyer_id, members=user).exists():
            raise MatchingError(_("You do not buy for this organisation."))
        dismissal, created = Dismissal.objects.get_or_create(
            side=side,
            need_id=suggestion.need_id,
            product_id=suggestion.product_id,
            defaults={"user": user},
        )
    elif side == Dismissal.Side.PRODUCER:
        if not Producer.objects.filter(pk=suggestion.producer_id, members=user).exists():
            raise MatchingError(_("You are not a member of this business."))
        dismissal, created = Dismissal.objects.get_or_create(
            side=side,
            need_id=suggestion.need_id,
            producer_id=suggestion.producer_id,
            defaults={"user": user},
        )
    else:
        raise MatchingError(_("Say which side is not interested."))
    if created:
        # The turned-down pair leaves that side's top k: rescore the need so the next best
        # takes its place now, not at the next full run. No digest for this run (the reader
        # is on the page); the next full run's digest lists what came in.
        match_incremental_queue(need=suggestion.need, action="dismissed", send_digests=False)
    return dismissal


def suggestion_meeting_request(
    *, user: User, suggestion: Suggestion, side: str, forum: Forum | None = None, message: str = ""
) -> MeetingRequest:
    """One click from a suggestion: the buyer asks to meet the producer about the product,
    or the producer offers to meet the buyer about the need. Raises the meeting-request
    service's MeetingRequestError when it refuses."""
    from forums.services import meeting_request_create

    return meeting_request_create(
        user=user,
        buyer=suggestion.buyer,
        producer=suggestion.producer,
        product=suggestion.product,
        need=suggestion.need,
        forum=forum,
        message=message,
        initiated_by=side,
        score=suggestion.score,
    )


# --- digests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestPlan:
    user_id: int
    buyer_ids: list[int]  # new suggestions for the buyers the user buys for, best first
    producer_ids: list[int]  # new suggestions for the user's producers, best first


def digests_plan(*, run_id: int) -> list[DigestPlan]:
    """Who gets a digest for this run: members (active, not opted out) of buyers and
    producers with suggestions that are new to their side (never notified, not dismissed).

    Suggestions notified since this run's digest step first started count as new, so a
    retried step plans the same digests; `DigestSent` then stops any second copy.
    """
    run = MatchRun.objects.get(pk=run_id)
    if not run.send_digests or run.status != MatchRun.Status.DONE:
        return []
    MatchRun.objects.filter(pk=run.pk, digests_started_at__isnull=True).update(
        digests_started_at=timezone.now()
    )
    run.refresh_from_db(fields=["digests_started_at"])
    since = run.digests_started_at
    # A full run vouches for every suggestion in its scope (unchanged rows keep the run that
    # last wrote them); an incremental run for the rows it wrote.
    if run.kind == MatchRun.Kind.FULL:
        of_run = _scope(Suggestion.objects.all(), run.forum)
    else:
        of_run = Suggestion.objects.filter(run=run)
    of_run = of_run.filter(Q(need_rank__gt=0) | Q(producer_rank__gt=0)).order_by("-score", "pk")
    buyer_new = of_run.filter(
        Q(buyer_notified_at__isnull=True) | Q(buyer_notified_at__gte=since)
    ).exclude(
        need__dismissals__side=Dismissal.Side.BUYER,
        need__dismissals__product_id=F("product_id"),
    )
    producer_new = of_run.filter(
        Q(producer_notified_at__isnull=True) | Q(producer_notified_at__gte=since)
    ).exclude(
        need__dismissals__side=Dismissal.Side.PRODUCER,
        need__dismissals__producer_id=F("producer_id"),
    )
    by_buyer: dict[int, list[int]] = {}
    for pk, buyer in buyer_new.values_list("pk", "buyer_id"):
        by_buyer.setdefault(buyer, []).append(pk)
    by_producer: dict[int, list[int]] = {}
    for pk, producer in producer_new.values_list("pk", "producer_id"):
        by_producer.setdefault(producer, []).append(pk)

    reader = {"user__is_active": True, "user__digest_opt_out": False}
    plans: dict[int, tuple[list[int], list[int]]] = {}
    for user, buyer in Buyer.members.through.objects.filter(
        buyer_id__in=list(by_buyer), **reader
    ).values_list("user_id", "buyer_id"):
        plans.setdefault(user, ([], []))[0].extend(by_buyer[buyer])
    for user, producer in Producer.members.through.objects.filter(
        producer_id__in=list(by_producer), **reader
    ).values_list("user_id", "producer_id"):
        plans.setdefault(user, ([], []))[1].extend(by_producer[producer])
    return [
        DigestPlan(user_id=user, buyer_ids=buyer_ids, producer_ids=producer_ids)
        for user, (buyer_ids, producer_ids) in sorted(plans.items())
    ]


def _digest_items(ids: list[int], *, side: str) -> list[Suggestion]:
    from matching.selectors import suggestions_with_relations

    dismissed = (
        Q(need__dismissals__side=side, need__dismissals__product_id=F("product_id"))
        if side == Dismissal.Side.BUYER
        else Q(need__dismissals__side=side, need__dismissals__producer_id=F("producer_id"))
    )
    return list(
        suggestions_with_relations(Suggestion.objects.filter(pk__in=ids).exclude(dismissed))
    )


def digest_send(
    *, run_id: int, user_id: int, buyer_ids: list[int], producer_ids: list[int]
) -> bool:
    """Send one user's digest for a run, at most once: the DigestSent row is inserted first,
    then the email is sent and the suggestions are marked notified, all in one transaction.
    If sending fails, everything rolls back and a retry sends it; if the row exists, nothing
    is sent. Returns whether an email went out."""
    started = time.perf_counter()
    user = User.objects.filter(pk=user_id, is_active=True, digest_opt_out=False).first()
    if user is None:
        return False
    buyer_items = _digest_items(buyer_ids, side=Dismissal.Side.BUYER)
    producer_items = _digest_items(producer_ids, side=Dismissal.Side.PRODUCER)
    if not buyer_items and not producer_items:
        return False
    buyer_items.sort(key=lambda s: (-s.score, s.pk))
    producer_items.sort(key=lambda s: (-s.score, s.pk))
    listed = [s.pk for s in buyer_items[:DIGEST_ITEMS] + producer_items[:DIGEST_ITEMS]]
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                DigestSent.objects.create(
                    user=user, run_id=run_id, sent_at=now, suggestion_ids=listed
                )
        except IntegrityError:
            return False  # sent already (by an earlier try, or another worker)
        Suggestion.objects.filter(
            pk__in=[s.pk for s in buyer_items], buyer_notified_at__isnull=True
        ).update(buyer_notified_at=now)
        Suggestion.objects.filter(
            pk__in=[s.pk for s in producer_items], producer_notified_at__isnull=True
        ).update(producer_notified_at=now)
        digest_email_send(
            user=user,
            buyer_items=buyer_items[:DIGEST_ITEMS],
            buyer_total=len(buyer_items),
            producer_items=producer_items[:DIGEST_ITEMS],
            producer_total=len(producer_items),
        )
        MatchRun.objects.filter(pk=run_id).update(
            emails_sent=DigestSent.objects.filter(run_id=run_id).count(),
            email_s=F("email_s") + (time.perf_counter() - started),
        )
    return True
