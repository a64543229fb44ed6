"""Querysets in, engine arrays out: the bridge between the database and `matching.engine`.

Each loader reads with a handful of `values_list` queries (never one per row) and maps
database pks to array indices: provinces to rows of the engine's ProvinceTable and
certifications to bits of its bitsets. Both vocabularies are static reference data, so they
are cached per process and rebuilt only when a cheap aggregate over their rows changes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, FloatField, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from numpy.typing import NDArray

from buyers.models import SourcingNeed
from forums.models import Forum
from matching.engine import (
    DIMENSION_CODES,
    Exclusions,
    Needs,
    Products,
    ProvinceTable,
    cert_words,
)
from matching.models import Dismissal
from producers.models import HeldCertification, Product
from taxonomy.models import Certification, Province


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Province rows (sorted pks, centroid distances) and certification bits (sorted pks)."""

    provinces: ProvinceTable
    province_pks: NDArray[np.int64]
    cert_pks: NDArray[np.int64]

    @property
    def n_certs(self) -> int:
        return len(self.cert_pks)

    def province_index(self, pks: Iterable[int] | NDArray[np.int64]) -> NDArray[np.int32]:
        return _positions(self.province_pks, pks, "province").astype(np.int32)

    def cert_index(self, pks: Iterable[int] | NDArray[np.int64]) -> NDArray[np.int64]:
        return _positions(self.cert_pks, pks, "certification")

    def province_pk(self, index: int) -> int | None:
        return int(self.province_pks[index]) if index >= 0 else None


def _positions(sorted_pks: NDArray[np.int64], pks, what: str) -> NDArray[np.int64]:
    values = np.asarray(list(pks) if not isinstance(pks, np.ndarray) else pks, dtype=np.int64)
    at = np.searchsorted(sorted_pks, values)
    if len(values) and (at.max() >= len(sorted_pks) or np.any(sorted_pks[at] != values)):
        raise LookupError(f"Unknown {what} pk: the vocabulary is out of date.")
    return at


_vocabulary_lock = threading.Lock()
_vocabulary_cache: tuple[tuple, Vocabulary] | None = None


def vocabulary() -> Vocabulary:
    """The province table and certification bits, rebuilt only when the rows change.

    Provinces and certifications are reference data loaded by migrations, so the cache key
    (row count, largest pk and coordinate sums) is two small aggregate queries.
    """
    global _vocabulary_cache
    prov = Province.objects.aggregate(
        n=Count("pk"), top=Max("pk"), lat=Sum("latitude"), lon=Sum("longitude")
    )
    certs = Certification.objects.aggregate(n=Count("pk"), top=Max("pk"))
    key = (prov["n"], prov["top"], str(prov["lat"]), str(prov["lon"]), certs["n"], certs["top"])
    with _vocabulary_lock:
        if _vocabulary_cache is not None and _vocabulary_cache[0] == key:
            return _vocabulary_cache[1]
    rows = list(Province.objects.order_by("pk").values_list("pk", "latitude", "longitude"))
    cert_pks = np.fromiter(
        Certification.objects.order_by("pk").values_list("pk", flat=True), dtype=np.int64
    )
    pks = np.array([r[0] for r in rows], dtype=np.int64)
    lat = np.array([float(r[1]) for r in rows], dtype=np.float64)
    lon = np.array([float(r[2]) for r in rows], dtype=np.float64)
    result = Vocabulary(
        provinces=ProvinceTable.from_centroids(lat, lon), province_pks=pks, cert_pks=cert_pks
    )
    with _vocabulary_lock:
        _vocabulary_cache = (key, result)
    return result


