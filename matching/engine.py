"""Pure scoring core of the ``matching`` app: scores buyers' sourcing needs against producers'
approved products with numpy alone (no Django). The app's loaders turn querysets into the arrays
below, and its tasks write the returned pairs and per-factor breakdowns back as suggestions."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "COUNT",
    "DEFAULT_WEIGHTS",
    "DIMENSION_CODES",
    "EARTH_RADIUS_KM",
    "MASS",
    "NO_EXCLUSIONS",
    "RANK_DECIMALS",
    "VOLUME",
    "Exclusions",
    "Flag",
    "MatchKind",
    "MatchResult",
    "NeedRecord",
    "Needs",
    "PairScore",
    "ProductRecord",
    "Products",
    "ProvinceTable",
    "Weights",
    "bitset_indices",
    "cert_words",
    "csr_from_lists",
    "haversine_km",
    "match",
    "match_incremental",
    "pack_bitsets",
    "rank_value",
    "score_one_pair",
    "score_pairs",
]

# Unit dimensions; quantities are in the base unit of their dimension (kg, L, piece).
MASS, VOLUME, COUNT = 0, 1, 2
DIMENSION_CODES: dict[str, int] = {"mass": MASS, "volume": VOLUME, "count": COUNT}

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

RANK_DECIMALS = 8
_RANK_SCALE = 10.0**RANK_DECIMALS

# Tie-break ids are ranked inside a block and stored as a fraction of 2**_ID_BITS beside the
# quantised score in one float64 key: 27 bits of score (<= 1e8) + 24 bits of id rank fit exactly.
_ID_BITS = 24
_ID_SPAN = float(1 << _ID_BITS)
# Added (scaled) for a failed hard filter; any pair with a negative key is dropped.
_FILTERED = -4.0 * _RANK_SCALE
_DEFAULT_CHUNK_PAIRS = 1 << 19


class MatchKind(IntEnum):
    """How the category matched; drives the category factor and the reason text."""

    NONE = 0
    SUBGROUP = 1  # same subgroup: full category score
    GROUP = 2  # same group, another subgroup: ``group_match_factor``
    WHOLE_GROUP = 3  # the need asks for the whole group: full category score


class Flag(IntFlag):
    """Bits of :attr:`MatchResult.flags` (and :attr:`PairScore.flags`)."""

    NEED_TOP_K = 1  # among the need's top k products
    PRODUCER_TOP_K = 2  # this product is the producer's best for a need in its top k needs
    INSIDE_WANTED = 4  # the product's province is one the buyer wants
    ANYWHERE = 8  # the buyer accepts any province
    DIMENSION_MISMATCH = 16  # capacity and volume are in different dimensions
    VOLUME_UNKNOWN = 32  # the need states no monthly volume (volume factor 1)
    CAPACITY_UNKNOWN = 64  # the product declares no capacity (volume factor 0 if one is asked)
    NO_MIN_ORDER = 128  # the product has no minimum order (minimum-order factor 1)
    ORDER_SIZE_UNKNOWN = 256  # the need states no order size (minimum-order factor 1)


@dataclass(frozen=True)
class Weights:
    """Factor weights (summing to 1, so scores lie in [0, 1]) and the two shape parameters."""

    category: float = 0.30
    province: float = 0.25
    certification: float = 0.15
    volume: float = 0.20
    min_order: float = 0.10
    # Category factor for a same-group, different-subgroup match.
    group_match_factor: float = 0.6
    # Outside the wanted provinces the province factor is exp(-distance / scale).
    distance_scale_km: float = 150.0

    def __post_init__(self) -> None:
        parts = self.factor_weights()
        if min(parts) < 0:
            raise ValueError("Weights must not be negative.")
        if abs(sum(parts) - 1.0) > 1e-9:
            raise ValueError(f"Factor weights must sum to 1, not {sum(parts)}; use normalised().")
        if not 0.0 <= self.group_match_factor <= 1.0:
            raise ValueError("group_match_factor must lie in [0, 1].")
        if not self.distance_scale_km > 0:
            raise ValueError("distance_scale_km must be positive.")

    def factor_weights(self) -> tuple[float, float, float, float, float]:
        return (self.category, self.province, self.certification, self.volume, self.min_order)

    @classmethod
    def normalised(
        cls,
        category: float,
        province: float,
        certification: float,
        volume: float,
        min_order: float,
        **shape: float,
    ) -> Weights:
        """Weights from any non-negative numbers (e.g. admin sliders), scaled to sum to 1."""
        total = category + province + certification + volume + min_order
        if not total > 0:
            raise ValueError("At least one weight must be positive.")
        return cls(
            category / total,
            province / total,
            certification / total,
            volume / total,
            min_order / total,
            **shape,
        )


DEFAULT_WEIGHTS = Weights()


# --- small helpers for loaders ----------------------------------------------------------------


def cert_words(n_certs: int) -> int:
    """uint64 words needed for a bitset over ``n_certs`` certifications (at least one)."""
    return max(1, -(-n_certs // 64))


def pack_bitsets(rows: Sequence[Iterable[int]], n_bits: int) -> NDArray[np.uint64]:
    """Pack per-row index lists (certification vocabulary indices) into a (rows, words) bitset."""
    words = cert_words(n_bits)
    out = np.zeros((len(rows), words), dtype=np.uint64)
    lengths = [0] * len(rows)
    flat: list[int] = []
    for i, row in enumerate(rows):
        before = len(flat)
        flat.extend(int(b) for b in row)
        lengths[i] = len(flat) - before
    if flat:
        bits = np.asarray(flat, dtype=np.int64)
        if bits.min() < 0 or bits.max() >= n_bits:
            raise ValueError(f"Bit indices must lie in [0, {n_bits}).")
        row_of = np.repeat(np.arange(len(rows)), lengths)
        values = np.left_shift(np.uint64(1), (bits % 64).astype(np.uint64))
        np.bitwise_or.at(out, (row_of, bits // 64), values)
    return out


def bitset_indices(words: ArrayLike) -> list[int]:
    """Indices of the set bits of one bitset row (inverse of :func:`pack_bitsets`)."""
    row = np.asarray(words, dtype=np.uint64).reshape(-1)
    bits = np.unpackbits(row.astype("<u8").view(np.uint8), bitorder="little")
    return np.flatnonzero(bits).tolist()


def csr_from_lists(rows: Sequence[Iterable[int]]) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """(indptr, indices) for per-row index lists, e.g. each need's wanted province indices."""
    lists = [sorted({int(x) for x in row}) for row in rows]
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in lists], out=indptr[1:])
    indices = np.fromiter((x for r in lists for x in r), dtype=np.int32, count=int(indptr[-1]))
    return indptr, indices


def rank_value(score: float) -> int:
    """The integer a score is ranked by: rounded to RANK_DECIMALS (half to even, like np.rint)."""
    return round(score * _RANK_SCALE)


def haversine_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, float)) - np.radians(np.asarray(lon1, float))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _array(value: ArrayLike, dtype: Any, name: str, length: int | None = None) -> NDArray[Any]:
    arr = np.ascontiguousarray(value, dtype=dtype)
    if length is not None and arr.shape[:1] != (length,):
        raise ValueError(f"{name} has {arr.shape[:1]} rows, expected {length}.")
    return arr


def _bitset_array(value: ArrayLike, name: str, length: int) -> NDArray[np.uint64]:
    arr = np.ascontiguousarray(value, dtype=np.uint64)
    if arr.ndim == 1:
        arr = arr.reshape(length, -1) if length else arr.reshape(0, 1)
    if arr.ndim != 2 or arr.shape[0] != length or arr.shape[1] < 1:
        raise ValueError(f"{name} must be a ({length}, words) uint64 bitset.")
    return arr


def _csr_take(
    indptr: NDArray[np.int64], indices: NDArray[np.int32], rows: NDArray[np.intp]
) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    new_indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_indptr[1:])
    positions = np.repeat(starts - new_indptr[:-1], lengths) + np.arange(new_indptr[-1])
    return new_indptr, indices[positions]


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ProvinceTable:
    """Province indices used by products and needs, with their centroid distance matrix (km)."""

    distance_km: NDArray[np.float64]

    def __post_init__(self) -> None:
        dist = np.ascontiguousarray(self.distance_km, dtype=np.float64)
        if dist.ndim != 2 or dist.shape[0] != dist.shape[1]:
            raise ValueError("distance_km must be a square matrix.")
        if not (np.all(dist >= 0) and np.all(np.diagonal(dist) == 0)):
            raise ValueError("distance_km must be non-negative with a zero diagonal.")
        object.__setattr__(self, "distance_km", dist)

    @classmethod
    def from_centroids(cls, latitude: ArrayLike, longitude: ArrayLike) -> ProvinceTable:
        lat = np.asarray(latitude, dtype=np.float64)
        lon = np.asarray(longitude, dtype=np.float64)
        dist = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        np.fill_diagonal(dist, 0.0)
        return cls(dist)

    @property
    def size(self) -> int:
        return int(self.distance_km.shape[0])


