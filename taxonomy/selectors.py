"""Reads of the shared vocabulary that views, imports and the matching loaders share, and the
lookups that turn what people type in spreadsheets (any language, with or without accents)
into a province or a unit."""

import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable

from django.db import connections, router, transaction
from django.db.models import Prefetch, QuerySet
from django.db.models.signals import post_delete, post_migrate, post_save

from taxonomy.data import provinces_kh, provinces_vn
from taxonomy.models import Category, Certification, Country, Province, Unit

# Vietnamese accents decompose (NFKD) into marks of this block. Only these are stripped:
# Khmer vowel signs are combining marks too, and stripping them would merge names.
_LATIN_MARKS = re.compile("[\u0300-\u036f]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")  # zero-width, common in Khmer
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_.,;:()/'\"\u2019]+")
# Subscript ta and subscript da look the same in Khmer and are written either way (កណ្តាល).
_KHMER_COENG_TA, _KHMER_COENG_DA = "\u17d2\u178f", "\u17d2\u178a"

# Words around a province name. Latin ones must stand alone; Khmer is written unspaced.
_PROVINCE_PREFIXES = ("Thành phố", "Tỉnh", "TP", "T.P", "Province", "Province of", "City of")
_PROVINCE_SUFFIXES = ("Province", "City", "Municipality", "Capital")
_KHMER_PREFIXES = ("រាជធានី", "ទីក្រុង", "ខេត្ត", "ក្រុង")

_ALIASES: dict[str, tuple[str, ...]] = {**provinces_kh.ALIASES, **provinces_vn.ALIASES}


