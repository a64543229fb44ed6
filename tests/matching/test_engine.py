"""The pure scoring engine: hand-computed factors, the vectorised run against the per-pair
reference (``score_one_pair``) and a brute-force top k, and the incremental entry point. No
database: everything is numpy arrays built here or by ``matching.synthetic``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine import (
    COUNT,
    DEFAULT_WEIGHTS,
    EARTH_RADIUS_KM,
    MASS,
    VOLUME,
    Exclusions,
    Flag,
    MatchKind,
    MatchResult,
    Needs,
    PairScore,
    Products,
    ProvinceTable,
    Weights,
    bitset_indices,
    csr_from_lists,
    haversine_km,
    match,
    match_incremental,
    pack_bitsets,
    rank_value,
    score_one_pair,
)
from matching.synthetic import generate

NAN = math.nan
N_CERTS = 70  # two bitset words, so multi-word paths are exercised


# --- builders ---------------------------------------------------------------------------------


def make_products(rows: list[dict[str, Any]], n_certs: int = N_CERTS) -> Products:
    """Products from dicts; unspecified fields get neutral defaults."""
    defaults: dict[str, Any] = {
        "producer_id": None,
        "category_id": 11,
        "group_id": 1,
        "province": 0,
        "stars": 3,
        "dimension": MASS,
        "capacity": NAN,
        "min_order": NAN,
        "certs": (),
    }
    full = [{**defaults, **row} for row in rows]
    return Products(
        product_id=[r.get("product_id", i + 1) for i, r in enumerate(full)],
        producer_id=[r["producer_id"] or 100 + i for i, r in enumerate(full)],
        category_id=[r["category_id"] for r in full],
        group_id=[r["group_id"] for r in full],
        province=[r["province"] for r in full],
        stars=[r["stars"] for r in full],
        dimension=[r["dimension"] for r in full],
        capacity=[r["capacity"] for r in full],
        min_order=[r["min_order"] for r in full],
        certs=pack_bitsets([r["certs"] for r in full], n_certs),
    )


def make_needs(rows: list[dict[str, Any]], n_certs: int = N_CERTS) -> Needs:
    defaults: dict[str, Any] = {
        "buyer_id": 1,
        "category_id": 11,
        "group_id": 1,
        "whole_group": False,
        "wanted": (),
        "required": (),
        "preferred": (),
        "min_stars": 0,
        "dimension": MASS,
        "volume": NAN,
        "order_size": NAN,
    }
    full = [{**defaults, **row} for row in rows]
    indptr, indices = csr_from_lists([r["wanted"] for r in full])
    return Needs(
        need_id=[r.get("need_id", i + 1) for i, r in enumerate(full)],
        buyer_id=[r["buyer_id"] for r in full],
        category_id=[r["category_id"] for r in full],
        group_id=[r["group_id"] for r in full],
        whole_group=[r["whole_group"] for r in full],
        wanted_indptr=indptr,
        wanted_indices=indices,
        required_certs=pack_bitsets([r["required"] for r in full], n_certs),
        preferred_certs=pack_bitsets([r["preferred"] for r in full], n_certs),
        min_stars=[r["min_stars"] for r in full],
        dimension=[r["dimension"] for r in full],
        volume=[r["volume"] for r in full],
        order_size=[r["order_size"] for r in full],
    )


def two_provinces(km: float = 150.0) -> ProvinceTable:
    return ProvinceTable(np.array([[0.0, km], [km, 0.0]]))


def score_both(
    product: dict[str, Any],
    need: dict[str, Any],
    provinces: ProvinceTable | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> tuple[PairScore | None, MatchResult]:
    """The reference and the engine on one pair; asserts they agree."""
    provinces = provinces or two_provinces()
    products, needs = make_products([product]), make_needs([need])
    ref = score_one_pair(products.record(0), needs.record(0), provinces.distance_km, weights)
    result = match(products, needs, provinces, weights, k=3)
    if ref is None:
        assert len(result) == 0
    else:
        assert len(result) == 1
        assert_same(ref, result, 0)
    return ref, result


def assert_same(ref: PairScore, result: MatchResult, row: int, tol: float = 1e-9) -> None:
    for name in ("score", "category", "province", "certification", "volume", "min_order"):
        assert abs(getattr(ref, name) - float(getattr(result, name)[row])) <= tol, name
    assert int(result.match_kind[row]) == ref.match_kind
    assert int(result.nearest_province[row]) == ref.nearest_province
    got_distance = float(result.distance_km[row])
    if math.isnan(ref.distance_km):
        assert math.isnan(got_distance)
    else:
        assert abs(ref.distance_km - got_distance) <= tol
    top_bits = Flag.NEED_TOP_K | Flag.PRODUCER_TOP_K
    assert Flag(int(result.flags[row])) & ~top_bits == ref.flags
    assert set(bitset_indices(result.required_held[row])) == ref.required_held
    assert set(bitset_indices(result.preferred_held[row])) == ref.preferred_held


# --- hand-computed factors --------------------------------------------------------------------


def test_everything_met_scores_one() -> None:
    ref, _ = score_both(
        {"capacity": 2000.0, "min_order": 100.0},
        {"volume": 1500.0, "order_size": 250.0},
    )
    assert ref is not None
    assert ref.score == 1.0
    assert ref.match_kind == MatchKind.SUBGROUP
    assert ref.flags == Flag.ANYWHERE


def test_province_decay_for_a_known_distance() -> None:
    ref, result = score_both({"province": 1}, {"wanted": [0]}, two_provinces(150.0))
    assert ref is not None
    assert ref.province == pytest.approx(math.exp(-1.0), abs=1e-15)
    assert ref.province == pytest.approx(0.36787944117144233, abs=1e-15)
    assert ref.distance_km == 150.0
    assert ref.nearest_province == 0
    # Category 0.30 + province 0.25 e^-1 + certification 0.15 + volume 0.20 + min order 0.10.
    assert ref.score == pytest.approx(0.75 + 0.25 * math.exp(-1.0), abs=1e-12)
    assert float(result.score[0]) == pytest.approx(0.8419698602928606, abs=1e-12)


def test_province_inside_wanted_and_nearest_of_several() -> None:
    provinces = ProvinceTable(
        np.array([[0.0, 300.0, 75.0], [300.0, 0.0, 250.0], [75.0, 250.0, 0.0]])
    )
    inside, _ = score_both({"province": 2}, {"wanted": [0, 2]}, provinces)
    assert inside is not None
    assert (inside.province, inside.distance_km, inside.nearest_province) == (1.0, 0.0, 2)
    assert inside.flags & Flag.INSIDE_WANTED
    nearest, _ = score_both({"province": 0}, {"wanted": [1, 2]}, provinces)
    assert nearest is not None
    assert (nearest.distance_km, nearest.nearest_province) == (75.0, 2)
    assert nearest.province == pytest.approx(math.exp(-0.5), abs=1e-15)


def test_haversine_one_degree_of_meridian() -> None:
    assert float(haversine_km(0.0, 0.0, 1.0, 0.0)) == pytest.approx(
        EARTH_RADIUS_KM * math.pi / 180, abs=1e-9
    )
    table = ProvinceTable.from_centroids([11.5564, 10.8231], [104.9282, 106.6297])
    # Phnom Penh to Ho Chi Minh City is about 203 km as the crow flies.
    assert table.distance_km[0, 1] == pytest.approx(203.0, abs=3.0)
    assert table.distance_km[0, 0] == 0.0


def test_preferred_certification_share() -> None:
    ref, _ = score_both({"certs": [1, 2, 65]}, {"preferred": [1, 2, 3]})
    assert ref is not None
    assert ref.certification == 2 / 3
    assert ref.preferred_held == {1, 2}
    assert ref.score == pytest.approx(0.85 + 0.15 * 2 / 3, abs=1e-12)
    none_preferred, _ = score_both({"certs": []}, {"preferred": []})
    assert none_preferred is not None and none_preferred.certification == 1.0


@pytest.mark.parametrize(
    ("capacity", "volume", "expected"),
    [(2000.0, 1500.0, 1.0), (1000.0, 1500.0, 0.6666666666666666), (0.0, 1500.0, 0.0)],
)
def test_volume_factor(capacity: float, volume: float, expected: float) -> None:
    ref, _ = score_both({"capacity": capacity}, {"volume": volume})
    assert ref is not None
    assert ref.volume == pytest.approx(expected, abs=1e-15)
    assert round(ref.volume, 4) == round(expected, 4)


def test_volume_unknowns() -> None:
    no_volume, _ = score_both({"capacity": NAN}, {"volume": NAN})
    assert no_volume is not None and no_volume.volume == 1.0
    assert no_volume.flags & Flag.VOLUME_UNKNOWN and no_volume.flags & Flag.CAPACITY_UNKNOWN
    no_capacity, _ = score_both({"capacity": NAN}, {"volume": 100.0})
    assert no_capacity is not None and no_capacity.volume == 0.0


@pytest.mark.parametrize(
    ("min_order", "order_size", "expected"),
    [(500.0, 250.0, 0.5), (200.0, 250.0, 1.0), (NAN, 250.0, 1.0), (500.0, NAN, 1.0)],
)
def test_min_order_factor(min_order: float, order_size: float, expected: float) -> None:
    ref, _ = score_both({"min_order": min_order}, {"order_size": order_size})
    assert ref is not None
    assert ref.min_order == expected


def test_group_only_match_uses_group_factor() -> None:
    ref, _ = score_both({"category_id": 12}, {"category_id": 11})
    assert ref is not None
    assert ref.match_kind == MatchKind.GROUP
    assert ref.category == 0.6
    assert ref.score == pytest.approx(0.3 * 0.6 + 0.7, abs=1e-12)
    whole, _ = score_both({"category_id": 12}, {"category_id": 1, "whole_group": True})
    assert whole is not None
    assert (whole.match_kind, whole.category) == (MatchKind.WHOLE_GROUP, 1.0)
    custom = Weights(group_match_factor=0.25)
    ref, _ = score_both({"category_id": 12}, {"category_id": 11}, weights=custom)
    assert ref is not None and ref.category == 0.25


def test_dimension_mismatch_is_scored_not_excluded() -> None:
    ref, _ = score_both(
        {"dimension": VOLUME, "capacity": 5000.0, "min_order": 10.0},
        {"dimension": MASS, "volume": 100.0, "order_size": 50.0},
    )
    assert ref is not None
    assert (ref.volume, ref.min_order) == (0.0, 0.0)
    assert ref.flags & Flag.DIMENSION_MISMATCH
    assert ref.score == pytest.approx(0.7, abs=1e-12)


@pytest.mark.parametrize(
    ("product", "need"),
    [
        ({"group_id": 2, "category_id": 21}, {}),  # another group
        ({"group_id": 2, "category_id": 21}, {"category_id": 1, "whole_group": True}),
        ({"certs": [1]}, {"required": [1, 2]}),  # a required certification missing
        ({"certs": [1, 2], "stars": 3}, {"required": [1, 2], "min_stars": 4}),  # stars
    ],
)
def test_hard_filters_exclude(product: dict[str, Any], need: dict[str, Any]) -> None:
    ref, result = score_both(product, need)
    assert ref is None
    assert result.pairs_passed == 0


def test_required_held_reported() -> None:
    ref, result = score_both(
        {"certs": [1, 2, 64], "stars": 4}, {"required": [2, 64], "min_stars": 4}
    )
    assert ref is not None and ref.required_held == {2, 64}
    assert result.breakdown(0)["required_held"] == [2, 64]


def test_weights_must_sum_to_one() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        Weights(category=0.5)
    weights = Weights.normalised(3, 2.5, 1.5, 2, 1)
    assert sum(weights.factor_weights()) == pytest.approx(1.0)
    assert weights.category == pytest.approx(0.3)


def test_bitset_and_csr_helpers() -> None:
    bits = pack_bitsets([[0, 63, 64, 69], [], [5]], 70)
    assert bits.shape == (3, 2)
    assert bitset_indices(bits[0]) == [0, 63, 64, 69]
    assert bitset_indices(bits[1]) == []
    indptr, indices = csr_from_lists([[3, 1, 3], [], [0]])
    assert indptr.tolist() == [0, 2, 2, 3]
    assert indices.tolist() == [1, 3, 0]
    with pytest.raises(ValueError):
        pack_bitsets([[70]], 70)


# --- ranking and ties -------------------------------------------------------------------------


def test_ties_go_to_lower_ids() -> None:
    # Six identical products from two producers, three identical needs: every score ties.
    products = make_products(
        [{"product_id": pid, "producer_id": 1} for pid in (60, 10, 50)]
        + [{"product_id": pid, "producer_id": 2} for pid in (20, 40, 30)]
    )
    needs = make_needs([{"need_id": nid} for nid in (9, 3, 7)])
    result = match(products, needs, two_provinces(), k=2)
    for need_id in (9, 3, 7):
        mine = result.need_rank > 0
        mine &= result.need_id == need_id
        ranked = sorted(zip(result.need_rank[mine], result.product_id[mine], strict=True))
        assert [pid for _, pid in ranked] == [10, 20]
    for producer in (1, 2):
        mine = (result.producer_rank > 0) & (result.producer_id == producer)
        ranked = sorted(zip(result.producer_rank[mine], result.need_id[mine], strict=True))
        assert [nid for _, nid in ranked] == [3, 7]
        # The producer's best product for a need is its lowest id among equals.
        assert set(result.product_id[mine]) == {10 if producer == 1 else 20}


def test_large_producer_tail_is_ranked() -> None:
    # One producer with 40 products (more than the engine's 16 slots) and a few small ones.
    rows = [{"producer_id": 1, "capacity": float(c), "product_id": 100 + c} for c in range(40)] + [
        {"producer_id": 2 + i, "capacity": 15.5 + i} for i in range(5)
    ]
    products = make_products(rows)
    needs = make_needs([{"volume": 50.0}, {"volume": 30.0}])
    result = match(products, needs, two_provinces(), k=5)
    assert_matches_brute_force(products, needs, two_provinces(), DEFAULT_WEIGHTS, 5, result)
    top = result.need_rank == 1
    assert set(result.product_id[top]) == {139, 130}  # capacity 39 for 50, 30 for 30


# --- brute force ------------------------------------------------------------------------------


@dataclass
class Brute:
    scored: dict[tuple[int, int], PairScore]
    need_top: dict[tuple[int, int], int]
    producer_top: dict[tuple[int, int], int]


def brute_force(
    products: Products,
    needs: Needs,
    provinces: ProvinceTable,
    weights: Weights,
    k: int,
    exclude: Exclusions | None = None,
) -> Brute:
    """Every pair through score_one_pair, then the documented ranking, in plain Python;
    excluded pairs leave their side's ranking only."""
    exclude = exclude or Exclusions()
    skip_need = set(zip(*(a.tolist() for a in exclude.need_product), strict=True))
    skip_producer = set(zip(*(a.tolist() for a in exclude.need_producer), strict=True))
    p_rec = [products.record(i) for i in range(len(products))]
    n_rec = [needs.record(j) for j in range(len(needs))]
    dist = provinces.distance_km.tolist()
    scored = {}
    for j, need in enumerate(n_rec):
        for i, product in enumerate(p_rec):
            pair = score_one_pair(product, need, dist, weights)
            if pair is not None:
                scored[(j, i)] = pair
    per_need: dict[int, list[tuple[int, int, int]]] = {}
    best: dict[tuple[int, int], tuple[int, int, int]] = {}
    for (j, i), pair in scored.items():
        key = (-rank_value(pair.score), p_rec[i].product_id, i)
        if (n_rec[j].need_id, p_rec[i].product_id) not in skip_need:
            per_need.setdefault(j, []).append(key)
        slot = (p_rec[i].producer_id, j)
        best[slot] = min(best.get(slot, key), key)
    need_top = {}
    for j, keys in per_need.items():
        for rank, (_, _, i) in enumerate(sorted(keys)[:k], start=1):
            need_top[(j, i)] = rank
    per_producer: dict[int, list[tuple[int, int, int, int]]] = {}
    for (producer, j), (neg, _, i) in best.items():
        if (n_rec[j].need_id, producer) not in skip_producer:
            per_producer.setdefault(producer, []).append((neg, n_rec[j].need_id, j, i))
    producer_top = {}
    for keys in per_producer.values():
        for rank, (_, _, j, i) in enumerate(sorted(keys)[:k], start=1):
            producer_top[(j, i)] = rank
    return Brute(scored, need_top, producer_top)