@dataclass(frozen=True)
class ProductRecord:
    """One product as plain Python values: the input of :func:`score_one_pair`."""

    product_id: int
    producer_id: int
    category_id: int
    group_id: int
    province: int
    stars: int
    dimension: int
    capacity: float
    min_order: float
    certs: frozenset[int]


@dataclass(frozen=True)
class NeedRecord:
    """One sourcing need as plain Python values: the input of :func:`score_one_pair`."""

    need_id: int
    buyer_id: int
    category_id: int
    group_id: int
    whole_group: bool
    wanted_provinces: frozenset[int]
    required_certs: frozenset[int]
    preferred_certs: frozenset[int]
    min_stars: int
    dimension: int
    volume: float
    order_size: float


@dataclass(frozen=True, eq=False)
class Products:
    """P approved product listings, one row each (row order is free; ids are database pks).

    ``capacity`` is the monthly capacity in base units of ``dimension`` (NaN = not declared);
    ``min_order`` is in the same base unit (NaN or <= 0 = no minimum). ``certs`` is a
    (P, words) uint64 bitset over the certification vocabulary (bit i of word i // 64) holding
    only verified, unexpired certifications; build it with :func:`pack_bitsets`.
    """

    product_id: NDArray[np.int64]
    producer_id: NDArray[np.int64]
    category_id: NDArray[np.int64]  # the product's (sub)category pk
    group_id: NDArray[np.int64]  # pk of its top-level group (its own pk if it is a group)
    province: NDArray[np.int32]  # index into the ProvinceTable
    stars: NDArray[np.int8]  # OCOP stars 0..5 (0 = unrated)
    dimension: NDArray[np.int8]  # MASS, VOLUME or COUNT
    capacity: NDArray[np.float64]
    min_order: NDArray[np.float64]
    certs: NDArray[np.uint64]
    # Derived per-group layouts, reused by later calls (arrays are treated as read-only).
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(np.asarray(self.product_id))
        for name, dtype in (
            ("product_id", np.int64),
            ("producer_id", np.int64),
            ("category_id", np.int64),
            ("group_id", np.int64),
            ("province", np.int32),
            ("stars", np.int8),
            ("dimension", np.int8),
            ("capacity", np.float64),
            ("min_order", np.float64),
        ):
            object.__setattr__(self, name, _array(getattr(self, name), dtype, name, n))
        object.__setattr__(self, "certs", _bitset_array(self.certs, "certs", n))
        if n and (self.stars.min() < 0 or self.stars.max() > 5):
            raise ValueError("stars must lie in 0..5.")
        if len(np.unique(self.product_id)) != n:
            raise ValueError("product_id values must be unique.")
        if np.any(self.capacity < 0) or np.any(np.isinf(self.capacity)):
            raise ValueError("capacity must be finite and non-negative (NaN = not declared).")
        if np.any(np.isinf(self.min_order)):
            raise ValueError("min_order must be finite (NaN = no minimum).")

    def __len__(self) -> int:
        return len(self.product_id)

    @property
    def words(self) -> int:
        return int(self.certs.shape[1])

    def take(self, rows: ArrayLike) -> Products:
        idx = np.asarray(rows, dtype=np.intp).reshape(-1)
        return Products(
            self.product_id[idx],
            self.producer_id[idx],
            self.category_id[idx],
            self.group_id[idx],
            self.province[idx],
            self.stars[idx],
            self.dimension[idx],
            self.capacity[idx],
            self.min_order[idx],
            self.certs[idx],
        )

    def record(self, row: int) -> ProductRecord:
        return ProductRecord(
            product_id=int(self.product_id[row]),
            producer_id=int(self.producer_id[row]),
            category_id=int(self.category_id[row]),
            group_id=int(self.group_id[row]),
            province=int(self.province[row]),
            stars=int(self.stars[row]),
            dimension=int(self.dimension[row]),
            capacity=float(self.capacity[row]),
            min_order=float(self.min_order[row]),
            certs=frozenset(bitset_indices(self.certs[row])),
        )


@dataclass(frozen=True, eq=False)
class Needs:
    """N open sourcing needs, one row each.

    ``category_id`` is the wanted subgroup pk, or the group pk when ``whole_group`` (then every
    product of ``group_id`` matches at full category score). Wanted provinces are CSR
    (``wanted_indptr`` of length N + 1, ``wanted_indices`` into the ProvinceTable; an empty row
    means anywhere; build with :func:`csr_from_lists`). Certification sets are (N, words) bitsets
    like :attr:`Products.certs`. ``volume`` (monthly) and ``order_size`` (typical order) are in
    base units of ``dimension``; NaN or <= 0 means not stated.
    """

    need_id: NDArray[np.int64]
    buyer_id: NDArray[np.int64]
    category_id: NDArray[np.int64]
    group_id: NDArray[np.int64]
    whole_group: NDArray[np.bool_]
    wanted_indptr: NDArray[np.int64]
    wanted_indices: NDArray[np.int32]
    required_certs: NDArray[np.uint64]
    preferred_certs: NDArray[np.uint64]
    min_stars: NDArray[np.int8]
    dimension: NDArray[np.int8]
    volume: NDArray[np.float64]
    order_size: NDArray[np.float64]

    def __post_init__(self) -> None:
        n = len(np.asarray(self.need_id))
        for name, dtype in (
            ("need_id", np.int64),
            ("buyer_id", np.int64),
            ("category_id", np.int64),
            ("group_id", np.int64),
            ("whole_group", np.bool_),
            ("min_stars", np.int8),
            ("dimension", np.int8),
            ("volume", np.float64),
            ("order_size", np.float64),
        ):
            object.__setattr__(self, name, _array(getattr(self, name), dtype, name, n))
        indptr = _array(self.wanted_indptr, np.int64, "wanted_indptr", n + 1)
        indices = _array(self.wanted_indices, np.int32, "wanted_indices")
        if indptr[0] != 0 or np.any(np.diff(indptr) < 0) or indptr[-1] != len(indices):
            raise ValueError("wanted_indptr is not a valid CSR index pointer.")
        object.__setattr__(self, "wanted_indptr", indptr)
        object.__setattr__(self, "wanted_indices", indices)
        for name in ("required_certs", "preferred_certs"):
            object.__setattr__(self, name, _bitset_array(getattr(self, name), name, n))
        if self.required_certs.shape != self.preferred_certs.shape:
            raise ValueError("required_certs and preferred_certs must have the same words.")
        if n and (self.min_stars.min() < 0 or self.min_stars.max() > 5):
            raise ValueError("min_stars must lie in 0..5.")
        if len(np.unique(self.need_id)) != n:
            raise ValueError("need_id values must be unique.")
        if np.any(np.isinf(self.volume)) or np.any(np.isinf(self.order_size)):
            raise ValueError("volume and order_size must be finite (NaN = not stated).")

    def __len__(self) -> int:
        return len(self.need_id)

    @property
    def words(self) -> int:
        return int(self.required_certs.shape[1])

    def take(self, rows: ArrayLike) -> Needs:
        idx = np.asarray(rows, dtype=np.intp).reshape(-1)
        indptr, indices = _csr_take(self.wanted_indptr, self.wanted_indices, idx)
        return Needs(
            self.need_id[idx],
            self.buyer_id[idx],
            self.category_id[idx],
            self.group_id[idx],
            self.whole_group[idx],
            indptr,
            indices,
            self.required_certs[idx],
            self.preferred_certs[idx],
            self.min_stars[idx],
            self.dimension[idx],
            self.volume[idx],
            self.order_size[idx],
        )

    def wanted(self, row: int) -> NDArray[np.int32]:
        return self.wanted_indices[self.wanted_indptr[row] : self.wanted_indptr[row + 1]]

    def record(self, row: int) -> NeedRecord:
        return NeedRecord(
            need_id=int(self.need_id[row]),
            buyer_id=int(self.buyer_id[row]),
            category_id=int(self.category_id[row]),
            group_id=int(self.group_id[row]),
            whole_group=bool(self.whole_group[row]),
            wanted_provinces=frozenset(int(x) for x in self.wanted(row)),
            required_certs=frozenset(bitset_indices(self.required_certs[row])),
            preferred_certs=frozenset(bitset_indices(self.preferred_certs[row])),
            min_stars=int(self.min_stars[row]),
            dimension=int(self.dimension[row]),
            volume=float(self.volume[row]),
            order_size=float(self.order_size[row]),
        )


@dataclass(frozen=True, eq=False)
class Exclusions:
    """Pairs kept out of a top k, whatever they score (e.g. suggestions someone turned down).

    ``need_product`` pairs (need id, product id) are left out of the need's top k products;
    ``need_producer`` pairs (need id, producer id) are left out of the producer's top k needs.
    The pair still counts as passing, and each side only affects its own top k: a product
    left out of a need's top k can still be its producer's best for the need, and the
    reverse. Ids that are not among the scored needs or products are ignored.
    """

    need_product: tuple[NDArray[np.int64], NDArray[np.int64]] = (
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
    )
    need_producer: tuple[NDArray[np.int64], NDArray[np.int64]] = (
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
    )

    def __post_init__(self) -> None:
        for name in ("need_product", "need_producer"):
            need, other = (np.asarray(a, dtype=np.int64).reshape(-1) for a in getattr(self, name))
            if need.shape != other.shape:
                raise ValueError(f"{name}: both id arrays must have the same length.")
            object.__setattr__(self, name, (need, other))

    def __bool__(self) -> bool:
        return bool(len(self.need_product[0]) or len(self.need_producer[0]))