def _fold(text: str, *, keep_accents: bool) -> str:
    """Case-fold, unify separators and Khmer spelling variants; optionally drop accents."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    text = text.replace(_KHMER_COENG_TA, _KHMER_COENG_DA)
    if not keep_accents:
        text = unicodedata.normalize("NFKD", text.replace("đ", "d"))
        text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", text))
    return _SEPARATORS.sub(" ", text).strip()


def _affixes(keep_accents: bool) -> tuple[list[str], list[str], list[str]]:
    prefixes = sorted((_fold(p, keep_accents=keep_accents) for p in _PROVINCE_PREFIXES), key=len)
    suffixes = [_fold(s, keep_accents=keep_accents) for s in _PROVINCE_SUFFIXES]
    khmer = [_fold(p, keep_accents=keep_accents) for p in _KHMER_PREFIXES]
    return prefixes[::-1], suffixes, khmer


_AFFIXES = {keep_accents: _affixes(keep_accents) for keep_accents in (True, False)}


def _strip_affixes(folded: str, *, keep_accents: bool) -> str:
    """Drop "Tỉnh", "TP.", "Province", "ខេត្ត"... from an already folded name."""
    prefixes, suffixes, khmer_prefixes = _AFFIXES[keep_accents]
    changed = True
    while changed:
        changed = False
        for prefix in prefixes:
            if folded.startswith(prefix + " "):
                folded, changed = folded[len(prefix) + 1 :], True
        for suffix in suffixes:
            if folded.endswith(" " + suffix):
                folded, changed = folded[: -len(suffix) - 1], True
        for prefix in khmer_prefixes:
            if folded.startswith(prefix) and len(folded) > len(prefix):
                folded, changed = folded[len(prefix) :].lstrip(), True
    return folded


def _keys(text: str, *, keep_accents: bool, province: bool = False) -> set[str]:
    folded = _fold(text, keep_accents=keep_accents)
    if province:
        folded = _strip_affixes(folded, keep_accents=keep_accents)
    # "Ha Noi" and "Hanoi", "Siem Reap" and "Siemreap" are the same place.
    return {folded.replace(" ", "")} if folded else set()


def provinces_current(*, country_code: str | None = None) -> QuerySet[Province]:
    """Provinces in force today (Vietnam's 34 since July 2025, Cambodia's 25)."""
    provinces = Province.objects.current().select_related("country")
    if country_code:
        provinces = provinces.filter(country__code=country_code.upper())
    return provinces


def categories_tree() -> list[Category]:
    """The OCOP groups in order, each with its subgroups prefetched as `children`."""
    children = Prefetch("children", queryset=Category.objects.order_by("position", "code"))
    return list(
        Category.objects.filter(parent__isnull=True)
        .order_by("position", "code")
        .prefetch_related(children)
    )


# --- Reference rows, cached per process -------------------------------------------------------
# The catalogue's filter form shows every category, current province, certification and unit
# on every page, and checks codes against them. They change only through migrations and the
# admin, so each process keeps one copy for a short while rather than reading four tables per
# page. An admin save or delete in this process, a migration or a flush (post_migrate) drops
# the copy at once; other processes (other workers) see the change within REFERENCE_ROWS_TTL.
#
# Only rows read outside a transaction are kept, and a read inside one never uses the copy:
# uncommitted rows must not outlive a rollback, nor a transaction miss its own changes (tests
# run inside transactions, so they read the tables each time, as before).
# The rows are shared between requests and threads: read them, never change them.

REFERENCE_ROWS_TTL = 60.0  # seconds

REFERENCE_ROWS: dict[str, Callable[[], QuerySet]] = {
    "category": lambda: Category.objects.order_by("position", "code"),
    "province": lambda: (
        Province.objects.current().select_related("country").order_by("country__code", "name_en")
    ),
    "certification": lambda: Certification.objects.order_by("kind", "code"),
    "unit": lambda: Unit.objects.order_by("dimension", "to_base"),
}
_REFERENCE_MODEL = {
    "category": Category,
    "province": Province,
    "certification": Certification,
    "unit": Unit,
}
_REFERENCE_MODELS = (Country, Province, Category, Certification, Unit)  # changes to forget

_cached_rows: dict[tuple[str, str], tuple[float, tuple]] = {}
_cached_rows_lock = threading.Lock()
_cached_rows_generation = 0


def _cache_key(taxonomy: str) -> tuple[str, str] | None:
    """Where the rows of `taxonomy` are kept; None inside a transaction (nothing kept)."""
    alias = router.db_for_read(_REFERENCE_MODEL[taxonomy])
    return None if connections[alias].in_atomic_block else (alias, taxonomy)


def reference_rows(taxonomy: str) -> tuple:
    """Every row of one taxonomy, in the order the filter form lists them: "category" (all,
    groups and subgroups), "province" (current ones, with their country), "certification"
    or "unit". Read once a minute per process, or at once after a change (see above)."""
    key = _cache_key(taxonomy)
    if key is None:
        return tuple(REFERENCE_ROWS[taxonomy]())
    now = time.monotonic()
    cached = _cached_rows.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    generation = _cached_rows_generation
    rows = tuple(REFERENCE_ROWS[taxonomy]().using(key[0]))
    with _cached_rows_lock:
        # A change while the rows were read: use them for this page, but keep none.
        if generation == _cached_rows_generation:
            _cached_rows[key] = (now + REFERENCE_ROWS_TTL, rows)
    return rows


def reference_rows_cached(taxonomy: str) -> tuple | None:
    """The rows reference_rows would give without reading them, if this process has them
    (and would use them: outside a transaction); else None, and nothing is read."""
    key = _cache_key(taxonomy)
    cached = _cached_rows.get(key) if key is not None else None
    if cached is None or cached[0] <= time.monotonic():
        return None
    return cached[1]


def reference_rows_forget(**kwargs) -> None:
    """Drop the cached reference rows of this process."""
    global _cached_rows_generation
    with _cached_rows_lock:
        _cached_rows_generation += 1
        _cached_rows.clear()


def _reference_row_changed(sender, using: str = "default", **kwargs) -> None:
    reference_rows_forget()
    # Another request may read the old rows again before the change commits: forget then too.
    transaction.on_commit(reference_rows_forget, using=using)


for _model in _REFERENCE_MODELS:
    for _signal in (post_save, post_delete):
        _signal.connect(_reference_row_changed, sender=_model, dispatch_uid="reference-rows")
post_migrate.connect(reference_rows_forget, dispatch_uid="reference-rows")


class ProvinceIndex:
    """All provinces in memory, for resolving many spreadsheet rows with one query."""

    def __init__(self, provinces: Iterable[Province] | None = None) -> None:
        if provinces is None:
            provinces = Province.objects.select_related("country")
        self._by_id: dict[int, Province] = {p.pk: p for p in provinces}
        self._by_code = {p.code.casefold(): p for p in self._by_id.values()}
        self._by_key: tuple[dict[str, set[int]], dict[str, set[int]]] = ({}, {})
        for province in self._by_id.values():
            names = (province.name_en, province.name_km, province.name_vi)
            for text in (*names, *_ALIASES.get(province.code, ())):
                if not text:
                    continue
                for tier, keep_accents in enumerate((True, False)):
                    for key in _keys(text, keep_accents=keep_accents, province=True):
                        self._by_key[tier].setdefault(key, set()).add(province.pk)

    def successor(self, province: Province) -> Province:
        """The unit in force today that `province` is now part of (itself if current)."""
        seen = set()
        while province.merged_into_id and province.pk not in seen:
            seen.add(province.pk)
            province = self._by_id[province.merged_into_id]
        return province

    def resolve(self, name_or_code: str) -> tuple[Province | None, Province | None]:
        """(current province, former unit the text named or None); (None, None) if unknown
        or ambiguous."""
        text = (name_or_code or "").strip()
        if not text:
            return None, None
        by_code = self._by_code.get(text.casefold())
        if by_code is not None:
            return self._pair(by_code)
        for tier, keep_accents in enumerate((True, False)):
            ids = set().union(
                *(
                    self._by_key[tier].get(key, set())
                    for key in _keys(text, keep_accents=keep_accents, province=True)
                )
            )
            if ids:
                return self._choose([self._by_id[pk] for pk in ids])
        return None, None

    def _pair(self, province: Province) -> tuple[Province, Province | None]:
        current = self.successor(province)
        return current, (None if current.pk == province.pk else province)

    def _choose(self, matches: list[Province]) -> tuple[Province | None, Province | None]:
        # A name that is still in force wins: "An Giang" is the new An Giang, not the old one.
        in_force = {p.pk: p for p in matches if self.successor(p).pk == p.pk}
        if len(in_force) == 1:
            return next(iter(in_force.values())), None
        if in_force:
            return None, None
        successors = {self.successor(p).pk for p in matches}
        if len(successors) != 1:
            return None, None
        if len(matches) == 1:
            return self._pair(matches[0])
        return self._by_id[successors.pop()], None


def province_resolve(name_or_code: str) -> tuple[Province | None, Province | None]:
    """Find a province by code or by any of its names, in any language, ignoring case and
    accents and words such as "Tỉnh", "TP.", "Province" or "ខេត្ត".

    Returns (current province, former unit or None): "Kien Giang" gives (An Giang, Kiên
    Giang), so an import can say that Kiên Giang has been part of An Giang since 2025.
    For many rows, build one ProvinceIndex and call its `resolve`.
    """
    return ProvinceIndex().resolve(name_or_code)


class UnitIndex:
    """All units in memory, for resolving many spreadsheet rows with one query."""

    def __init__(self, units: Iterable[Unit] | None = None) -> None:
        self._by_key: tuple[dict[str, set[Unit]], dict[str, set[Unit]]] = ({}, {})
        for unit in Unit.objects.all() if units is None else units:
            texts = [unit.code, unit.symbol, unit.name_en, unit.name_km, unit.name_vi]
            texts += unit.aliases.splitlines()
            for text in filter(None, (t.strip() for t in texts)):
                for tier, keep_accents in enumerate((True, False)):
                    for key in _keys(text, keep_accents=keep_accents):
                        self._by_key[tier].setdefault(key, set()).add(unit)

    def resolve(self, text: str) -> Unit | None:
        """The unit `text` names, trying an exact spelling before an accent-blind one;
        None if unknown or ambiguous ("ta" could be tạ, 100 kg, or tá, a dozen)."""
        for tier, keep_accents in enumerate((True, False)):
            units = set().union(
                *(
                    self._by_key[tier].get(key, set())
                    for key in _keys(text or "", keep_accents=keep_accents)
                )
            )
            if units:
                return units.pop() if len(units) == 1 else None
        return None


def unit_resolve(text: str) -> Unit | None:
    """Find a unit by code, symbol, name or alias in any language ("tấn", "kg", "គីឡូ"),
    ignoring case and, when nothing matches exactly, accents."""
    return UnitIndex().resolve(text)