def assert_matches_brute_force(
    products: Products,
    needs: Needs,
    provinces: ProvinceTable,
    weights: Weights,
    k: int,
    result: MatchResult,
    exclude: Exclusions | None = None,
) -> Brute:
    brute = brute_force(products, needs, provinces, weights, k, exclude)
    pairs = list(zip(result.need_index.tolist(), result.product_index.tolist(), strict=True))
    got_need = {p: int(r) for p, r in zip(pairs, result.need_rank, strict=True) if r}
    got_producer = {p: int(r) for p, r in zip(pairs, result.producer_rank, strict=True) if r}
    assert got_need == brute.need_top
    assert got_producer == brute.producer_top
    assert len(pairs) == len(set(brute.need_top) | set(brute.producer_top))
    assert result.pairs_passed == len(brute.scored)
    same_group = products.group_id[None, :] == needs.group_id[:, None]
    assert result.pairs_considered == int(same_group.sum())
    for row, pair in enumerate(pairs):
        assert_same(brute.scored[pair], result, row)
    return brute


# --- property tests ---------------------------------------------------------------------------

CATEGORIES = [(11, 1), (12, 1), (13, 1), (21, 2), (22, 2)]
QUANTITY = st.sampled_from([NAN, 0.0, 50.0, 100.0, 250.0, 1000.0, 1500.0, 2000.0]) | st.floats(
    1.0, 5000.0
)
CERT_SET = st.lists(st.sampled_from([0, 1, 2, 3, 40, 63, 64, 69]), max_size=4)