def _bitsets(
    ids: NDArray[np.int64], pairs: list[tuple[int, int]], vocab: Vocabulary
) -> NDArray[np.uint64]:
    """(rows, words) bitsets from (owner pk, certification pk) pairs; `ids` sorted."""
    out = np.zeros((len(ids), cert_words(vocab.n_certs)), dtype=np.uint64)
    if not pairs:
        return out
    owners = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
    certs = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
    rows = np.searchsorted(ids, owners)
    keep = (rows < len(ids)) & (ids[np.minimum(rows, len(ids) - 1)] == owners)
    rows, bits = rows[keep], vocab.cert_index(certs[keep])
    values = np.left_shift(np.uint64(1), (bits % 64).astype(np.uint64))
    np.bitwise_or.at(out, (rows, bits // 64), values)
    return out


def rows_fetch(queryset: QuerySet) -> list[tuple]:
    """The rows of a values_list() queryset in one fetchall: Django's iterator fetches 100
    rows a round trip, which dominates at 100k rows. Only for plain values (no converters)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. an empty pk__in list: nothing to ask
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_COPY_HEADER = 19  # signature (11 bytes), flags and header extension length (4 + 4)


def int_columns_fetch(queryset: QuerySet, columns: int) -> NDArray[np.int64]:
    """The rows of a values_list() queryset of integer columns (never NULL) as a
    (columns, rows) int64 array. On PostgreSQL the rows come as one binary COPY read
    straight into numpy (about 10x faster than fetching tuples at 100k rows)."""
    if connection.vendor != "postgresql":
        rows = rows_fetch(queryset)
        return np.array(rows, dtype=np.int64).reshape(-1, columns).T
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return np.zeros((columns, 0), dtype=np.int64)
    names = [f"c{i}" for i in range(columns)]
    outer = ", ".join(f"{name}::bigint" for name in names)
    statement = (
        f"COPY (SELECT {outer} FROM ({sql}) AS q({', '.join(names)})) TO STDOUT (FORMAT BINARY)"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params or None) as copy:
        data = b"".join(bytes(block) for block in copy)
    row = np.dtype(
        [
            ("fields", ">i2"),
            *((f, t) for i in range(columns) for f, t in ((f"n{i}", ">i4"), (f"v{i}", ">i8"))),
        ]
    )
    count = (len(data) - _COPY_HEADER - 2) // row.itemsize
    records = np.frombuffer(data, dtype=row, count=count, offset=_COPY_HEADER)
    if count and not all(np.all(records[f"n{i}"] == 8) for i in range(columns)):
        raise ValueError("int_columns_fetch: a NULL or a non-integer column.")
    return np.stack([records[f"v{i}"].astype(np.int64) for i in range(columns)]).reshape(
        columns, count
    )


def _float(field: str, missing: float | None = None):
    value = Cast(field, FloatField())
    return value if missing is None else Coalesce(value, Value(missing))


# --- products ---------------------------------------------------------------------------------


def products_queryset(
    *,
    forum: Forum | None = None,
    group_ids: Iterable[int] | None = None,
    producer_ids: Iterable[int] | None = None,
    product_ids: Iterable[int] | None = None,
) -> QuerySet[Product]:
    """Approved, public listings the engine scores, optionally narrowed."""
    queryset = Product.objects.approved()
    if forum is not None:
        queryset = queryset.filter(producer__forum_entries__forum=forum)
    if group_ids is not None:
        queryset = queryset.filter(category__parent_id__in=list(group_ids))
    if producer_ids is not None:
        queryset = queryset.filter(producer_id__in=list(producer_ids))
    if product_ids is not None:
        queryset = queryset.filter(pk__in=list(product_ids))
    return queryset.order_by()


def products_load(
    *,
    vocab: Vocabulary,
    day: dt.date | None = None,
    **filters,
) -> Products:
    """Products (sorted by pk) with their verified, unexpired certifications: two queries."""
    day = day or timezone.localdate()
    queryset = products_queryset(**filters)
    rows = rows_fetch(
        queryset.values_list(
            "pk",
            "producer_id",
            "category_id",
            Coalesce("category__parent_id", "category_id"),
            "producer__province_id",
            "stars",
            _float("capacity_base"),
            "capacity_unit__dimension",
            _float("min_order_base", -1.0),
        ).order_by("pk")
    )
    if not rows:
        return _products_empty(vocab)
    cols = list(zip(*rows, strict=True))
    ids = np.array(cols[0], dtype=np.int64)
    certs = rows_fetch(
        HeldCertification.objects.valid_on(day)
        .filter(product__in=queryset.values("pk"))
        .order_by()
        .values_list("product_id", "certification_id")
    )
    return Products(
        product_id=ids,
        producer_id=np.array(cols[1], dtype=np.int64),
        category_id=np.array(cols[2], dtype=np.int64),
        group_id=np.array(cols[3], dtype=np.int64),
        province=vocab.province_index(np.array(cols[4], dtype=np.int64)),
        stars=np.array(cols[5], dtype=np.int8),
        capacity=np.array(cols[6], dtype=np.float64),
        dimension=np.array([DIMENSION_CODES[d] for d in cols[7]], dtype=np.int8),
        min_order=np.array(cols[8], dtype=np.float64),
        certs=_bitsets(ids, certs, vocab),
    )


def _products_empty(vocab: Vocabulary) -> Products:
    empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0, np.float64)
    return Products(
        product_id=empty_i,
        producer_id=empty_i,
        category_id=empty_i,
        group_id=empty_i,
        province=np.zeros(0, np.int32),
        stars=np.zeros(0, np.int8),
        dimension=np.zeros(0, np.int8),
        capacity=empty_f,
        min_order=empty_f,
        certs=np.zeros((0, cert_words(vocab.n_certs)), dtype=np.uint64),
    )


# --- needs ------------------------------------------------------------------------------------


def needs_queryset(
    *,
    day: dt.date | None = None,
    forum: Forum | None = None,
    group_ids: Iterable[int] | None = None,
    need_ids: Iterable[int] | None = None,
    pk_from: int | None = None,
    pk_to: int | None = None,
) -> QuerySet[SourcingNeed]:
    """Open needs whose deadline has not passed, optionally narrowed."""
    queryset = SourcingNeed.objects.open().not_expired(day or timezone.localdate())
    if forum is not None:
        queryset = queryset.filter(buyer__forum_entries__forum=forum)
    if group_ids is not None:
        groups = list(group_ids)
        queryset = queryset.filter(
            Q(category__parent_id__in=groups)
            | Q(category__parent__isnull=True, category_id__in=groups)
        )
    if need_ids is not None:
        queryset = queryset.filter(pk__in=list(need_ids))
    if pk_from is not None:
        queryset = queryset.filter(pk__gte=pk_from)
    if pk_to is not None:
        queryset = queryset.filter(pk__lt=pk_to)
    return queryset.order_by()


def needs_load(*, vocab: Vocabulary, day: dt.date | None = None, **filters) -> Needs:
    """Needs (sorted by pk) with wanted provinces and required and preferred certifications:
    four queries."""
    queryset = needs_queryset(day=day, **filters)
    rows = rows_fetch(
        queryset.values_list(
            "pk",
            "buyer_id",
            "category_id",
            "category__parent_id",
            "min_stars",
            _float("volume_base"),
            "unit__dimension",
            _float("order_size_base", -1.0),
        ).order_by("pk")
    )
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 8
    ids = np.array(cols[0], dtype=np.int64)
    parent = list(cols[3])
    subquery = queryset.values("pk")
    m2m: dict[str, list[tuple[int, int]]] = {}
    for name in ("provinces", "required_certifications", "preferred_certifications"):
        through = getattr(SourcingNeed, name).through
        target = "province_id" if name == "provinces" else "certification_id"
        m2m[name] = (
            rows_fetch(
                through.objects.filter(sourcingneed_id__in=subquery)
                .order_by()
                .values_list("sourcingneed_id", target)
            )
            if n
            else []
        )
    # Wanted provinces as CSR rows (sorted, distinct) in need order.
    wanted = m2m["provinces"]
    owners = np.fromiter((p[0] for p in wanted), dtype=np.int64, count=len(wanted))
    provinces = vocab.province_index(
        np.fromiter((p[1] for p in wanted), dtype=np.int64, count=len(wanted))
    )
    rows_of = np.searchsorted(ids, owners) if n else np.zeros(0, np.int64)
    order = np.lexsort((provinces, rows_of))
    rows_of, provinces = rows_of[order], provinces[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows_of, minlength=n), out=indptr[1:])
    return Needs(
        need_id=ids,
        buyer_id=np.array(cols[1], dtype=np.int64),
        category_id=np.array(cols[2], dtype=np.int64),
        group_id=np.array(
            [p if p is not None else c for p, c in zip(parent, cols[2], strict=True)],
            dtype=np.int64,
        ),
        whole_group=np.array([p is None for p in parent], dtype=bool),
        wanted_indptr=indptr,
        wanted_indices=provinces.astype(np.int32),
        required_certs=_bitsets(ids, m2m["required_certifications"], vocab),
        preferred_certs=_bitsets(ids, m2m["preferred_certifications"], vocab),
        min_stars=np.array(cols[4], dtype=np.int8),
        dimension=np.array([DIMENSION_CODES[d] for d in cols[6]], dtype=np.int8),
        volume=np.array(cols[5], dtype=np.float64),
        order_size=np.array(cols[7], dtype=np.float64),
    )


# Needs by group for incremental runs, per process: a listing approval rescores one product
# against its group's open needs, which rarely change between two approvals. The key holds
# the needs' count and latest change (every buyer service saves the need, M2M changes
# included) and today's date (deadlines), so a change anywhere loads afresh.
_group_needs_cache: dict[tuple, Needs] = {}
_GROUP_NEEDS_KEPT = 16


def needs_load_for_groups(*, vocab: Vocabulary, group_ids: Iterable[int]) -> Needs:
    """needs_load(group_ids=...) through a small per-process cache."""
    groups = tuple(sorted({int(g) for g in group_ids}))
    day = timezone.localdate()
    version = SourcingNeed.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    key = (id(vocab), groups, day, version["n"], version["last"])
    with _vocabulary_lock:
        cached = _group_needs_cache.get(key)
    if cached is not None:
        return cached
    needs = needs_load(vocab=vocab, day=day, group_ids=groups)
    with _vocabulary_lock:
        if len(_group_needs_cache) >= _GROUP_NEEDS_KEPT:
            _group_needs_cache.clear()
        _group_needs_cache[key] = needs
    return needs


# --- dismissals -------------------------------------------------------------------------------


def exclusions_load(
    *,
    need_ids: Iterable[int] | None = None,
    pk_from: int | None = None,
    pk_to: int | None = None,
    producer_ids: Iterable[int] | None = None,
) -> Exclusions:
    """Suggestions turned down ("not interested"), as the engine leaves them out of a top k:
    a buyer's (need, product) out of the need's top k, a producer's (need, producer) out of
    the producer's. Narrowed to needs (pks or a pk range) and/or producers (a buyer's
    dismissal counts for the product's producer); one indexed query per side. A superset of
    what a call scores is fine: the engine ignores pairs it does not score."""
    queryset = Dismissal.objects.order_by()
    if need_ids is not None:
        queryset = queryset.filter(need_id__in=list(need_ids))
    if pk_from is not None:
        queryset = queryset.filter(need_id__gte=pk_from)
    if pk_to is not None:
        queryset = queryset.filter(need_id__lt=pk_to)
    # Each side through its own index (the partial unique indexes lead with the need).
    buyer = queryset.filter(side=Dismissal.Side.BUYER)
    producer = queryset.filter(side=Dismissal.Side.PRODUCER)
    if producer_ids is not None:
        ids = list(producer_ids)
        buyer = buyer.filter(product__producer_id__in=ids)
        producer = producer.filter(producer_id__in=ids)
    return Exclusions(
        need_product=_id_pairs(rows_fetch(buyer.values_list("need_id", "product_id"))),
        need_producer=_id_pairs(rows_fetch(producer.values_list("need_id", "producer_id"))),
    )


def _id_pairs(pairs: list[tuple[int, int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    both = np.array(pairs, dtype=np.int64)
    return both[:, 0], both[:, 1]
