"""Seeded synthetic national-scale data for the matching engine (pure numpy, no Django): used by
the benchmark command and the tests to exercise :mod:`matching.engine` at realistic sizes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matching.engine import COUNT, MASS, VOLUME, Needs, Products, ProvinceTable, cert_words

# OCOP's six groups (food, beverages, herbal products, textiles, handicrafts/souvenirs, rural
# tourism services) with subgroup counts, share of listings, and the usual unit dimension.
GROUP_SUBGROUPS = (9, 6, 5, 3, 5, 2)
GROUP_SHARE = (0.55, 0.15, 0.12, 0.05, 0.09, 0.04)
GROUP_DIMENSION = (MASS, VOLUME, MASS, COUNT, COUNT, COUNT)
# Median monthly quantity per dimension, in base units (kg, L, piece).
MEDIAN_QUANTITY = {MASS: 800.0, VOLUME: 600.0, COUNT: 1500.0}


@dataclass(frozen=True, eq=False)
class SyntheticData:
    products: Products
    needs: Needs
    provinces: ProvinceTable
    province_country: NDArray[np.int8]  # 0 Cambodia, 1 Vietnam
    latitude: NDArray[np.float64]
    longitude: NDArray[np.float64]
    subgroup_ids: NDArray[np.int64]  # category pk per subgroup
    subgroup_group: NDArray[np.int64]  # group pk per subgroup
    n_certs: int


def _zipf(n: int, exponent: float) -> NDArray[np.float64]:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def _provinces(
    rng: np.random.Generator, n_kh: int, n_vn: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int8]]:
    kh_lat = rng.uniform(10.4, 14.7, n_kh)
    kh_lon = rng.uniform(102.3, 107.6, n_kh)
    # Vietnam is a long S: spread latitudes, then keep longitudes inside a rough band per region.
    vn_lat = rng.uniform(8.6, 23.4, n_vn)
    west = np.interp(vn_lat, [8.6, 11.0, 16.0, 20.0, 23.4], [104.8, 105.5, 106.5, 103.5, 102.1])
    east = np.interp(
        vn_lat, [8.6, 11.0, 12.5, 16.0, 20.0, 23.4], [105.3, 107.5, 109.5, 108.5, 107.0, 106.5]
    )
    vn_lon = west + rng.random(n_vn) * (east - west)
    lat = np.concatenate((kh_lat, vn_lat))
    lon = np.concatenate((kh_lon, vn_lon))
    country = np.concatenate((np.zeros(n_kh, np.int8), np.ones(n_vn, np.int8)))
    return lat, lon, country


def generate(
    seed: int = 0,
    *,
    n_producers: int = 9_300,
    n_products: int = 17_000,
    n_needs: int = 5_000,
    n_buyers: int = 1_400,
    n_provinces_kh: int = 25,
    n_provinces_vn: int = 34,
    n_certs: int = 25,
) -> SyntheticData:
    """National-scale data in well under a second; the same seed always gives the same data."""
    if n_products < n_producers:
        raise ValueError("Every producer lists at least one product.")
    rng = np.random.default_rng(seed)
    lat, lon, country = _provinces(rng, n_provinces_kh, n_provinces_vn)
    n_prov = len(lat)
    provinces = ProvinceTable.from_centroids(lat, lon)

    # Category tree: group pks 1..6, subgroup pks from 101; Zipf popularity inside each group.
    n_groups = len(GROUP_SUBGROUPS)
    subgroup_group = np.repeat(np.arange(1, n_groups + 1), GROUP_SUBGROUPS).astype(np.int64)
    subgroup_ids = np.arange(101, 101 + len(subgroup_group), dtype=np.int64)
    subgroup_dim = np.repeat(GROUP_DIMENSION, GROUP_SUBGROUPS).astype(np.int8)
    popularity = np.concatenate(
        [share * _zipf(n, 1.1) for share, n in zip(GROUP_SHARE, GROUP_SUBGROUPS, strict=True)]
    )
    popularity /= popularity.sum()

    # Certifications: skewed frequency (OCOP certificate and basic food safety are common,
    # organic or export registrations rare).
    cert_freq = 0.45 * _zipf(n_certs, 1.0) / _zipf(n_certs, 1.0)[0]
    words = cert_words(n_certs)

    # Producers: a province (some provinces host many more producers than others) and a home
    # subgroup; most list one or two products, a few cooperatives list dozens.
    producer_province = rng.choice(
        n_prov, size=n_producers, p=_zipf(n_prov, 0.5)[rng.permutation(n_prov)]
    )
    producer_sub = rng.choice(len(subgroup_ids), size=n_producers, p=popularity)
    extra = rng.choice(n_producers, size=n_products - n_producers, p=_zipf(n_producers, 0.5))
    owner = np.sort(np.concatenate((np.arange(n_producers), extra)))
    p_sub = producer_sub[owner].copy()
    # A fifth of listings sit in another subgroup of the same group, a few elsewhere.
    group_first = np.searchsorted(subgroup_group, subgroup_group)
    group_size = np.asarray(GROUP_SUBGROUPS)[subgroup_group - 1]
    switch = np.flatnonzero(rng.random(n_products) < 0.2)
    p_sub[switch] = group_first[p_sub[switch]] + rng.integers(0, group_size[p_sub[switch]])
    elsewhere = rng.random(n_products) < 0.03
    p_sub[elsewhere] = rng.choice(len(subgroup_ids), size=int(elsewhere.sum()), p=popularity)

    p_dim = subgroup_dim[p_sub].copy()
    other_dim = rng.random(n_products) < 0.12
    p_dim[other_dim] = rng.integers(0, 3, int(other_dim.sum()))
    median = np.array([MEDIAN_QUANTITY[MASS], MEDIAN_QUANTITY[VOLUME], MEDIAN_QUANTITY[COUNT]])
    capacity = median[p_dim] * rng.lognormal(0.0, 1.2, n_products)
    capacity[rng.random(n_products) < 0.05] = np.nan
    min_order = median[p_dim] * 0.05 * rng.lognormal(0.0, 1.0, n_products)
    min_order[rng.random(n_products) < 0.35] = np.nan
    stars = rng.choice(np.array([3, 4, 5], np.int8), size=n_products, p=[0.68, 0.27, 0.05])
    held = rng.random((n_products, n_certs)) < cert_freq[None, :]
    certs = _pack(held, words)

    products = Products(
        product_id=rng.permutation(n_products).astype(np.int64) + 1,
        producer_id=owner.astype(np.int64) + 1,
        category_id=subgroup_ids[p_sub],
        group_id=subgroup_group[p_sub],
        province=producer_province[owner].astype(np.int32),
        stars=stars,
        dimension=p_dim,
        capacity=capacity,
        min_order=min_order,
        certs=certs,
    )

    # Needs: same popularity with some noise; 15% ask for a whole group.
    need_pop = popularity * rng.lognormal(0.0, 0.3, len(popularity))
    n_sub = rng.choice(len(subgroup_ids), size=n_needs, p=need_pop / need_pop.sum())
    whole = rng.random(n_needs) < 0.15
    n_group = subgroup_group[n_sub]
    category = np.where(whole, n_group, subgroup_ids[n_sub])
    n_dim = subgroup_dim[n_sub].copy()
    other = rng.random(n_needs) < 0.08
    n_dim[other] = rng.integers(0, 3, int(other.sum()))
    volume = median[n_dim] * 2.0 * rng.lognormal(0.0, 1.3, n_needs)
    volume[rng.random(n_needs) < 0.1] = np.nan
    order_size = volume * rng.uniform(0.1, 1.0, n_needs)
    order_size[rng.random(n_needs) < 0.2] = np.nan
    min_stars = rng.choice(np.array([0, 3, 4, 5], np.int8), size=n_needs, p=[0.5, 0.3, 0.17, 0.03])

    # Wanted provinces: 40% anywhere, 40% a few near the buyer, 20% a whole country.
    buyer = rng.integers(1, n_buyers + 1, n_needs)
    buyer_home = rng.integers(0, n_prov, n_buyers + 1)
    mode = rng.choice(3, size=n_needs, p=[0.4, 0.4, 0.2])
    nearest_first = np.argsort(provinces.distance_km, axis=1)
    wanted: list[list[int]] = []
    for i in range(n_needs):
        home = int(buyer_home[buyer[i]])
        if mode[i] == 0:
            wanted.append([])
        elif mode[i] == 1:
            nearby = nearest_first[home, : int(rng.integers(3, 6))]
            take = min(int(rng.integers(1, 4)), len(nearby))
            wanted.append(sorted(rng.choice(nearby, size=take, replace=False).tolist()))
        else:
            wanted.append(np.flatnonzero(country == country[home]).tolist())
    indptr = np.zeros(n_needs + 1, dtype=np.int64)
    np.cumsum([len(w) for w in wanted], out=indptr[1:])
    indices = np.array([x for w in wanted for x in w], dtype=np.int32)

    # Required and preferred certifications drawn without replacement, common ones more often
    # (Gumbel top-k: sorting log p + Gumbel noise samples without replacement by weight).
    n_req = rng.choice(3, size=n_needs, p=[0.72, 0.23, 0.05])
    n_pref = rng.choice(4, size=n_needs, p=[0.6, 0.2, 0.12, 0.08])
    ranked = np.argsort(-(np.log(cert_freq)[None, :] + rng.gumbel(size=(n_needs, n_certs))), axis=1)
    position = np.empty_like(ranked)
    np.put_along_axis(position, ranked, np.arange(n_certs)[None, :], axis=1)
    required = position < n_req[:, None]
    preferred = (position >= n_req[:, None]) & (position < (n_req + n_pref)[:, None])

    needs = Needs(
        need_id=rng.permutation(n_needs).astype(np.int64) + 1,
        buyer_id=buyer.astype(np.int64),
        category_id=category,
        group_id=n_group,
        whole_group=whole,
        wanted_indptr=indptr,
        wanted_indices=indices,
        required_certs=_pack(required, words),
        preferred_certs=_pack(preferred, words),
        min_stars=min_stars,
        dimension=n_dim,
        volume=volume,
        order_size=order_size,
    )
    return SyntheticData(
        products=products,
        needs=needs,
        provinces=provinces,
        province_country=country,
        latitude=lat,
        longitude=lon,
        subgroup_ids=subgroup_ids,
        subgroup_group=subgroup_group,
        n_certs=n_certs,
    )


def _pack(bits: NDArray[np.bool_], words: int) -> NDArray[np.uint64]:
    """(rows, n_bits) booleans -> (rows, words) uint64 bitsets, bit i in word i // 64."""
    rows, n_bits = bits.shape
    padded = np.zeros((rows, words * 64), dtype=np.uint8)
    padded[:, :n_bits] = bits
    return np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64)