@st.composite
def datasets(draw: st.DrawFn) -> tuple[Products, Needs, ProvinceTable]:
    n_prov = draw(st.integers(1, 4))
    upper = draw(
        st.lists(
            st.sampled_from([0.0, 75.0, 150.0, 150.0, 300.0]) | st.floats(1.0, 900.0),
            min_size=n_prov * n_prov,
            max_size=n_prov * n_prov,
        )
    )
    dist = np.triu(np.array(upper).reshape(n_prov, n_prov), 1)
    provinces = ProvinceTable(dist + dist.T)

    n_products = draw(st.integers(1, 24))
    n_producers = draw(st.integers(1, 6))
    product_rows = []
    for _ in range(n_products):
        category, group = draw(st.sampled_from(CATEGORIES))
        product_rows.append(
            {
                "producer_id": draw(st.integers(1, n_producers)),
                "category_id": category,
                "group_id": group,
                "province": draw(st.integers(0, n_prov - 1)),
                "stars": draw(st.integers(0, 5)),
                "dimension": draw(st.sampled_from([MASS, MASS, VOLUME, COUNT])),
                "capacity": draw(QUANTITY),
                "min_order": draw(QUANTITY),
                "certs": draw(CERT_SET),
            }
        )
    ids = draw(st.permutations(range(1, 200)))
    for row, pid in zip(product_rows, ids, strict=False):
        row["product_id"] = pid

    n_needs = draw(st.integers(1, 10))
    need_rows = []
    for _ in range(n_needs):
        category, group = draw(st.sampled_from(CATEGORIES))
        whole = draw(st.booleans())
        need_rows.append(
            {
                "category_id": group if whole else category,
                "group_id": group,
                "whole_group": whole,
                "wanted": draw(st.lists(st.integers(0, n_prov - 1), max_size=3)),
                "required": draw(st.lists(st.sampled_from([0, 1, 64]), max_size=1)),
                "preferred": draw(CERT_SET),
                "min_stars": draw(st.integers(0, 4)),
                "dimension": draw(st.sampled_from([MASS, MASS, VOLUME, COUNT])),
                "volume": draw(QUANTITY),
                "order_size": draw(QUANTITY),
            }
        )
    need_ids = draw(st.permutations(range(1, 100)))
    for row, nid in zip(need_rows, need_ids, strict=False):
        row["need_id"] = nid
    return make_products(product_rows), make_needs(need_rows), provinces