NO_EXCLUSIONS = Exclusions()


def _rows_of(ids: NDArray[np.int64], wanted: NDArray[np.int64]) -> NDArray[np.intp]:
    """Row of each wanted id in `ids` (unique, any order), -1 where absent."""
    if not len(ids):
        return np.full(len(wanted), -1, dtype=np.intp)
    order = np.argsort(ids, kind="stable")
    at = np.searchsorted(ids[order], wanted)
    found = at < len(ids)
    found[found] = ids[order[at[found]]] == wanted[found]
    return np.where(found, order[np.minimum(at, max(len(ids) - 1, 0))], -1)


# --- the reference: one pair, plain Python ----------------------------------------------------


@dataclass(frozen=True)
class PairScore:
    """Score and per-factor breakdown of one pair, as :func:`score_one_pair` returns it."""

    score: float
    category: float
    province: float
    certification: float
    volume: float
    min_order: float
    match_kind: MatchKind
    distance_km: float  # to the nearest wanted province; 0 inside; NaN when anywhere
    nearest_province: int  # that province's index; the product's own inside; -1 anywhere
    required_held: frozenset[int]
    preferred_held: frozenset[int]
    flags: Flag


_ANYWHERE, _INSIDE_WANTED = int(Flag.ANYWHERE), int(Flag.INSIDE_WANTED)
_DIMENSION_MISMATCH, _CAPACITY_UNKNOWN = int(Flag.DIMENSION_MISMATCH), int(Flag.CAPACITY_UNKNOWN)
_VOLUME_UNKNOWN, _NO_MIN_ORDER = int(Flag.VOLUME_UNKNOWN), int(Flag.NO_MIN_ORDER)
_ORDER_SIZE_UNKNOWN = int(Flag.ORDER_SIZE_UNKNOWN)


def _stated(x: float) -> bool:
    return x == x and x > 0  # NaN != NaN


def score_one_pair(
    product: ProductRecord,
    need: NeedRecord,
    distance_km: Sequence[Sequence[float]] | NDArray[np.float64],
    weights: Weights = DEFAULT_WEIGHTS,
) -> PairScore | None:
    """Score one pair straightforwardly, or None when a hard filter excludes it.

    This is the definition that the vectorised :func:`match` reproduces (tests compare the two
    and the benchmark times this loop). Hard filters: the same category group (same subgroup,
    another subgroup of the group, or a need for the whole group); every required
    certification held (the loader passes only verified, unexpired ones); stars at least the
    need's minimum. A different unit dimension (litres offered for a kilogram need) is not a
    filter: the product may still be relevant (fish sauce by the bottle for a buyer counting in
    litres) but nobody can say it covers the quantity, so the volume and minimum-order factors
    are 0 and the pair is flagged DIMENSION_MISMATCH.

    Factors, each in [0, 1]: category 1 (``group_match_factor`` for another subgroup of the
    group); province 1 inside the wanted set or when any province will do, else
    ``exp(-d / distance_scale_km)`` with d the centroid distance to the nearest wanted province;
    certification, the share of preferred certifications held (1 if none preferred); volume
    ``min(1, capacity / monthly volume)`` (1 if no volume is stated, 0 if no capacity is);
    minimum order 1 if it fits the typical order, else ``order / minimum`` (1 if either is
    unknown). The score is the weighted sum.
    """
    # Hard filters.
    if product.group_id != need.group_id:
        return None
    if not need.required_certs <= product.certs:
        return None
    if product.stars < need.min_stars:
        return None

    flags = 0  # plain int while building: IntFlag arithmetic is slow
    if need.whole_group:
        kind, category = MatchKind.WHOLE_GROUP, 1.0
    elif product.category_id == need.category_id:
        kind, category = MatchKind.SUBGROUP, 1.0
    else:
        kind, category = MatchKind.GROUP, weights.group_match_factor

    if not need.wanted_provinces:
        province, distance, nearest = 1.0, math.nan, -1
        flags |= _ANYWHERE
    elif product.province in need.wanted_provinces:
        province, distance, nearest = 1.0, 0.0, product.province
        flags |= _INSIDE_WANTED
    else:
        distance, nearest = math.inf, -1
        for wanted in sorted(need.wanted_provinces):  # ascending: ties go to the lower index
            d = float(distance_km[wanted][product.province])
            if d < distance:
                distance, nearest = d, wanted
        province = math.exp(-distance / weights.distance_scale_km)

    preferred_held = need.preferred_certs & product.certs
    n_preferred = len(need.preferred_certs)
    certification = len(preferred_held) / n_preferred if n_preferred else 1.0

    same_dimension = product.dimension == need.dimension
    if not same_dimension:
        flags |= _DIMENSION_MISMATCH
    if product.capacity != product.capacity:
        flags |= _CAPACITY_UNKNOWN
    if not _stated(need.volume):
        flags |= _VOLUME_UNKNOWN
        volume = 1.0  # nothing asked, any producer will do
    elif not same_dimension or product.capacity != product.capacity:
        volume = 0.0  # cannot show the quantity is covered
    else:
        volume = min(1.0, product.capacity / need.volume)

    if not _stated(product.min_order):
        flags |= _NO_MIN_ORDER
    if not _stated(need.order_size):
        flags |= _ORDER_SIZE_UNKNOWN
    if not _stated(product.min_order) or not _stated(need.order_size):
        min_order = 1.0
    elif not same_dimension:
        min_order = 0.0
    else:
        min_order = min(1.0, need.order_size / product.min_order)

    score = (
        weights.category * category
        + weights.province * province
        + weights.certification * certification
        + weights.volume * volume
        + weights.min_order * min_order
    )
    score = min(score, 1.0)  # weights sum to 1 only up to rounding
    return PairScore(
        score=score,
        category=category,
        province=province,
        certification=certification,
        volume=volume,
        min_order=min_order,
        match_kind=kind,
        distance_km=distance,
        nearest_province=nearest,
        required_held=need.required_certs,
        preferred_held=frozenset(preferred_held),
        flags=Flag(flags),
    )


# --- output -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MatchResult:
    """Suggested pairs (the union of every need's top k and every producer's top k), M rows.

    Rows are sorted by need index, then score (descending), then product id. Factor columns are
    unweighted values in [0, 1]; ``score`` is their weighted sum.
    """

    need_index: NDArray[np.int64]  # row in the Needs passed in
    product_index: NDArray[np.int64]  # row in the Products passed in
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
    match_kind: NDArray[np.int8]  # MatchKind
    distance_km: NDArray[np.float64]  # to the nearest wanted province; 0 inside; NaN anywhere
    nearest_province: NDArray[np.int32]  # province index; own province inside; -1 anywhere
    required_held: NDArray[np.uint64]  # (M, words): the need's required certs, all held
    preferred_held: NDArray[np.uint64]  # (M, words): the need's preferred certs that are held
    preferred_count: NDArray[np.int16]  # how many certifications the need prefers
    product_capacity: NDArray[np.float64]  # monthly, base units (NaN = not declared)
    need_volume: NDArray[np.float64]  # monthly, base units (NaN/<= 0 = not stated)
    product_min_order: NDArray[np.float64]  # base units (NaN/<= 0 = none)
    need_order_size: NDArray[np.float64]  # base units (NaN/<= 0 = not stated)
    need_rank: NDArray[np.int32]  # 1..k within the need's top k; 0 if not in it
    producer_rank: NDArray[np.int32]  # 1..k within the producer's top k needs; 0 if not in it
    flags: NDArray[np.uint16]  # Flag bits
    pairs_considered: int  # pairs in the blocks (same group), i.e. actually compared
    pairs_passed: int  # of those, pairs passing every hard filter
    seconds: float  # wall time of the whole call
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.need_index)

    def breakdown(self, row: int) -> dict[str, Any]:
        """JSON-ready reasons for one row, for the suggestion's stored breakdown."""
        distance = float(self.distance_km[row])
        return {
            "score": float(self.score[row]),
            "factors": {
                "category": float(self.category[row]),
                "province": float(self.province[row]),
                "certification": float(self.certification[row]),
                "volume": float(self.volume[row]),
                "min_order": float(self.min_order[row]),
            },
            "match_kind": MatchKind(int(self.match_kind[row])).name.lower(),
            "distance_km": None if math.isnan(distance) else distance,
            "nearest_province": int(self.nearest_province[row]),
            "required_held": bitset_indices(self.required_held[row]),
            "preferred_held": bitset_indices(self.preferred_held[row]),
            "preferred_count": int(self.preferred_count[row]),
            "quantities": {
                name: (None if math.isnan(v) else v)
                for name, v in (
                    ("product_capacity", float(self.product_capacity[row])),
                    ("need_volume", float(self.need_volume[row])),
                    ("product_min_order", float(self.product_min_order[row])),
                    ("need_order_size", float(self.need_order_size[row])),
                )
            },
            "flags": [str(f.name).lower() for f in Flag if f & int(self.flags[row])],
            "need_rank": int(self.need_rank[row]),
            "producer_rank": int(self.producer_rank[row]),
        }


