"""Bulk writes of suggestions: engine result rows in, upserted Suggestion rows out.

On PostgreSQL rows are streamed with a binary COPY (built with numpy, each batch's
breakdowns formatted while the server parses the batch before) into a temporary table and
merged with one INSERT ... ON CONFLICT (need, product) DO UPDATE that only rewrites rows
whose content differs; stale rows go in one DELETE. Elsewhere (SQLite in development and
tests) the same upsert goes through `bulk_create(update_conflicts=True)` in batches. Either
way an existing row keeps its `created_at`, `first_suggested_at` and notification times.

Not done, on purpose: an UNLOGGED suggestion table (a third less work per insert, measured)
would be emptied by a crash recovery and is not replicated, and the table also holds who
was told about what (notification times, first suggested), which a rerun cannot rebuild;
`synchronous_commit = off` saves only the WAL flush at each commit (tens of ms a run) but
lets a crash lose a transaction whose Celery task was already acknowledged, so a chunk
would count as done without its rows and nothing would retry it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, connection, transaction
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
    breakdown: Breakdowns  # JSON text, built when read
    need_rank: NDArray[np.int64]
    producer_rank: NDArray[np.int64]
    fingerprint: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.need_id)

    def take(self, order: NDArray[np.intp]) -> Rows:
        """These rows in another order (or a subset)."""
        values = {}
        for name in self.__dataclass_fields__:
            if name == "breakdown":
                values[name] = self.breakdown.take(order)
            else:
                values[name] = getattr(self, name)[order]
        return Rows(**values)

    @classmethod
    def concat(cls, parts: Sequence[Rows]) -> Rows:
        parts = [p for p in parts if len(p)]
        if not parts:
            return rows_empty()
        values = {}
        for name in cls.__dataclass_fields__:
            if name == "breakdown":
                values[name] = Breakdowns.concat([p.breakdown for p in parts])
            else:
                values[name] = np.concatenate([getattr(p, name) for p in parts])
        return cls(**values)


def rows_empty() -> Rows:
    i, f = np.zeros(0, np.int64), np.zeros(0, np.float64)
    return Rows(i, i, i, i, f, f, f, f, f, f, Breakdowns(texts=[]), i, i, i)


class Breakdowns(Sequence[str]):
    """Breakdown texts of some rows of an engine result, built slice by slice when read: the
    COPY writer builds each batch's texts while the server still parses the one before.
    (Rows merged from several results hold ready texts.)"""

    def __init__(
        self,
        result: MatchResult | None = None,
        rows: NDArray[np.intp] | None = None,
        vocab: Vocabulary | None = None,
        *,
        texts: list[str] | None = None,
    ):
        self._source = None if texts is not None else (result, np.asarray(rows, np.intp), vocab)
        self._texts = texts

    def __len__(self) -> int:
        return len(self._texts) if self._source is None else len(self._source[1])

    def __getitem__(self, index):
        if isinstance(index, slice):
            if self._source is None:
                return self._texts[index]
            result, rows, vocab = self._source
            return breakdowns(result, rows[index], vocab)
        at = range(len(self))[index]
        return self[at : at + 1][0]

    def __iter__(self):
        return iter(self[:])

    def take(self, order: NDArray[np.intp]) -> Breakdowns:
        if self._source is None:
            return Breakdowns(texts=[self._texts[i] for i in np.asarray(order).tolist()])
        result, rows, vocab = self._source
        return Breakdowns(result, rows[order], vocab)

    @classmethod
    def concat(cls, parts: Sequence[Breakdowns]) -> Breakdowns:
        if len(parts) == 1:
            return parts[0]
        return cls(texts=[text for part in parts for text in part[:]])


def _texts(values: NDArray, text) -> tuple[list[str], NDArray[np.intp]]:
    """Distinct values as text (`text` called once per distinct value) and each row's index
    into that list."""
    unique, inverse = np.unique(values, return_inverse=True)
    return [text(v) for v in unique.tolist()], inverse.reshape(-1)


def _number(value: float) -> str:
    return repr(value) if value == value else "null"


def _positive(value: float) -> str:
    return repr(value) if value > 0 else "null"  # NaN is not > 0 either


def _cert_lists(bits: NDArray[np.uint64], vocab: Vocabulary) -> tuple[list[str], NDArray[np.intp]]:
    if bits.shape[1] == 1:
        unique, inverse = np.unique(bits[:, 0], return_inverse=True)
        unique = unique.reshape(-1, 1)
    else:
        unique, inverse = np.unique(bits, axis=0, return_inverse=True)
    texts = [json.dumps(vocab.cert_pks[bitset_indices(row)].tolist()) for row in unique]
    return texts, inverse.reshape(-1)


def _flag_list(value: int) -> str:
    return json.dumps([f.name.lower() for f in _STORED_FLAGS if f & value])


def _segment(
    template: str, columns: Sequence[tuple[list[str], NDArray[np.intp]]]
) -> NDArray[np.object_]:
    """Per row, `template` filled (%s) with one text of each column (its texts and each row's
    index into them); each distinct combination is formatted once."""
    key = np.zeros(len(columns[0][1]), dtype=np.int64)
    for texts, codes in columns:
        _, first, key = np.unique(key * len(texts) + codes, return_index=True, return_inverse=True)
        key = key.reshape(-1)
    filled = np.empty(len(first), dtype=object)
    filled[:] = [
        template % tuple(texts[codes[row]] for texts, codes in columns) for row in first.tolist()
    ]
    return filled[key]


def breakdowns(result: MatchResult, rows: NDArray[np.intp], vocab: Vocabulary) -> list[str]:
    """The engine's per-row breakdown as JSON text, with database pks for the nearest
    province and the certifications.

    Built segment by segment over distinct values (most parts repeat across rows: the need's
    quantities, the product's, the distance between two provinces...), so the per-row work
    is four string additions in numpy rather than formatting every row (about 40% less
    time). Key order inside an object does not matter (jsonb normalises it; SQLite stores
    what json.loads gives)."""
    rows = np.asarray(rows, dtype=np.intp)
    if not len(rows):
        return []
    nearest_index = result.nearest_province[rows]
    nearest_pk = np.where(nearest_index >= 0, vocab.province_pks[np.maximum(nearest_index, 0)], -1)
    head = _segment(
        '{"match_kind":"%s","distance_km":%s,"nearest_province":%s,',
        [
            _texts(result.match_kind[rows], _KIND_NAMES.__getitem__),
            _texts(
                np.round(result.distance_km[rows], 1), lambda d: f"{d:.1f}" if d == d else "null"
            ),
            _texts(nearest_pk, lambda p: str(p) if p >= 0 else "null"),
        ],
    )
    certs = _segment(
        '"required_held":%s,"preferred_held":%s,"preferred_count":%s,',
        [
            _cert_lists(result.required_held[rows], vocab),
            _cert_lists(result.preferred_held[rows], vocab),
            _texts(result.preferred_count[rows], str),
        ],
    )
    product_side = _segment(
        '"quantities":{"product_capacity":%s,"product_min_order":%s,',
        [
            _texts(result.product_capacity[rows], _number),
            _texts(result.product_min_order[rows], _positive),
        ],
    )
    need_side = _segment(
        '"need_volume":%s,"need_order_size":%s},',
        [
            _texts(result.need_volume[rows], _positive),
            _texts(result.need_order_size[rows], _positive),
        ],
    )
    flags = _segment('"flags":%s}', [_texts(result.flags[rows], _flag_list)])
    text = head + certs
    text += product_side
    text += need_side
    text += flags
    return text.tolist()


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
        breakdown=Breakdowns(result, idx, vocab),
        need_rank=(result.need_rank[idx] if need_rank is None else need_rank).astype(np.int64),
        producer_rank=(
            result.producer_rank[idx] if producer_rank is None else producer_rank
        ).astype(np.int64),
        fingerprint=fingerprints(result, idx, vocab),
    )


# --- upsert -----------------------------------------------------------------------------------


def suggestions_upsert(
    *,
    rows: Rows,
    run_id: int | None,
    now: dt.datetime,
    keep_producer_rank: bool = False,
    assume_new: bool = False,
) -> int:
    """Insert or update these rows (unique on need and product); returns rows written. With
    keep_producer_rank an existing row keeps its producer rank. An existing row keeps its
    created_at, first_suggested_at and notification times; on PostgreSQL it is only rewritten
    when its content differs (so a retried step writes nothing twice).

    assume_new says the caller found none of these rows stored (a first run): PostgreSQL then
    tries a plain INSERT, which costs the server about a fifth less than the upsert, and
    falls back to the upsert if a row turns out to exist after all (a retried chunk)."""
    if not len(rows):
        return 0
    updated = tuple(
        c for c in _UPDATED_ON_CONFLICT if not (keep_producer_rank and c == "producer_rank")
    )
    if connection.vendor == "postgresql":
        compared = tuple(c for c in _COMPARED if c in updated)
        return _upsert_copy(rows, run_id, now, updated, compared, assume_new=assume_new)
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


# Stage columns in COPY order, with their SQL and binary (big-endian) types; the breakdown,
# the one variable-length field, comes last.
_STAGE_FIXED = (
    ("need_id", "bigint", ">i8"),
    ("product_id", "bigint", ">i8"),
    ("producer_id", "bigint", ">i8"),
    ("buyer_id", "bigint", ">i8"),
    ("score", "double precision", ">f8"),
    ("category", "double precision", ">f8"),
    ("province", "double precision", ">f8"),
    ("certification", "double precision", ">f8"),
    ("volume", "double precision", ">f8"),
    ("min_order", "double precision", ">f8"),
    ("need_rank", "smallint", ">i2"),
    ("producer_rank", "smallint", ">i2"),
    ("fingerprint", "bigint", ">i8"),
)
_STAGE_COLUMNS = (*(name for name, _sql, _binary in _STAGE_FIXED), "breakdown")
_STAGE_TABLE = "matching_suggestion_stage"
# One COPY row up to the breakdown's bytes: the field count, then (length, value) per fixed
# field, then the breakdown's length.
_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        *(
            field
            for name, _sql, binary in _STAGE_FIXED
            for field in ((f"{name}_length", ">i4"), (name, binary))
        ),
        ("breakdown_length", ">i4"),
    ]
)
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # no flags, no header extension
_COPY_TRAILER = b"\xff\xff"
COPY_ROWS = 20_000  # rows per COPY message batch (bounds the memory of the encoded rows)
# The columns that say whether a stored row differs from the new one: the fingerprint covers
# score, factors and breakdown. run_id and updated_at always differ and do not count.
_COMPARED = ("fingerprint", "need_rank", "producer_rank", "producer_id", "buyer_id")


def _copy_binary(rows: Rows, start: int, stop: int) -> bytes:
    """Rows [start, stop) in PostgreSQL's binary COPY format (without signature or trailer):
    the fixed-width part of every row is one numpy record, the jsonb breakdown is version byte
    1 followed by the JSON text."""
    n = stop - start
    record = np.empty(n, dtype=_COPY_ROW)
    record["fields"] = len(_STAGE_COLUMNS)
    for name, _sql, binary in _STAGE_FIXED:
        record[f"{name}_length"] = np.dtype(binary).itemsize
        record[name] = getattr(rows, name)[start:stop]
    texts = [b"\x01" + text.encode() for text in rows.breakdown[start:stop]]
    record["breakdown_length"] = np.fromiter(map(len, texts), dtype=np.int32, count=n)
    fixed, width = record.tobytes(), _COPY_ROW.itemsize
    parts: list[bytes] = [b""] * (2 * n)
    parts[0::2] = [fixed[at : at + width] for at in range(0, n * width, width)]
    parts[1::2] = texts
    return b"".join(parts)


def _upsert_copy(
    rows: Rows,
    run_id: int | None,
    now: dt.datetime,
    updated: tuple,
    compared: tuple,
    *,
    assume_new: bool = False,
) -> int:
    """COPY (binary) into a temporary table, then one INSERT ... ON CONFLICT DO UPDATE that
    rewrites only rows whose content differs. Rows go in (need, product) order: concurrent
    writers then lock rows in the same order, and index inserts stay local."""
    from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only

    table = Suggestion._meta.db_table
    rows = rows.take(np.lexsort((rows.product_id, rows.need_id)))
    columns = ", ".join(_STAGE_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in updated)
    stored = ", ".join(f"s.{c}" for c in compared)
    given = ", ".join(f"EXCLUDED.{c}" for c in compared)
    with transaction.atomic(), connection.cursor() as cursor:
        # ON COMMIT DROP: the table lives as long as the transaction, whoever else stages.
        stage_columns = ", ".join(
            [*(f"{name} {sql}" for name, sql, _binary in _STAGE_FIXED), "breakdown jsonb"]
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE_TABLE} ({stage_columns}) ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {_STAGE_TABLE}")
        # A queued writer sends each batch from a thread while the next one is built.
        with cursor.cursor.copy(
            f"COPY {_STAGE_TABLE} ({columns}) FROM STDIN (FORMAT BINARY)",
            writer=QueuedLibpqWriter(cursor.cursor),
        ) as copy:
            copy.write(_COPY_SIGNATURE)
            for start in range(0, len(rows), COPY_ROWS):
                copy.write(_copy_binary(rows, start, min(len(rows), start + COPY_ROWS)))
            copy.write(_COPY_TRAILER)
        insert = (
            f"INSERT INTO {table} AS s ({columns}, run_id, created_at, updated_at, "
            f"first_suggested_at) SELECT {columns}, %s, %s, %s, %s FROM {_STAGE_TABLE}"
        )
        if assume_new:
            try:
                with transaction.atomic():  # a savepoint: a conflict undoes only this
                    cursor.execute(insert, [run_id, now, now, now])
                    return cursor.rowcount
            except IntegrityError:
                pass  # some rows exist after all (a retried chunk): merge them instead
        cursor.execute(
            f"{insert} ON CONFLICT (need_id, product_id) DO UPDATE SET {updates} "
            f"WHERE ({stored}) IS DISTINCT FROM ({given})",
            [run_id, now, now, now],
        )
        return cursor.rowcount


# --- rank updates and deletes -----------------------------------------------------------------


def ranks_update(
    *, updates: list[tuple[int, int, int]], run_id: int | None, now: dt.datetime
) -> int:
    """Set (need_rank, producer_rank) of existing rows, given as (pk, need_rank,
    producer_rank); rows that have those ranks already are left alone."""
    if not updates:
        return 0
    if connection.vendor == "postgresql":
        # Three array parameters rather than thousands of bound values. "id = ANY" tells
        # the planner how few rows change: it then looks them up by pk instead of hashing
        # the whole table.
        ids, need_ranks, producer_ranks = (list(column) for column in zip(*updates, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Suggestion._meta.db_table} AS s SET need_rank = v.nr, "
                f"producer_rank = v.pr, run_id = %s, updated_at = %s "
                f"FROM unnest(%s::bigint[], %s::smallint[], %s::smallint[]) AS v(id, nr, pr) "
                f"WHERE s.id = v.id AND s.id = ANY(%s::bigint[]) "
                f"AND (s.need_rank, s.producer_rank) IS DISTINCT FROM (v.nr, v.pr)",
                [run_id, now, ids, need_ranks, producer_ranks, ids],
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
    """Delete these rows: one statement on PostgreSQL, batches elsewhere. (Nothing refers to
    a suggestion, so no cascade is missed.)"""
    if not ids:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {Suggestion._meta.db_table} WHERE id = ANY(%s::bigint[])", [ids]
            )
            return cursor.rowcount
    total = 0
    for start in range(0, len(ids), BATCH_SIZE):
        total += Suggestion.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).delete()[0]
    return total