WEIGHTS = st.sampled_from(
    [DEFAULT_WEIGHTS, Weights.normalised(1, 1, 1, 1, 1, group_match_factor=0.5)]
)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(
    data=datasets(),
    k=st.integers(1, 4),
    chunk_pairs=st.sampled_from([1, 7, 1 << 19]),
    weights=WEIGHTS,
)
def test_engine_equals_brute_force(
    data: tuple[Products, Needs, ProvinceTable], k: int, chunk_pairs: int, weights: Weights
) -> None:
    products, needs, provinces = data
    result = match(products, needs, provinces, weights, k=k, chunk_pairs=chunk_pairs)
    assert_matches_brute_force(products, needs, provinces, weights, k, result)


def random_exclusions(products: Products, needs: Needs, seed: int) -> Exclusions:
    """About a third of all (need, product) and (need, producer) pairs, plus ids that are
    not scored at all (ignored)."""
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.05, 0.6)
    sides = []
    for others in (products.product_id, np.unique(products.producer_id)):
        need, other = (a.reshape(-1) for a in np.meshgrid(needs.need_id, others))
        keep = rng.random(len(need)) < share
        sides.append((np.append(need[keep], [999, 1]), np.append(other[keep], [1, 999])))
    return Exclusions(need_product=sides[0], need_producer=sides[1])