# --- the vectorised engine --------------------------------------------------------------------


def _stated_mask(x: NDArray[np.float64]) -> NDArray[np.bool_]:
    return x > 0  # False for NaN as well


@dataclass
class _Chunk:
    start: int  # rows [start, stop) of the block's need order
    stop: int
    cert_from: int  # rows [cert_from, stop) ask for certifications (required or preferred)
    dims: list[tuple[int, int, int]]  # (start, stop, dimension) runs, rows sorted by dimension


@dataclass
class _ProductSide:
    """The product half of a block: depends on the products alone, so it is cached on them.

    Products are laid out "slot-major" so that rolling products up to producers costs a few
    contiguous maxima instead of a scatter: producers are ordered by product count (descending),
    column ``slot_offset[s] + j`` holds the s-th product of producer j, and the producers with more
    than s products are always a prefix. Only the first ``_SLOTS`` products of a producer get
    slots; the rest of a large producer's products sit in a tail region, producer by producer,
    cut into pieces of at most ``_SLOTS`` columns reduced with ``maximum.reduceat``.

    For a need's top k, the "units" are producers (their slotted products) and tail pieces: the
    need's top k products all lie in its top k units by best product, so only those units'
    columns (``unit_cols``, at most ``_SLOTS`` each) are ranked exactly.
    """

    product_rows: NDArray[np.intp]  # column -> global product row
    n_producers: int
    slot_offset: NDArray[np.intp]
    slot_width: NDArray[np.intp]  # producers with more than s products (capped at _SLOTS)
    tail_start: int
    piece_starts: NDArray[np.intp]  # relative to tail_start
    heavy_piece_starts: NDArray[np.intp]  # first piece of each heavy producer
    unit_cols: NDArray[np.intp]  # (producers + pieces, _SLOTS) columns, -1 padded
    unit_of_col: NDArray[np.intp]  # column -> its unit (the inverse of unit_cols)
    col_of_rank: NDArray[np.intp]  # product-id rank within the block -> column
    product_frac: NDArray[np.float64]  # tie-break fraction per column (lower id = larger)
    local_provinces: NDArray[np.int32]  # provinces present in the block
    key1: NDArray[np.intp]  # column -> (province, category, stars) combination
    key1_province: NDArray[np.intp]  # combination -> index into local_provinces
    key1_category: NDArray[np.int64]
    key1_stars: NDArray[np.int8]
    key2: NDArray[np.intp]  # column -> distinct certification set
    key2_certs: NDArray[np.uint64]  # (sets, words) bitsets
    capacity: NDArray[np.float64]  # per column
    min_order: NDArray[np.float64]
    dimension: NDArray[np.int8]


@dataclass
class _Block(_ProductSide):
    """A product side with the needs of the same group, ready to score chunk by chunk."""

    capacity_by_dim: dict[int, NDArray[np.float64]]
    inv_min_order_by_dim: dict[int, NDArray[np.float64]]
    need_rows: NDArray[np.intp]  # block need position -> global need row
    need_frac: NDArray[np.float64]
    need_pos_of_rank: NDArray[np.intp]  # need-id rank within the block -> position
    base: NDArray[np.float64]  # (needs, local provinces): province term (+ cert term if none)
    chunks: list[_Chunk]
    # Exclusions inside the block, sorted by need position: (position, column) pairs left
    # out of the need's top k, (position, producer unit) pairs out of the producer's.
    skip_need: tuple[NDArray[np.intp], NDArray[np.intp]]
    skip_producer: tuple[NDArray[np.intp], NDArray[np.intp]]


_SLOTS = 16
_GROUP = 16  # units per group in the need side's first selection step


def _frac_rank(keys: NDArray[np.float64]) -> NDArray[np.intp]:
    """The id rank a key's tie-break fraction encodes."""
    return (_ID_SPAN - 1 - np.rint((keys - np.floor(keys)) * _ID_SPAN)).astype(np.intp)


