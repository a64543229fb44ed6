"""Bulk writes of suggestions: engine result rows in, upserted Suggestion rows out.

On PostgreSQL rows are streamed with COPY into a temporary table and merged with one
INSERT ... ON CONFLICT (need, product) DO UPDATE, which writes 100k+ rows in about a second;
elsewhere (SQLite in development and tests) the same upsert goes through
`bulk_create(update_conflicts=True)` in batches. Either way an existing row keeps its
`created_at`, `first_suggested_at` and notification times.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db import connection
from numpy.typing import NDArray

from matching.engine import Flag, MatchKind, MatchResult, bitset_indices
from matching.loaders import Vocabulary
from matching.models import Suggestion

BATCH_SIZE = 2000
_KIND_NAMES = {int(kind): kind.name.lower() for kind in MatchKind}
# Top-k flags depend on ranks, which merges outside the engine may change: not stored.
_STORED_FLAGS = [f for f in Flag if f not in (Flag.NEED_TOP_K, Flag.PRODUCER_TOP_K)]
_UPDATED_ON_CONFLICT = (
    "fingerprint",
    "producer_id",
    "buyer_id",
    "score",
    "category",
    "province",
    "certification",
    "volume",
    "min_order",
    "breakdown",
    "need_rank",
    "producer_rank",
    "run_id",
    "updated_at",
)


@dataclass
class Rows:
    """Suggestion rows to write, column by column."""

    need_id: NDArray[np.int64]
    product_id: NDArray[np.int64]
    producer_id: NDArray[np.int64]
    buyer_id: NDArray[np.int64]
    score: NDArray[np.float64]
    category: NDArray[np.float64]
    province: NDArray[np.float64]
    certification: NDArray[np.float64]
    volume: NDArray[np.float64]
    min_order: NDArray[np.float64]
    breakdown: list[str]  # JSON text
    need_rank: NDArray[np.int64]
    producer_rank: NDArray[np.int64]
    fingerprint: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.need_id)

    @classmethod
    def concat(cls, parts: Sequence[Rows]) -> Rows:
        parts = [p for p in parts if len(p)]
        if not parts:
            return rows_empty()
        values = {}
        for name in cls.__dataclass_fields__:
            if name == "breakdown":
                values[name] = [text for p in parts for text in p.breakdown]
            else:
                values[name] = np.concatenate([getattr(p, name) for p in parts])
        return cls(**values)


def rows_empty() -> Rows:
    i, f = np.zeros(0, np.int64), np.zeros(0, np.float64)
    return Rows(i, i, i, i, f, f, f, f, f, f, [], i, i, i)


def _numbers(values: NDArray[np.float64], *, positive: bool = False) -> list[str]:
    """JSON numbers; NaN (and, with positive, values <= 0) become null."""
    return [repr(v) if v == v and (not positive or v > 0) else "null" for v in values.tolist()]


def _cert_lists(bits: NDArray[np.uint64], vocab: Vocabulary) -> list[str]:
    if not len(bits):
        return []
    if bits.shape[1] == 1:
        unique, inverse = np.unique(bits[:, 0], return_inverse=True)
        unique = unique.reshape(-1, 1)
    else:
        unique, inverse = np.unique(bits, axis=0, return_inverse=True)
    texts = [json.dumps(vocab.cert_pks[bitset_indices(row)].tolist()) for row in unique]
    return [texts[i] for i in inverse.reshape(-1).tolist()]


def _flag_lists(flags: NDArray[np.uint16]) -> list[str]:
    unique, inverse = np.unique(flags, return_inverse=True)
    texts = [
        json.dumps([f.name.lower() for f in _STORED_FLAGS if f & int(value)])
        for value in unique.tolist()
    ]
    return [texts[i] for i in inverse.reshape(-1).tolist()]


def breakdowns(result: MatchResult, rows: NDArray[np.intp], vocab: Vocabulary) -> list[str]:
    """The engine's per-row breakdown as JSON text, with database pks for the nearest
    province and the certifications (built column-wise: ~1 µs a row)."""
    if not len(rows):
        return []
    kinds = [_KIND_NAMES[k] for k in result.match_kind[rows].tolist()]
    distance = [
        f"{d:.1f}" if d == d else "null" for d in np.round(result.distance_km[rows], 1).tolist()
    ]
    nearest_index = result.nearest_province[rows]
    nearest_pk = np.where(
        nearest_index >= 0, vocab.province_pks[np.maximum(nearest_index, 0)], -1
    ).tolist()
    nearest = [str(p) if p >= 0 else "null" for p in nearest_pk]
    required = _cert_lists(result.required_held[rows], vocab)
    preferred = _cert_lists(result.preferred_held[rows], vocab)
    preferred_count = result.preferred_count[rows].tolist()
    capacity = _numbers(result.product_capacity[rows])
    volume = _numbers(result.need_volume[rows], positive=True)
    minimum = _numbers(result.product_min_order[rows], positive=True)
    order = _numbers(result.need_order_size[rows], positive=True)
    flags = _flag_lists(result.flags[rows])
    return [
        f'{{"match_kind":"{k}","distance_km":{d},"nearest_province":{n},'
        f'"required_held":{rq},"preferred_held":{pf},"preferred_count":{pc},'
        f'"quantities":{{"product_capacity":{c},"need_volume":{v},'
        f'"product_min_order":{m},"need_order_size":{o}}},"flags":{fl}}}'
        for k, d, n, rq, pf, pc, c, v, m, o, fl in zip(
            kinds,
            distance,
            nearest,
            required,
            preferred,
            preferred_count,
            capacity,
            volume,
            minimum,
            order,
            flags,
            strict=True,
        )
    ]


_FNV_PRIME = np.uint64(0x100000001B3)
_TOP_K_BITS = np.uint16(int(Flag.NEED_TOP_K | Flag.PRODUCER_TOP_K))


def pair_keys(need_ids: NDArray[np.int64], product_ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """One int64 per (need, product) pair, for sorting and set operations."""
    need_ids = np.asarray(need_ids, dtype=np.int64)
    product_ids = np.asarray(product_ids, dtype=np.int64)
    if len(need_ids) and (need_ids.max() >= 1 << 31 or product_ids.max() >= 1 << 31):
        raise OverflowError("Primary keys beyond 2**31 need a wider pair key.")
    return (need_ids << 32) | product_ids


def fingerprints(
    result: MatchResult, rows: NDArray[np.intp], vocab: Vocabulary
) -> NDArray[np.int64]:
    """A 64-bit hash per row of everything a suggestion shows but its ranks: score, factors
    and breakdown. Equal fingerprints mean the stored row needs no rewrite."""
    idx = np.asarray(rows, dtype=np.intp)
    nearest = result.nearest_province[idx]
    columns = [
        *(
            getattr(result, name)[idx].view(np.uint64)
            for name in ("score", "category", "province", "certification", "volume", "min_order")
        ),
        result.match_kind[idx].astype(np.uint64),
        np.where(np.isnan(result.distance_km[idx]), -1, np.rint(result.distance_km[idx] * 10))
        .astype(np.int64)
        .view(np.uint64),
        np.where(nearest >= 0, vocab.province_pks[np.maximum(nearest, 0)], -1)
        .astype(np.int64)
        .view(np.uint64),
        *(result.required_held[idx].T),
        *(result.preferred_held[idx].T),
        result.preferred_count[idx].astype(np.uint64),
        *(
            np.nan_to_num(getattr(result, name)[idx], nan=-1.0).view(np.uint64)
            for name in ("product_capacity", "need_volume", "product_min_order", "need_order_size")
        ),
        (result.flags[idx] & ~_TOP_K_BITS).astype(np.uint64),
    ]
    h = np.full(len(idx), 0xCBF29CE484222325, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in columns:
            h = (h ^ np.ascontiguousarray(column, dtype=np.uint64)) * _FNV_PRIME
            h ^= h >> np.uint64(29)
    return h.view(np.int64)


def rows_from_result(
    result: MatchResult,
    rows: NDArray[np.intp] | None,
    vocab: Vocabulary,
    *,
    need_rank: NDArray[np.int64] | None = None,
    producer_rank: NDArray[np.int64] | None = None,
) -> Rows:
    """Rows of `result` (all when rows is None), with ranks from the result unless given."""
    idx = np.arange(len(result)) if rows is None else np.asarray(rows, dtype=np.intp)
    return Rows(
        need_id=result.need_id[idx],
        product_id=result.product_id[idx],
        producer_id=result.producer_id[idx],
        buyer_id=result.buyer_id[idx],
        score=result.score[idx],
        category=result.category[idx],
        province=result.province[idx],
        certification=result.certification[idx],
        volume=result.volume[idx],
        min_order=result.min_order[idx],
        breakdown=breakdowns(result, idx, vocab),
        need_rank=(result.need_rank[idx] if need_rank is None else need_rank).astype(np.int64),
        producer_rank=(
            result.producer_rank[idx] if producer_rank is None else producer_rank
        ).astype(np.int64),
        fingerprint=fingerprints(result, idx, vocab),
    )


# --- upsert -----------------------------------------------------------------------------------


def suggestions_upsert(
    *, rows: Rows, run_id: int | None, now: dt.datetime, keep_producer_rank: bool = False
) -> int:
    """Insert or update these rows (unique on need and product); returns rows written. With
    keep_producer_rank an existing row keeps its producer rank. Call inside a transaction."""
    if not len(rows):
        return 0
    updated = tuple(
        c for c in _UPDATED_ON_CONFLICT if not (keep_producer_rank and c == "producer_rank")
    )
    if connection.vendor == "postgresql":
        return _upsert_copy(rows, run_id, now, updated)
    return _upsert_orm(rows, run_id, now, updated)


def _upsert_orm(rows: Rows, run_id: int | None, now: dt.datetime, updated: tuple) -> int:
    objects = [
        Suggestion(
            need_id=n,
            product_id=p,
            producer_id=pr,
            buyer_id=b,
            score=s,
            category=c,
            province=pv,
            certification=ce,
            volume=v,
            min_order=m,
            breakdown=json.loads(bd),
            need_rank=nr,
            producer_rank=prr,
            fingerprint=fp,
            run_id=run_id,
            created_at=now,
            updated_at=now,
            first_suggested_at=now,
        )
        for n, p, pr, b, s, c, pv, ce, v, m, bd, nr, prr, fp in zip(
            rows.need_id.tolist(),
            rows.product_id.tolist(),
            rows.producer_id.tolist(),
            rows.buyer_id.tolist(),
            rows.score.tolist(),
            rows.category.tolist(),
            rows.province.tolist(),
            rows.certification.tolist(),
            rows.volume.tolist(),
            rows.min_order.tolist(),
            rows.breakdown,
            rows.need_rank.tolist(),
            rows.producer_rank.tolist(),
            rows.fingerprint.tolist(),
            strict=True,
        )
    ]
    fields = [f.removesuffix("_id") if f.endswith("_id") else f for f in updated]
    Suggestion.objects.bulk_create(
        objects,
        batch_size=BATCH_SIZE // 4,
        update_conflicts=True,
        unique_fields=["need", "product"],
        update_fields=fields,
    )
    return len(objects)


_STAGE_COLUMNS = (
    "need_id",
    "product_id",
    "producer_id",
    "buyer_id",
    "score",
    "category",
    "province",
    "certification",
    "volume",
    "min_order",
    "breakdown",
    "need_rank",
    "producer_rank",
    "fingerprint",
)


def _copy_text(rows: Rows) -> str:
    columns = [
        rows.need_id.tolist(),
        rows.product_id.tolist(),
        rows.producer_id.tolist(),
        rows.buyer_id.tolist(),
        *(
            [repr(x) for x in getattr(rows, name).tolist()]
            for name in ("score", "category", "province", "certification", "volume", "min_order")
        ),
        rows.breakdown,  # JSON without backslashes, tabs or newlines
        rows.need_rank.tolist(),
        rows.producer_rank.tolist(),
        rows.fingerprint.tolist(),
    ]
    return "".join("\t".join(map(str, values)) + "\n" for values in zip(*columns, strict=True))


def _upsert_copy(rows: Rows, run_id: int | None, now: dt.datetime, updated: tuple) -> int:
    table = Suggestion._meta.db_table
    columns = ", ".join(_STAGE_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in updated)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS matching_suggestion_stage ("
            "need_id bigint, product_id bigint, producer_id bigint, buyer_id bigint, "
            "score double precision, category double precision, province double precision, "
            "certification double precision, volume double precision, "
            "min_order double precision, breakdown jsonb, need_rank smallint, "
            "producer_rank smallint, fingerprint bigint) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE matching_suggestion_stage")
        with cursor.cursor.copy(f"COPY matching_suggestion_stage ({columns}) FROM STDIN") as copy:
            copy.write(_copy_text(rows))
        cursor.execute(
            f"INSERT INTO {table} ({columns}, run_id, created_at, updated_at, "
            f"first_suggested_at) SELECT {columns}, %s, %s, %s, %s "
            f"FROM matching_suggestion_stage "
            f"ON CONFLICT (need_id, product_id) DO UPDATE SET {updates}",
            [run_id, now, now, now],
        )
        return cursor.rowcount


# --- rank updates and deletes -----------------------------------------------------------------


def ranks_update(
    *, updates: list[tuple[int, int, int]], run_id: int | None, now: dt.datetime
) -> int:
    """Set (need_rank, producer_rank) of existing rows, given as (pk, need_rank,
    producer_rank)."""
    if not updates:
        return 0
    if connection.vendor == "postgresql":
        # Three array parameters rather than thousands of bound values.
        ids, need_ranks, producer_ranks = (list(column) for column in zip(*updates, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Suggestion._meta.db_table} AS s SET need_rank = v.nr, "
                f"producer_rank = v.pr, run_id = %s, updated_at = %s "
                f"FROM unnest(%s::bigint[], %s::smallint[], %s::smallint[]) AS v(id, nr, pr) "
                f"WHERE s.id = v.id",
                [run_id, now, ids, need_ranks, producer_ranks],
            )
            return cursor.rowcount
    objects = [
        Suggestion(pk=pk, need_rank=nr, producer_rank=pr, run_id=run_id, updated_at=now)
        for pk, nr, pr in updates
    ]
    Suggestion.objects.bulk_update(
        objects, ["need_rank", "producer_rank", "run_id", "updated_at"], batch_size=500
    )
    return len(objects)


def suggestions_delete(*, ids: list[int]) -> int:
    total = 0
    for start in range(0, len(ids), BATCH_SIZE):
        total += Suggestion.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).delete()[0]
    return total