@PROPERTY
@given(
    data=datasets(),
    k=st.integers(1, 4),
    chunk_pairs=st.sampled_from([1, 7, 1 << 19]),
    workers=st.sampled_from([1, 2]),
    seed=st.integers(0, 2**16),
)
def test_excluded_pairs_give_up_their_slot_to_the_next_best(
    data: tuple[Products, Needs, ProvinceTable], k: int, chunk_pairs: int, workers: int, seed: int
) -> None:
    products, needs, provinces = data
    exclude = random_exclusions(products, needs, seed)
    result = match(
        products, needs, provinces, k=k, chunk_pairs=chunk_pairs, workers=workers, exclude=exclude
    )
    assert_matches_brute_force(products, needs, provinces, DEFAULT_WEIGHTS, k, result, exclude)
    # A product rescored alone agrees on the need side (what incremental runs merge).
    i = seed % len(products)
    one = match_incremental(products, needs, provinces, product_rows=[i], k=k, exclude=exclude)
    skipped = set(zip(*(a.tolist() for a in exclude.need_product), strict=True))
    ranked = {
        int(needs.need_id[j]) for j, r in zip(one.need_index, one.need_rank, strict=True) if r
    }
    passing = {int(needs.need_id[j]) for j in one.need_index.tolist()}
    pid = int(products.product_id[i])
    assert ranked == {n for n in passing if (n, pid) not in skipped}