def _top_columns(keys: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Column indices of each row's k largest keys (all columns if there are at most k)."""
    n, width = keys.shape
    if width <= k:
        return np.broadcast_to(np.arange(width), (n, width))
    return np.argpartition(keys, width - k, axis=1)[:, width - k :]


def _layout(products: Products, p_rows: NDArray[np.intp]) -> dict[str, Any]:
    """Slot-major columns for a group's products (see _ProductSide)."""
    _, inverse, counts = np.unique(
        products.producer_id[p_rows], return_inverse=True, return_counts=True
    )
    prod_order = np.argsort(-counts, kind="stable")
    position = np.empty_like(prod_order)
    position[prod_order] = np.arange(len(prod_order))
    pos_of_product = position[inverse]
    by_producer = np.lexsort((products.product_id[p_rows], pos_of_product))
    sorted_pos = pos_of_product[by_producer]
    slot = np.arange(len(by_producer)) - np.searchsorted(sorted_pos, sorted_pos)
    count = counts[prod_order].astype(np.intp)
    n_prod = len(count)
    n_slots = int(min(count[0], _SLOTS)) if n_prod else 0
    # Producers with more than s products, for s < n_slots.
    at_least = np.cumsum(np.bincount(np.minimum(count, n_slots), minlength=n_slots + 1)[::-1])
    slot_width = at_least[::-1][1:].astype(np.intp)
    slot_offset = np.concatenate(([0], np.cumsum(slot_width)[:-1])).astype(np.intp)
    tail_start = int(slot_width.sum())

    heavy_len = np.maximum(count - _SLOTS, 0)  # tail products per producer
    n_heavy = int(np.count_nonzero(heavy_len))
    heavy_len = heavy_len[:n_heavy]
    heavy_off = np.concatenate(([0], np.cumsum(heavy_len)[:-1])).astype(np.intp)
    columns = np.where(
        slot < _SLOTS,
        slot_offset[np.minimum(slot, max(n_slots - 1, 0))] + sorted_pos,
        tail_start + heavy_off[np.minimum(sorted_pos, max(n_heavy - 1, 0))] + slot - _SLOTS,
    )
    product_rows = np.empty(len(p_rows), dtype=np.intp)
    product_rows[columns] = p_rows[by_producer]

    # Tail pieces of at most _SLOTS columns, producer by producer.
    n_pieces_of = -(-heavy_len // _SLOTS)
    piece_owner = np.repeat(np.arange(n_heavy), n_pieces_of)
    first_piece = np.concatenate(([0], np.cumsum(n_pieces_of)[:-1])).astype(np.intp)
    piece_index = np.arange(len(piece_owner)) - first_piece[piece_owner]
    piece_starts = (heavy_off[piece_owner] + piece_index * _SLOTS).astype(np.intp)
    piece_len = np.minimum(heavy_len[piece_owner] - piece_index * _SLOTS, _SLOTS)

    width = max(n_slots, 1)
    unit_cols = np.full((n_prod + len(piece_owner), width), -1, dtype=np.intp)
    s_idx = np.arange(width)
    unit_cols[:n_prod] = np.where(
        s_idx[None, :] < np.minimum(count, _SLOTS)[:, None],
        slot_offset[np.minimum(s_idx, max(n_slots - 1, 0))][None, :] + np.arange(n_prod)[:, None],
        -1,
    )
    unit_cols[n_prod:] = np.where(
        s_idx[None, :] < piece_len[:, None],
        tail_start + piece_starts[:, None] + s_idx[None, :],
        -1,
    )
    unit_of_col = np.empty(len(p_rows), dtype=np.intp)
    used = unit_cols >= 0
    unit_of_col[unit_cols[used]] = np.nonzero(used)[0]
    return {
        "product_rows": product_rows,
        "n_producers": n_prod,
        "slot_offset": slot_offset,
        "slot_width": slot_width,
        "tail_start": tail_start,
        "piece_starts": piece_starts,
        "heavy_piece_starts": first_piece,
        "unit_cols": unit_cols,
        "unit_of_col": unit_of_col,
    }


def _product_side(products: Products, p_rows: NDArray[np.intp]) -> _ProductSide:
    layout = _layout(products, p_rows)
    product_rows = layout["product_rows"]
    ids = products.product_id[product_rows]
    rank = np.empty(len(ids), dtype=np.intp)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    col_of_rank = np.empty_like(rank)
    col_of_rank[rank] = np.arange(len(ids))

    # Discrete traits become small per-need tables gathered per column: one over
    # (province, category, stars) combinations, one over distinct certification sets.
    local_provinces, prov_local = np.unique(products.province[product_rows], return_inverse=True)
    cat_values, cat_local = np.unique(products.category_id[product_rows], return_inverse=True)
    stars = products.stars[product_rows].astype(np.int64)
    n_cats = len(cat_values)
    combos, key1 = np.unique((prov_local * n_cats + cat_local) * 8 + stars, return_inverse=True)
    certs = products.certs[product_rows]
    if certs.shape[1] == 1:
        cert_values, key2 = np.unique(certs[:, 0], return_inverse=True)
        cert_sets = cert_values.reshape(-1, 1)
    else:
        cert_sets, key2 = np.unique(certs, axis=0, return_inverse=True)
    return _ProductSide(
        **layout,
        col_of_rank=col_of_rank,
        product_frac=(_ID_SPAN - 1 - rank) / _ID_SPAN,
        local_provinces=local_provinces,
        key1=key1.astype(np.intp),
        key1_province=((combos // 8) // n_cats).astype(np.intp),
        key1_category=cat_values[(combos // 8) % n_cats],
        key1_stars=(combos % 8).astype(np.int8),
        key2=key2.reshape(-1).astype(np.intp),
        key2_certs=cert_sets,
        capacity=products.capacity[product_rows],
        min_order=products.min_order[product_rows],
        dimension=products.dimension[product_rows],
    )


class _Engine:
    def __init__(
        self,
        products: Products,
        needs: Needs,
        provinces: ProvinceTable,
        weights: Weights,
        k: int,
        chunk_pairs: int,
        workers: int = 1,
        exclude: Exclusions = NO_EXCLUSIONS,
    ) -> None:
        if products.words != needs.words:
            raise ValueError("Products and needs use bitsets of different widths.")
        n_prov = provinces.size
        if len(products) and (products.province.min() < 0 or products.province.max() >= n_prov):
            raise ValueError("A product province index is outside the province table.")
        wanted = needs.wanted_indices
        if len(wanted) and (wanted.min() < 0 or wanted.max() >= n_prov):
            raise ValueError("A wanted province index is outside the province table.")
        if k < 1:
            raise ValueError("k must be at least 1.")
        self.products, self.needs, self.provinces = products, needs, provinces
        self.weights, self.k, self.chunk_pairs = weights, k, max(1, chunk_pairs)
        # Inside the hot loop scores are kept in units of 10**-RANK_DECIMALS, so rounding to the
        # ranking precision is one np.rint.
        s = _RANK_SCALE
        self.w_cat, self.w_prov, self.w_cert = (
            weights.category * s,
            weights.province * s,
            weights.certification * s,
        )
        self.w_vol, self.w_mo = weights.volume * s, weights.min_order * s
        self.n_pref = np.bitwise_count(needs.preferred_certs).sum(axis=1)
        self.has_cert_terms = (self.n_pref > 0) | needs.required_certs.any(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            # inf when no volume is stated: capacity * inf is inf or NaN, and fmin(NaN, w) is w,
            # so the volume factor comes out 1 without a branch.
            self.inv_volume = np.where(
                _stated_mask(needs.volume), self.w_vol / needs.volume, np.inf
            )
        # Likewise inf when no order size is stated: the minimum-order factor comes out 1.
        self.order = np.where(_stated_mask(needs.order_size), needs.order_size, np.inf)
        self.pairs_considered = 0
        self.pairs_passed = 0
        self.workers = max(1, workers)
        self._local = threading.local()  # per-thread scratch buffers
        # Exclusions as global rows: (need row, product row) and (need row, producer id).
        need_ids, product_ids = exclude.need_product
        rows = _rows_of(needs.need_id, need_ids), _rows_of(products.product_id, product_ids)
        keep = (rows[0] >= 0) & (rows[1] >= 0)
        self.skip_need = rows[0][keep], rows[1][keep]
        need_ids, producer_ids = exclude.need_producer
        rows = _rows_of(needs.need_id, need_ids)
        self.skip_producer = rows[rows >= 0], producer_ids[rows >= 0]

    # -- block preparation --

    def blocks(self) -> Iterable[_Block]:
        products, needs = self.products, self.needs
        groups = products._cache.get("groups")
        if groups is None:
            p_order = np.argsort(products.group_id, kind="stable")
            p_groups, p_start = np.unique(products.group_id[p_order], return_index=True)
            groups = products._cache["groups"] = (
                p_order,
                p_groups,
                np.append(p_start, len(p_order)),
            )
        p_order, p_groups, p_bounds = groups
        n_order = np.argsort(needs.group_id, kind="stable")
        n_groups, n_start = np.unique(needs.group_id[n_order], return_index=True)
        n_bounds = np.append(n_start, len(n_order))
        n_at = {int(g): i for i, g in enumerate(n_groups)}
        for i, g in enumerate(p_groups.tolist()):
            j = n_at.get(g)
            if j is None:
                continue
            p_rows = p_order[p_bounds[i] : p_bounds[i + 1]]
            n_rows = n_order[n_bounds[j] : n_bounds[j + 1]]
            if len(p_rows) >= _ID_SPAN or len(n_rows) >= _ID_SPAN:
                raise ValueError("A category group has 2**24 products or needs or more.")
            yield self._block(g, p_rows, n_rows)

    def _block(self, group: int, p_rows: NDArray[np.intp], n_rows: NDArray[np.intp]) -> _Block:
        products, needs = self.products, self.needs
        cache = products._cache.setdefault("sides", {})
        side = cache.get(group)
        if side is None:
            side = cache[group] = _product_side(products, p_rows)

        has_capacity = ~np.isnan(side.capacity)
        has_min = _stated_mask(side.min_order)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_min = np.where(has_min, self.w_mo / side.min_order, 0.0)
        capacity_by_dim: dict[int, NDArray[np.float64]] = {}
        inv_min_order_by_dim: dict[int, NDArray[np.float64]] = {}
        for d in np.unique(needs.dimension[n_rows]).tolist():
            same = side.dimension == d
            # Other dimension or undeclared capacity: 0, so the volume factor is 0 (or 1 when
            # the need states no volume: inf * 0 is NaN, which fmin drops).
            capacity_by_dim[d] = np.where(same & has_capacity, side.capacity, 0.0)
            # No minimum: inf, so any order size gives factor 1; other dimension: 0.
            inv_min_order_by_dim[d] = np.where(has_min, np.where(same, inv_min, 0.0), np.inf)

        # Needs by ascending id: a later chunk then loses every tie on the rounded score to the
        # needs already kept (the tie-break prefers lower ids), so the producer side screens
        # with a strict bound. Inside a chunk rows are sorted so that certification terms and
        # each dimension are contiguous runs.
        n_rows = n_rows[np.argsort(needs.need_id[n_rows], kind="stable")]
        rows_per_chunk = max(self.k, self.chunk_pairs // max(1, len(side.product_rows)))
        chunks: list[_Chunk] = []
        for start in range(0, len(n_rows), rows_per_chunk):
            stop = min(len(n_rows), start + rows_per_chunk)
            part = n_rows[start:stop]
            has_cert = self.has_cert_terms[part]
            part_dims = needs.dimension[part]
            order = np.lexsort((part_dims, has_cert))
            n_rows[start:stop] = part[order]
            has_cert, part_dims = has_cert[order], part_dims[order]
            cert_from = start + int(np.count_nonzero(~has_cert))
            runs = np.flatnonzero(np.diff(part_dims) != 0) + 1
            edges = [0, *runs.tolist(), len(part)]
            dim_runs = [
                (start + a, start + b, int(part_dims[a]))
                for a, b in zip(edges[:-1], edges[1:], strict=True)
            ]
            chunks.append(_Chunk(start, stop, cert_from, dim_runs))

        need_pos_of_rank = np.argsort(needs.need_id[n_rows], kind="stable")
        nid_rank = np.empty(len(n_rows), dtype=np.intp)
        nid_rank[need_pos_of_rank] = np.arange(len(n_rows))
        base = self._province_table(n_rows, side.local_provinces)
        base[~self.has_cert_terms[n_rows]] += self.w_cert  # certification factor 1
        skip_need, skip_producer = self._block_exclusions(side, n_rows)

        return _Block(
            **vars(side),
            capacity_by_dim=capacity_by_dim,
            inv_min_order_by_dim=inv_min_order_by_dim,
            need_rows=n_rows,
            need_frac=(_ID_SPAN - 1 - nid_rank) / _ID_SPAN,
            need_pos_of_rank=need_pos_of_rank,
            base=base,
            chunks=chunks,
            skip_need=skip_need,
            skip_producer=skip_producer,
        )

    def _block_exclusions(
        self, side: _ProductSide, n_rows: NDArray[np.intp]
    ) -> tuple[tuple[NDArray[np.intp], NDArray[np.intp]], ...]:
        """The exclusions falling in a block, as (need position, column) and (need position,
        producer unit) pairs sorted by position."""
        empty = (np.zeros(0, np.intp), np.zeros(0, np.intp))
        if not (len(self.skip_need[0]) or len(self.skip_producer[0])):
            return empty, empty
        position = np.full(len(self.needs), -1, dtype=np.intp)
        position[n_rows] = np.arange(len(n_rows))
        column = np.full(len(self.products), -1, dtype=np.intp)
        column[side.product_rows] = np.arange(len(side.product_rows))
        pos, col = position[self.skip_need[0]], column[self.skip_need[1]]
        keep = (pos >= 0) & (col >= 0)
        order = np.argsort(pos[keep], kind="stable")
        skip_need = pos[keep][order], col[keep][order]
        # Producer j's slot-0 column is j: its first product names the producer.
        producers = self.products.producer_id[side.product_rows[: side.n_producers]]
        pos = position[self.skip_producer[0]]
        unit = _rows_of(producers, self.skip_producer[1])
        keep = (pos >= 0) & (unit >= 0)
        order = np.argsort(pos[keep], kind="stable")
        return skip_need, (pos[keep][order], unit[keep][order])

    def _province_table(
        self, n_rows: NDArray[np.intp], local_provinces: NDArray[np.int32]
    ) -> NDArray[np.float64]:
        """w_p * province factor for each block need and each province present in the block."""
        needs = self.needs
        indptr, indices = _csr_take(needs.wanted_indptr, needs.wanted_indices, n_rows)
        out = np.full((len(n_rows), len(local_provinces)), self.w_prov)
        some = np.diff(indptr) > 0
        if indices.size:
            # Nearest wanted province: minimum over the need's CSR run of distance rows.
            dist = self.provinces.distance_km[np.ix_(indices, local_provinces)]
            nearest = np.minimum.reduceat(dist, indptr[:-1][some], axis=0)
            out[some] = self.w_prov * np.exp(-nearest / self.weights.distance_scale_km)
        return out

    def _buffer(
        self, name: str, rows: int, block: _Block, cols: int | None = None
    ) -> NDArray[np.float64]:
        """A reused (rows, cols) scratch matrix: fresh large allocations cost page faults."""
        cols = len(block.product_rows) if cols is None else cols
        buffers: dict[str, NDArray[np.float64]] = self._local.__dict__.setdefault("buffers", {})
        flat = buffers.get(name)
        if flat is None or flat.size < rows * cols:
            flat = buffers[name] = np.empty(rows * cols)
        return flat[: rows * cols].reshape(rows, cols)

    # -- one chunk --

    def score_chunk(self, block: _Block, chunk: _Chunk) -> tuple[Any, ...]:
        """Keys of every pair of the chunk; returns the needs' top k and the producers' bests."""
        with np.errstate(invalid="ignore", divide="ignore"):  # per thread
            return self._score_chunk(block, chunk)

    def _score_chunk(self, block: _Block, chunk: _Chunk) -> tuple[Any, ...]:
        needs, k = self.needs, self.k
        start, stop = chunk.start, chunk.stop
        rows = block.need_rows[start:stop]
        n = len(rows)

        # Province + category + stars filter (+ certification term when none is asked).
        tab = block.base[start:stop][:, block.key1_province]
        exact = needs.whole_group[rows][:, None] | (
            needs.category_id[rows][:, None] == block.key1_category[None, :]
        )
        tab += np.where(exact, self.w_cat, self.w_cat * self.weights.group_match_factor)
        tab += np.where(block.key1_stars[None, :] < needs.min_stars[rows][:, None], _FILTERED, 0.0)
        scores, work = self._buffer("scores", n, block), self._buffer("work", n, block)
        np.take(tab, block.key1, axis=1, out=scores, mode="clip")

        c0 = chunk.cert_from - start
        if c0 < n:
            # Certification terms over the distinct certification sets, word by word.
            cert_rows = rows[c0:]
            req = needs.required_certs[cert_rows]
            pref = needs.preferred_certs[cert_rows]
            held = block.key2_certs
            missing = np.zeros((len(cert_rows), len(held)), dtype=bool)
            shared = np.zeros((len(cert_rows), len(held)), dtype=np.uint8)
            for w in range(held.shape[1]):
                missing |= (req[:, w, None] & ~held[None, :, w]) != 0
                shared += np.bitwise_count(pref[:, w, None] & held[None, :, w])
            n_pref = self.n_pref[cert_rows][:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(n_pref > 0, shared / n_pref, 1.0)
            tab2 = self.w_cert * share + np.where(missing, _FILTERED, 0.0)
            np.take(tab2, block.key2, axis=1, out=work[c0:], mode="clip")
            scores[c0:] += work[c0:]

        with np.errstate(invalid="ignore"):
            for a, b, d in chunk.dims:
                s, w = scores[a - start : b - start], work[a - start : b - start]
                np.multiply(
                    self.inv_volume[block.need_rows[a:b]][:, None], block.capacity_by_dim[d], out=w
                )
                np.fmin(w, self.w_vol, out=w)
                s += w
                np.multiply(
                    self.order[block.need_rows[a:b]][:, None], block.inv_min_order_by_dim[d], out=w
                )
                np.fmin(w, self.w_mo, out=w)
                s += w
        passed = int(np.count_nonzero(scores >= 0))

        # One float key per pair: the rounded score plus a tie-break fraction for the product id.
        np.rint(scores, out=scores)
        scores += block.product_frac

        # Roll products up: best key per producer (slots), then per tail piece. The units are
        # padded to a multiple of _GROUP columns with -inf for the grouped top k below.
        n_prod, n_pieces = block.n_producers, len(block.piece_starts)
        n_units = n_prod + n_pieces
        n_groups = -(-n_units // _GROUP)
        units = self._buffer("units", n, block, n_groups * _GROUP)
        units[:, n_units:] = -np.inf
        slotted = units[:, :n_prod]
        np.copyto(slotted, scores[:, :n_prod])
        for offset, width in zip(block.slot_offset[1:], block.slot_width[1:], strict=True):
            np.maximum(
                slotted[:, :width], scores[:, offset : offset + width], out=slotted[:, :width]
            )
        if n_pieces:
            pieces = units[:, n_prod:n_units]
            pieces[:] = np.maximum.reduceat(
                scores[:, block.tail_start :], block.piece_starts, axis=1
            )
            # A heavy producer's best also covers its tail pieces (a copy: the units keep
            # slotted maxima, which is what the need side's candidate columns assume).
            best = slotted.copy()
            heavy = np.maximum.reduceat(pieces, block.heavy_piece_starts, axis=1)
            np.maximum(best[:, : heavy.shape[1]], heavy, out=best[:, : heavy.shape[1]])
        elif self.workers > 1:
            best = slotted.copy()  # the buffer is reused before the merge reads it
        else:
            best = slotted
        best = self._exclude(block, start, stop, scores, units, best)

        # A need's top k products lie in its top k units, and those in its top k groups of
        # units (group g = units g, g + G, g + 2G, ...): pick groups, then units, then products.
        # Each step is exact because keys are distinct within a row.
        group_max = units.reshape(n, _GROUP, n_groups).max(axis=1)
        top = _top_columns(group_max, k)
        cand_units = (top[:, :, None] + n_groups * np.arange(_GROUP)).reshape(n, -1)
        unit_keys = np.take_along_axis(units, cand_units, axis=1)
        pick = _top_columns(unit_keys, k)
        cand_units = np.take_along_axis(cand_units, pick, axis=1)
        cand_cols = block.unit_cols[np.minimum(cand_units, len(block.unit_cols) - 1)]
        cand_cols = cand_cols.reshape(n, -1)
        ok = (cand_cols >= 0) & np.repeat(cand_units < n_units, block.unit_cols.shape[1], axis=1)
        cand_cols = np.where(ok, cand_cols, 0)
        cand_keys = np.where(ok, np.take_along_axis(scores, cand_cols, axis=1), -np.inf)
        pick = _top_columns(cand_keys, k)
        cand_cols = np.take_along_axis(cand_cols, pick, axis=1)
        cand_keys = np.take_along_axis(cand_keys, pick, axis=1)
        order = np.argsort(-cand_keys, axis=1)  # keys are distinct within a row
        cand_keys = np.take_along_axis(cand_keys, order, axis=1)
        cand_cols = np.take_along_axis(cand_cols, order, axis=1)
        return cand_cols, cand_keys, best, passed

    def _exclude(
        self,
        block: _Block,
        start: int,
        stop: int,
        scores: NDArray[np.float64],
        units: NDArray[np.float64],
        best: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """Apply the block's exclusions to rows [start, stop): an excluded product's key
        becomes -inf for the need's top k (and its unit is rolled up again), an excluded
        producer's best for the producer's. Each side's change stays on its side, so `best`
        is copied first when it is a view of the units. Returns `best`."""
        pos, col = block.skip_need
        a, b = np.searchsorted(pos, [start, stop])
        p_pos, p_unit = block.skip_producer
        c, d = np.searchsorted(p_pos, [start, stop])
        if a == b and c == d:
            return best
        if np.shares_memory(best, units):
            best = best.copy()
        if a < b:
            r, cols = pos[a:b] - start, col[a:b]
            scores[r, cols] = -np.inf
            u = block.unit_of_col[cols]
            members = block.unit_cols[u]
            keys = np.where(members >= 0, scores[r[:, None], np.maximum(members, 0)], -np.inf)
            units[r, u] = keys.max(axis=1)
        if c < d:
            best[p_pos[c:d] - start, p_unit[c:d]] = -np.inf
        return best

    # -- producers' top k across chunks --

    def merge_producers(
        self, state: dict[str, Any], block: _Block, start: int, best: NDArray[np.float64]
    ) -> None:
        """Fold a chunk's (rows, producers) best-product keys into each producer's top k needs.

        State per producer: the k best keys (rounded score + the need's tie-break fraction, which
        also identifies the need) and the matching best-product keys (whose fraction identifies
        the product), sorted descending; -1 = empty.
        """
        k = self.k
        n, n_prod = best.shape
        if state["fresh"]:
            # First chunk: take each producer's k best rows directly.
            state["fresh"] = False
            exact = np.floor(best) + block.need_frac[start : start + n, None]
            rows = np.argpartition(exact, n - k, axis=0)[n - k :] if n > k else None
            if rows is None:
                rows = np.broadcast_to(np.arange(n)[:, None], (n, n_prod))
            keys = np.take_along_axis(exact, rows, axis=0).T
            product_keys = np.take_along_axis(best, rows, axis=0).T
            order = np.argsort(-keys, axis=1)
            keys = np.take_along_axis(keys, order, axis=1)
            width = keys.shape[1]
            state["key"][:, :width] = np.where(keys >= 0, keys, -1.0)
            state["pkey"][:, :width] = np.take_along_axis(product_keys, order, axis=1)
            return
        # Every need kept so far has a lower id than this chunk's, so a tie on the rounded score
        # loses: only a strictly higher rounded score than the k-th kept can enter.
        kept = np.floor(state["key"][:, -1])  # -1 while fewer than k are kept
        hits = np.flatnonzero((best >= (kept + 1.0)[None, :]).T)  # producer-major order
        if hits.size == 0:
            return
        j, r = np.divmod(hits, n)
        product_keys = best[r, j]
        keys = np.floor(product_keys) + block.need_frac[start + r]
        first = np.flatnonzero(np.diff(j, prepend=-1))
        per = np.diff(np.append(first, len(j)))
        producers = j[first]
        slot = np.repeat(np.arange(len(producers)), per)
        rank_in = np.arange(len(j)) - first[slot]
        width = int(per.max())
        new_key = np.full((len(producers), width), -np.inf)
        new_pkey = np.zeros((len(producers), width))
        new_key[slot, rank_in] = keys
        new_pkey[slot, rank_in] = product_keys
        all_key = np.concatenate((state["key"][producers], new_key), axis=1)
        all_pkey = np.concatenate((state["pkey"][producers], new_pkey), axis=1)
        pick = np.argsort(-all_key, axis=1)[:, :k]
        state["key"][producers] = np.take_along_axis(all_key, pick, axis=1)
        state["pkey"][producers] = np.take_along_axis(all_pkey, pick, axis=1)

    def _scored(
        self, pool: ThreadPoolExecutor | None, block: _Block
    ) -> Iterator[tuple[_Chunk, tuple[Any, ...]]]:
        """Chunks with their scoring results, in order; with a pool, a few chunks ahead."""
        if pool is None:
            for chunk in block.chunks:
                yield chunk, self.score_chunk(block, chunk)
            return
        pending: deque[tuple[_Chunk, Future[tuple[Any, ...]]]] = deque()
        for chunk in block.chunks:
            pending.append((chunk, pool.submit(self.score_chunk, block, chunk)))
            if len(pending) > 2 * self.workers:  # bounds memory held by finished chunks
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()

    def run(self) -> tuple[list[tuple[NDArray[Any], ...]], list[tuple[NDArray[Any], ...]]]:
        if self.workers > 1:
            with ThreadPoolExecutor(self.workers, thread_name_prefix="matching") as pool:
                return self._run(pool)
        return self._run(None)

    def _run(
        self, pool: ThreadPoolExecutor | None
    ) -> tuple[list[tuple[NDArray[Any], ...]], list[tuple[NDArray[Any], ...]]]:
        k = self.k
        need_pairs: list[tuple[NDArray[Any], ...]] = []
        producer_pairs: list[tuple[NDArray[Any], ...]] = []
        for block in self.blocks():
            n_prod = block.n_producers
            self.pairs_considered += len(block.need_rows) * len(block.product_rows)
            state: dict[str, Any] = {
                "key": np.full((n_prod, k), -1.0),
                "pkey": np.zeros((n_prod, k)),
                "fresh": True,
            }
            for chunk, (cols, keys, best, passed) in self._scored(pool, block):
                self.pairs_passed += passed
                self.merge_producers(state, block, chunk.start, best)
                row_i, rank_i = np.nonzero(keys >= 0)
                need_pairs.append(
                    (
                        block.need_rows[chunk.start + row_i],
                        block.product_rows[cols[row_i, rank_i]],
                        (rank_i + 1).astype(np.int32),
                    )
                )
            prod_j, rank_j = np.nonzero(state["key"] >= 0)
            key, pkey = state["key"][prod_j, rank_j], state["pkey"][prod_j, rank_j]
            # Both keys carry an id rank in their fraction: the need's and the best product's.
            need_pos = block.need_pos_of_rank[_frac_rank(key)]
            product_rank = _frac_rank(pkey)
            producer_pairs.append(
                (
                    block.need_rows[need_pos],
                    block.product_rows[block.col_of_rank[product_rank]],
                    (rank_j + 1).astype(np.int32),
                    np.floor(key).astype(np.int64),
                )
            )
        return need_pairs, producer_pairs


def _pair_details(
    products: Products,
    needs: Needs,
    provinces: ProvinceTable,
    weights: Weights,
    need_index: NDArray[np.intp],
    product_index: NDArray[np.intp],
) -> dict[str, NDArray[Any]]:
    """Full-precision factors, score and reasons for given pairs (score_one_pair's rules)."""
    m = len(need_index)
    flags = np.zeros(m, dtype=np.uint16)

    whole = needs.whole_group[need_index]
    same_cat = products.category_id[product_index] == needs.category_id[need_index]
    kind = np.where(
        whole, MatchKind.WHOLE_GROUP, np.where(same_cat, MatchKind.SUBGROUP, MatchKind.GROUP)
    )
    category = np.where(whole | same_cat, 1.0, weights.group_match_factor)

    prov = products.province[product_index]
    indptr, indices = _csr_take(needs.wanted_indptr, needs.wanted_indices, need_index)
    lengths = np.diff(indptr)
    has = np.flatnonzero(lengths > 0)
    anywhere = lengths == 0
    distance = np.full(m, np.nan)
    nearest = np.full(m, -1, dtype=np.int32)
    inside = np.zeros(m, dtype=bool)
    if indices.size:
        owner = np.repeat(np.arange(m), lengths)
        d = provinces.distance_km[indices, prov[owner]]
        starts = indptr[:-1][has]
        inside[has] = np.maximum.reduceat((indices == prov[owner]).astype(np.uint8), starts) > 0
        distance[has] = np.minimum.reduceat(d, starts)
        # Nearest wanted province; on equal distances the lower index.
        tied = np.where(d == distance[owner], indices, np.iinfo(np.int32).max)
        nearest[has] = np.minimum.reduceat(tied, starts)
    distance[inside] = 0.0
    nearest[inside] = prov[inside]
    decay = np.exp(-np.nan_to_num(distance) / weights.distance_scale_km)
    province = np.where(anywhere | inside, 1.0, decay)
    flags[anywhere] |= np.uint16(Flag.ANYWHERE)
    flags[inside] |= np.uint16(Flag.INSIDE_WANTED)

    pref = needs.preferred_certs[need_index]
    preferred_held = pref & products.certs[product_index]
    n_pref = np.bitwise_count(pref).sum(axis=1)
    n_shared = np.bitwise_count(preferred_held).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        certification = np.where(n_pref > 0, n_shared / n_pref, 1.0)

    same_dim = products.dimension[product_index] == needs.dimension[need_index]
    capacity = products.capacity[product_index]
    monthly = needs.volume[need_index]
    has_capacity = ~np.isnan(capacity)
    has_volume = _stated_mask(monthly)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.minimum(1.0, capacity / monthly)
    volume = np.where(~has_volume, 1.0, np.where(same_dim & has_capacity, ratio, 0.0))
    flags[~same_dim] |= np.uint16(Flag.DIMENSION_MISMATCH)
    flags[~has_capacity] |= np.uint16(Flag.CAPACITY_UNKNOWN)
    flags[~has_volume] |= np.uint16(Flag.VOLUME_UNKNOWN)

    minimum = products.min_order[product_index]
    order_size = needs.order_size[need_index]
    has_min = _stated_mask(minimum)
    has_order = _stated_mask(order_size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mo_ratio = np.minimum(1.0, order_size / minimum)
    min_order = np.where(~has_min | ~has_order, 1.0, np.where(same_dim, mo_ratio, 0.0))
    flags[~has_min] |= np.uint16(Flag.NO_MIN_ORDER)
    flags[~has_order] |= np.uint16(Flag.ORDER_SIZE_UNKNOWN)

    score = (
        weights.category * category
        + weights.province * province
        + weights.certification * certification
        + weights.volume * volume
        + weights.min_order * min_order
    )
    np.minimum(score, 1.0, out=score)  # weights sum to 1 only up to rounding
    return {
        "score": score,
        "category": category,
        "province": province,
        "certification": certification,
        "volume": volume,
        "min_order": min_order,
        "match_kind": kind.astype(np.int8),
        "distance_km": distance,
        "nearest_province": nearest,
        "required_held": needs.required_certs[need_index],
        "preferred_held": preferred_held,
        "preferred_count": n_pref.astype(np.int16),
        "product_capacity": capacity,
        "need_volume": monthly,
        "product_min_order": minimum,
        "need_order_size": order_size,
        "flags": flags,
    }


def _merge_producer_blocks(
    products: Products,
    needs: Needs,
    need_rows: NDArray[np.intp],
    product_rows: NDArray[np.intp],
    ranks: NDArray[np.int32],
    rounded: NDArray[np.int64],
    k: int,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.int32]]:
    """Producers with products in several groups got a top k per group: re-rank those."""
    producer = products.producer_id[product_rows]
    # Rank 1 entries are one per (producer, group); a producer seen twice spans groups.
    firsts = producer[ranks == 1]
    uniq, count = np.unique(firsts, return_counts=True)
    multi = np.isin(producer, uniq[count > 1])
    if not multi.any():
        return need_rows, product_rows, ranks
    idx = np.flatnonzero(multi)
    order = idx[np.lexsort((needs.need_id[need_rows[idx]], -rounded[idx], producer[idx]))]
    sorted_producer = producer[order]
    start = np.searchsorted(sorted_producer, sorted_producer)
    new_rank = np.arange(len(order)) - start + 1
    keep = np.ones(len(need_rows), dtype=bool)
    ranks = ranks.copy()
    ranks[order] = new_rank
    keep[order[new_rank > k]] = False
    return need_rows[keep], product_rows[keep], ranks[keep]


def match(
    products: Products,
    needs: Needs,
    provinces: ProvinceTable,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    k: int = 10,
    chunk_pairs: int = _DEFAULT_CHUNK_PAIRS,
    workers: int = 1,
    exclude: Exclusions | None = None,
) -> MatchResult:
    """Score every same-group (need, product) pair; keep each need's top k products and each
    producer's top k needs (a producer counts with its best product for the need).

    Scores follow :func:`score_one_pair`. Rankings compare scores rounded to ``RANK_DECIMALS``
    decimals (:func:`rank_value`), so last-bit noise from a different summation order never
    decides a rank; ties then go to the lower product id (a need's top k, and a producer's best
    product for a need) and to the lower need id (a producer's top k needs).

    Pairs are compared group by group (products and needs of other groups can never match) and,
    inside a group, in chunks of about ``chunk_pairs`` pairs, so memory stays bounded whatever
    the national totals. ``workers`` > 1 scores chunks in that many threads (numpy releases the
    GIL); the result is identical. Derived per-group product layouts are cached on ``products``,
    so later calls with the same object (e.g. incremental ones) skip that work.

    ``exclude`` leaves pairs out of one side's top k (see :class:`Exclusions`), so the next
    best takes the slot.
    """
    started = time.perf_counter()
    engine = _Engine(
        products, needs, provinces, weights, k, chunk_pairs, workers, exclude or NO_EXCLUSIONS
    )
    need_parts, producer_parts = engine.run()

    def column(parts: list[tuple[NDArray[Any], ...]], i: int, dtype: Any) -> NDArray[Any]:
        return np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, dtype=dtype)

    n_a, n_b = column(need_parts, 0, np.intp), column(producer_parts, 0, np.intp)
    p_a, p_b = column(need_parts, 1, np.intp), column(producer_parts, 1, np.intp)
    r_a, r_b = column(need_parts, 2, np.int32), column(producer_parts, 2, np.int32)
    n_b, p_b, r_b = _merge_producer_blocks(
        products, needs, n_b, p_b, r_b, column(producer_parts, 3, np.int64), k
    )
    stride = max(1, len(products))
    codes, where = np.unique(
        np.concatenate((n_a * stride + p_a, n_b * stride + p_b)), return_inverse=True
    )
    need_rank = np.zeros(len(codes), dtype=np.int32)
    producer_rank = np.zeros(len(codes), dtype=np.int32)
    need_rank[where[: len(n_a)]] = r_a
    producer_rank[where[len(n_a) :]] = r_b
    need_index, product_index = np.divmod(codes, stride)

    details = _pair_details(products, needs, provinces, weights, need_index, product_index)
    flags = details.pop("flags")
    flags[need_rank > 0] |= np.uint16(Flag.NEED_TOP_K)
    flags[producer_rank > 0] |= np.uint16(Flag.PRODUCER_TOP_K)
    # By need, then the ranking order (rounded score descending, product id ascending).
    rounded = np.rint(details["score"] * _RANK_SCALE)
    order = np.lexsort((products.product_id[product_index], -rounded, need_index))
    need_index, product_index = need_index[order], product_index[order]
    return MatchResult(
        need_index=need_index.astype(np.int64),
        product_index=product_index.astype(np.int64),
        need_id=needs.need_id[need_index],
        product_id=products.product_id[product_index],
        producer_id=products.producer_id[product_index],
        buyer_id=needs.buyer_id[need_index],
        need_rank=need_rank[order],
        producer_rank=producer_rank[order],
        flags=flags[order],
        pairs_considered=engine.pairs_considered,
        pairs_passed=engine.pairs_passed,
        seconds=time.perf_counter() - started,
        meta={"k": k},
        **{name: value[order] for name, value in details.items()},
    )


def match_incremental(
    products: Products,
    needs: Needs,
    provinces: ProvinceTable,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    product_rows: ArrayLike | None = None,
    need_rows: ArrayLike | None = None,
    k: int = 10,
    exclude: Exclusions | None = None,
) -> MatchResult:
    """:func:`match` restricted to some products and/or needs (e.g. one product just approved,
    against every open need), with row indices mapped back to the full inputs.

    Ranks are within the subset: for one product against all needs, each need's top k holds
    just that product whenever the pair passes, so every passing pair comes back and the caller
    can compare it with the need's stored suggestions; scores equal those of a full run.
    """
    started = time.perf_counter()
    p_idx = None if product_rows is None else np.asarray(product_rows, dtype=np.intp).reshape(-1)
    n_idx = None if need_rows is None else np.asarray(need_rows, dtype=np.intp).reshape(-1)
    sub_products = products if p_idx is None else products.take(p_idx)
    sub_needs = needs if n_idx is None else needs.take(n_idx)
    result = match(sub_products, sub_needs, provinces, weights, k=k, exclude=exclude)
    values = {name: getattr(result, name) for name in result.__dataclass_fields__}
    values["seconds"] = time.perf_counter() - started
    if p_idx is not None:
        values["product_index"] = p_idx[result.product_index].astype(np.int64)
    if n_idx is not None:
        values["need_index"] = n_idx[result.need_index].astype(np.int64)
    return MatchResult(**values)


def score_pairs(
    products: Products,
    needs: Needs,
    provinces: ProvinceTable,
    weights: Weights = DEFAULT_WEIGHTS,
    *,
    need_rows: ArrayLike,
    product_rows: ArrayLike,
    need_rank: ArrayLike | None = None,
    producer_rank: ArrayLike | None = None,
) -> MatchResult:
    """Factors, score and reasons for given (need row, product row) pairs, as :func:`match`
    reports them, in the order given; for pairs already known to pass the hard filters (e.g.
    the winners of a top k merged outside the engine). Ranks are passed through (0 if not
    given) and set the NEED_TOP_K and PRODUCER_TOP_K flags."""
    started = time.perf_counter()
    need_index = np.asarray(need_rows, dtype=np.intp).reshape(-1)
    product_index = np.asarray(product_rows, dtype=np.intp).reshape(-1)
    if need_index.shape != product_index.shape:
        raise ValueError("need_rows and product_rows must have the same length.")
    m = len(need_index)
    n_rank = np.zeros(m, np.int32) if need_rank is None else np.asarray(need_rank, np.int32)
    p_rank = np.zeros(m, np.int32) if producer_rank is None else np.asarray(producer_rank, np.int32)
    details = _pair_details(products, needs, provinces, weights, need_index, product_index)
    flags = details.pop("flags")
    flags[n_rank > 0] |= np.uint16(Flag.NEED_TOP_K)
    flags[p_rank > 0] |= np.uint16(Flag.PRODUCER_TOP_K)
    return MatchResult(
        need_index=need_index.astype(np.int64),
        product_index=product_index.astype(np.int64),
        need_id=needs.need_id[need_index],
        product_id=products.product_id[product_index],
        producer_id=products.producer_id[product_index],
        buyer_id=needs.buyer_id[need_index],
        need_rank=n_rank.reshape(-1),
        producer_rank=p_rank.reshape(-1),
        flags=flags,
        pairs_considered=0,
        pairs_passed=m,
        seconds=time.perf_counter() - started,
        meta={},
        **details,
    )