def test_exclusions_reach_a_large_producers_tail_and_slots() -> None:
    # One producer with 40 products (16 slots, then tail pieces) and a few small ones.
    rows = [{"producer_id": 1, "capacity": float(c), "product_id": 100 + c} for c in range(40)] + [
        {"producer_id": 2 + i, "capacity": 15.5 + i} for i in range(5)
    ]
    products = make_products(rows)
    needs = make_needs([{"volume": 50.0}, {"volume": 30.0}])
    # Need 1's two best (139 in the tail, 138 too) and need 2's best (130) are turned down;
    # producer 3 turns need 2 down.
    exclude = Exclusions(need_product=([1, 1, 2], [139, 138, 130]), need_producer=([2], [3]))
    for workers in (1, 2):
        result = match(products, needs, two_provinces(), k=5, workers=workers, exclude=exclude)
        assert_matches_brute_force(
            products, needs, two_provinces(), DEFAULT_WEIGHTS, 5, result, exclude
        )
        top = result.need_rank == 1
        top = dict(zip(result.need_id[top], result.product_id[top], strict=True))
        assert top == {1: 137, 2: 131}
    # Nothing excluded: the same as no argument.
    plain, empty = (
        match(products, needs, two_provinces(), k=5),
        match(products, needs, two_provinces(), k=5, exclude=Exclusions()),
    )
    assert np.array_equal(plain.need_rank, empty.need_rank)
    assert np.array_equal(plain.producer_rank, empty.producer_rank)


@PROPERTY
@given(data=datasets(), k=st.integers(1, 4))
def test_no_suggestion_breaks_a_hard_filter(
    data: tuple[Products, Needs, ProvinceTable], k: int
) -> None:
    products, needs, provinces = data
    result = match(products, needs, provinces, k=k)
    for j, i in zip(result.need_index, result.product_index, strict=True):
        product, need = products.record(int(i)), needs.record(int(j))
        assert product.group_id == need.group_id  # same subgroup or same group
        assert need.required_certs <= product.certs
        assert product.stars >= need.min_stars
    assert np.all((result.score >= 0) & (result.score <= 1 + 1e-12))


@PROPERTY
@given(data=datasets(), k=st.integers(1, 3), row=st.integers(0, 100))
def test_incremental_agrees_with_full_run(
    data: tuple[Products, Needs, ProvinceTable], k: int, row: int
) -> None:
    products, needs, provinces = data
    full = match(products, needs, provinces, k=k)
    full_scores = {
        (int(j), int(i)): float(s)
        for j, i, s in zip(full.need_index, full.product_index, full.score, strict=True)
    }
    brute = brute_force(products, needs, provinces, DEFAULT_WEIGHTS, k)

    i = row % len(products)
    one_product = match_incremental(products, needs, provinces, product_rows=[i], k=k)
    got = dict(
        zip(
            zip(one_product.need_index.tolist(), one_product.product_index.tolist(), strict=True),
            one_product.score.tolist(),
            strict=True,
        )
    )
    # Every passing pair of that product comes back, with the full run's scores.
    assert set(got) == {pair for pair in brute.scored if pair[1] == i}
    for pair, score in got.items():
        assert score == pytest.approx(brute.scored[pair].score, abs=1e-9)
        if pair in full_scores:
            assert score == full_scores[pair]

    j = row % len(needs)
    one_need = match_incremental(products, needs, provinces, need_rows=[j], k=k)
    need_top = {
        (int(a), int(b)): int(r)
        for a, b, r in zip(
            one_need.need_index, one_need.product_index, one_need.need_rank, strict=True
        )
        if r
    }
    assert need_top == {pair: r for pair, r in brute.need_top.items() if pair[0] == j}


# --- synthetic data ---------------------------------------------------------------------------


def test_synthetic_run_matches_reference() -> None:
    data = generate(7, n_producers=120, n_products=300, n_needs=80, n_buyers=30)
    result = match(data.products, data.needs, data.provinces, k=5, chunk_pairs=2_000)
    assert_matches_brute_force(
        data.products, data.needs, data.provinces, DEFAULT_WEIGHTS, 5, result
    )


def test_synthetic_national_shape_and_incremental() -> None:
    data = generate(0)
    products, needs = data.products, data.needs
    assert (len(products), len(needs), data.provinces.size) == (17_000, 5_000, 59)
    assert len(np.unique(products.producer_id)) == 9_300
    assert set(np.unique(products.stars).tolist()) <= {3, 4, 5}
    assert np.mean(products.stars == 3) > 0.5
    assert generate(0).products.capacity.tobytes() == products.capacity.tobytes()

    full = match(products, needs, data.provinces, k=10)
    assert full.pairs_considered < len(products) * len(needs) // 2
    sample = np.random.default_rng(1).choice(len(full), 200, replace=False)
    p_rec = {}
    dist = data.provinces.distance_km.tolist()
    for row in sample:
        i, j = int(full.product_index[row]), int(full.need_index[row])
        p_rec.setdefault(i, products.record(i))
        ref = score_one_pair(p_rec[i], needs.record(j), dist)
        assert ref is not None
        assert_same(ref, full, int(row))

    i = int(full.product_index[0])
    one = match_incremental(products, needs, data.provinces, product_rows=[i], k=10)
    assert np.all(one.product_index == i)
    in_full = full.product_index == i
    full_scores = dict(
        zip(full.need_index[in_full].tolist(), full.score[in_full].tolist(), strict=True)
    )
    got = dict(zip(one.need_index.tolist(), one.score.tolist(), strict=True))
    assert set(full_scores) <= set(got)
    for j, score in full_scores.items():
        assert got[j] == score


def test_threads_give_the_same_result() -> None:
    data = generate(3, n_producers=200, n_products=500, n_needs=150, n_buyers=40)
    args = (data.products, data.needs, data.provinces)
    one = match(*args, k=5, chunk_pairs=3_000)
    two = match(*args, k=5, chunk_pairs=3_000, workers=2)
    for name in ("need_index", "product_index", "score", "need_rank", "producer_rank", "flags"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name


def test_inputs_are_validated() -> None:
    with pytest.raises(ValueError, match="unique"):
        make_products([{"product_id": 1}, {"product_id": 1}])
    with pytest.raises(ValueError, match="stars"):
        make_needs([{"min_stars": 6}])
    products, needs = make_products([{"province": 2}]), make_needs([{}])
    with pytest.raises(ValueError, match="province"):
        match(products, needs, two_provinces())
    with pytest.raises(ValueError, match="widths"):
        match(make_products([{}], n_certs=10), needs, two_provinces())
