"""Benchmark the matching pipeline on the configured database at national scale.

    DEBUG=1 python manage.py bench_matching --products 17000 --needs 5000

Synthetic producers, listings (with verified certifications), buyers and needs are written
in bulk (marked "benchmatch:" and reused by later runs with the same sizes), then a full run
goes through the same service steps the Celery chord runs (plan, every chunk, the callback),
an incremental run follows one listing approval, and the straightforward per-pair loop
(`engine.score_one_pair`) is timed on a sample of the same pairs for comparison.
"""

from __future__ import annotations

import datetime as dt
import gc
import resource
import statistics
import time
import tracemalloc
from decimal import Decimal

import numpy as np
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from buyers.models import Buyer, SourcingNeed
from forum_market.celery import app as celery_app
from matching import engine, services
from matching.loaders import needs_load, products_load, vocabulary
from matching.models import MatchRun, Suggestion
from matching.synthetic import GROUP_SUBGROUPS, generate
from producers.models import (
    HeldCertification,
    Producer,
    Product,
    content_language_for_producer,
    product_search_text,
)
from producers.services import product_approve
from taxonomy.models import Category, Certification, Country, Province, Unit

MARK = "benchmatch:"
ORGANISER_EMAIL = "benchmatch-organiser@example.invalid"
DIMENSIONS = {engine.MASS: "mass", engine.VOLUME: "volume", engine.COUNT: "count"}


def _decimal(value: float, places: int = 3) -> Decimal:
    return Decimal(f"{value:.{places}f}")


class Command(BaseCommand):
    help = "Time a full and an incremental matching run on synthetic national-scale data."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=17_000)
        parser.add_argument("--needs", type=int, default=5_000)
        parser.add_argument("--producers", type=int, default=None)
        parser.add_argument("--buyers", type=int, default=1_400)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--chunks", type=int, default=None)
        parser.add_argument("--loop-pairs", type=int, default=100_000)
        parser.add_argument("--fresh", action="store_true", help="Regenerate the data.")

    # --- data ---------------------------------------------------------------------------------

    def _existing(self) -> tuple[int, int]:
        products = Product.objects.filter(producer__import_key__startswith=MARK).count()
        needs = SourcingNeed.objects.filter(buyer__name__startswith=MARK).count()
        return products, needs

    def _clear(self) -> None:
        Suggestion.objects.filter(producer__import_key__startswith=MARK).delete()
        Suggestion.objects.filter(buyer__name__startswith=MARK).delete()
        HeldCertification.objects.filter(product__producer__import_key__startswith=MARK).delete()
        Product.objects.filter(producer__import_key__startswith=MARK).delete()
        Producer.objects.filter(import_key__startswith=MARK).delete()
        SourcingNeed.objects.filter(buyer__name__startswith=MARK).delete()
        Buyer.objects.filter(name__startswith=MARK).delete()

    @transaction.atomic
    def _generate(self, *, products: int, needs: int, producers: int, buyers: int, seed: int):
        data = generate(
            seed,
            n_producers=producers,
            n_products=products,
            n_needs=needs,
            n_buyers=buyers,
        )
        provinces = list(Province.objects.current().order_by("country__code", "code"))
        kh = [p for p in provinces if p.country.code == "KH"]
        vn = [p for p in provinces if p.country.code == "VN"]
        province_of = kh[:25] + vn[:34]
        countries = {c.code: c for c in Country.objects.all()}
        groups = list(Category.objects.filter(parent=None).order_by("position", "code"))
        children = {g.pk: list(g.children.order_by("position", "code")) or [g] for g in groups}
        # Synthetic subgroup s (group g, j-th of its group) -> a real subgroup of group g.
        subgroup_of: dict[int, Category] = {}
        group_of: dict[int, Category] = {}
        s = 0
        for g, count in enumerate(GROUP_SUBGROUPS):
            real_group = groups[g % len(groups)]
            group_of[g + 1] = real_group
            for j in range(count):
                kids = children[real_group.pk]
                subgroup_of[int(data.subgroup_ids[s])] = kids[j % len(kids)]
                s += 1
        certs = list(Certification.objects.order_by("pk"))
        units = {
            dim: Unit.objects.filter(dimension=name, to_base=1).order_by("pk").first()
            for dim, name in DIMENSIONS.items()
        }

        p = data.products
        order = np.argsort(p.product_id)
        owners, first_row = np.unique(p.producer_id, return_index=True)
        producer_rows = Producer.objects.bulk_create(
            [
                Producer(
                    name=f"Benchmark cooperative {int(i)}",
                    kind=Producer.Kind.COOPERATIVE,
                    village="Synthetic",
                    province=province_of[int(p.province[row])],
                    import_key=f"{MARK}{int(i)}",
                )
                for i, row in zip(owners.tolist(), first_row.tolist(), strict=True)
            ],
            batch_size=2000,
        )
        producer_by_id = dict(zip(owners.tolist(), producer_rows, strict=True))
        now = timezone.now()
        product_rows = []
        for row in order.tolist():
            unit = units[int(p.dimension[row])]
            capacity = float(p.capacity[row]) if p.capacity[row] == p.capacity[row] else 0.0
            minimum = float(p.min_order[row]) if p.min_order[row] > 0 else None
            producer = producer_by_id[int(p.producer_id[row])]
            name = f"Benchmark product {int(p.product_id[row])}"
            product_rows.append(
                Product(
                    producer=producer,
                    category=subgroup_of[int(p.category_id[row])],
                    name=name,
                    content_language=content_language_for_producer(producer),
                    unit_of_sale=unit,
                    capacity=_decimal(capacity),
                    capacity_unit=unit,
                    capacity_base=_decimal(capacity, 6),
                    min_order=_decimal(minimum) if minimum else None,
                    min_order_base=_decimal(minimum, 6) if minimum else None,
                    stars=int(p.stars[row]),
                    status=Product.Status.APPROVED,
                    submitted_at=now,
                    reviewed_at=now,
                    search_text=product_search_text(
                        name=name,
                        name_en="",
                        producer_name=producer.name,
                        description="",
                        description_en="",
                    ),
                )
            )
        product_rows = Product.objects.bulk_create(product_rows, batch_size=2000)
        expires = timezone.localdate() + dt.timedelta(days=365)
        held = []
        for row, product in zip(order.tolist(), product_rows, strict=True):
            for cert in {certs[b % len(certs)].pk for b in engine.bitset_indices(p.certs[row])}:
                held.append(
                    HeldCertification(
                        product=product,
                        certification_id=cert,
                        expires_on=expires,
                        evidence="evidence/benchmatch.pdf",
                        verified_at=now,
                    )
                )
        HeldCertification.objects.bulk_create(held, batch_size=5000)

        n = data.needs
        buyer_ids = np.unique(n.buyer_id)
        home = {int(b): province_of[int(b) % len(province_of)] for b in buyer_ids}
        buyer_rows = Buyer.objects.bulk_create(
            [
                Buyer(
                    name=f"{MARK}{int(b)}",
                    kind=Buyer.Kind.DISTRIBUTOR,
                    country=countries[home[int(b)].country.code],
                    province=home[int(b)],
                )
                for b in buyer_ids
            ],
            batch_size=2000,
        )
        buyer_by_id = dict(zip(buyer_ids.tolist(), buyer_rows, strict=True))
        need_order = np.argsort(n.need_id)
        need_rows = []
        for row in need_order.tolist():
            unit = units[int(n.dimension[row])]
            volume = float(n.volume[row]) if n.volume[row] > 0 else 1000.0
            order_size = float(n.order_size[row]) if n.order_size[row] > 0 else None
            category = (
                group_of[int(n.group_id[row])]
                if n.whole_group[row]
                else subgroup_of[int(n.category_id[row])]
            )
            need_rows.append(
                SourcingNeed(
                    buyer=buyer_by_id[int(n.buyer_id[row])],
                    category=category,
                    min_stars=int(n.min_stars[row]),
                    volume=_decimal(volume),
                    unit=unit,
                    volume_base=_decimal(volume, 6),
                    order_size=_decimal(order_size) if order_size else None,
                    order_size_base=_decimal(order_size, 6) if order_size else None,
                    currency="USD",
                )
            )
        need_rows = SourcingNeed.objects.bulk_create(need_rows, batch_size=2000)
        wanted, required, preferred = [], [], []
        through_p = SourcingNeed.provinces.through
        through_r = SourcingNeed.required_certifications.through
        through_f = SourcingNeed.preferred_certifications.through
        for row, need in zip(need_order.tolist(), need_rows, strict=True):
            for idx in {province_of[int(x)].pk for x in n.wanted(row)}:
                wanted.append(through_p(sourcingneed_id=need.pk, province_id=idx))
            req = {certs[b % len(certs)].pk for b in engine.bitset_indices(n.required_certs[row])}
            pref = {
                certs[b % len(certs)].pk for b in engine.bitset_indices(n.preferred_certs[row])
            } - req
            required += [through_r(sourcingneed_id=need.pk, certification_id=c) for c in req]
            preferred += [through_f(sourcingneed_id=need.pk, certification_id=c) for c in pref]
        through_p.objects.bulk_create(wanted, batch_size=5000)
        through_r.objects.bulk_create(required, batch_size=5000)
        through_f.objects.bulk_create(preferred, batch_size=5000)

    # --- measurements -------------------------------------------------------------------------

    def _full_run(self, chunks: int | None) -> tuple[MatchRun, float]:
        run = services.match_run_create(chunks=chunks, send_digests=False)
        started = time.perf_counter()
        run = services.match_run_execute(run_id=run.pk)
        return run, time.perf_counter() - started

    def _incremental(self) -> tuple[float, float, list[float]]:
        """Approve one listing (through the review service, with the signal and the run
        executed in-process); then rescore it again a few times."""
        organiser, _ = User.objects.get_or_create(
            email=ORGANISER_EMAIL, defaults={"role": User.Role.ORGANISER, "is_active": True}
        )
        product = (
            Product.objects.filter(
                producer__import_key__startswith=MARK, category__parent__position=1
            )
            .order_by("pk")
            .first()
        )
        # Withdraw it first (an incremental run removes it from every top k, as after a
        # rejection), so the timed approval adds a listing the suggestions do not know.
        Product.objects.filter(pk=product.pk).update(status=Product.Status.SUBMITTED)
        withdraw = MatchRun.objects.create(
            kind=MatchRun.Kind.INCREMENTAL,
            subject={"product": product.pk},
            weights=services.weights_for().snapshot(),
            send_digests=False,
        )
        services.match_run_incremental(run_id=withdraw.pk)
        # In-process whatever the environment says (Django's CELERY_* names win in the conf).
        conf = celery_app.conf
        eager = conf.get("CELERY_TASK_ALWAYS_EAGER")
        conf["CELERY_TASK_ALWAYS_EAGER"] = True
        try:
            before = MatchRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            started = time.perf_counter()
            with transaction.atomic():
                product_approve(product=product, reviewer=organiser)
            approval = time.perf_counter() - started
        finally:
            conf["CELERY_TASK_ALWAYS_EAGER"] = eager
        run = MatchRun.objects.filter(pk__gt=before, kind=MatchRun.Kind.INCREMENTAL).first()
        run_wall = run.wall_s if run is not None and run.wall_s is not None else float("nan")
        again = []
        for _ in range(5):
            rerun = MatchRun.objects.create(
                kind=MatchRun.Kind.INCREMENTAL,
                subject={"product": product.pk},
                weights=run.weights,
                send_digests=False,
            )
            t = time.perf_counter()
            services.match_run_incremental(run_id=rerun.pk)
            again.append(time.perf_counter() - t)
        return approval, run_wall, again

    def _loop_rate(self, pairs: int, seed: int) -> tuple[float, int]:
        """Pairs per second of the per-pair reference loop, on same-group pairs."""
        vocab = vocabulary()
        products = products_load(vocab=vocab)
        needs = needs_load(vocab=vocab)
        weights = engine.Weights()
        rng = np.random.default_rng(seed)
        need_rows = rng.integers(0, len(needs), pairs)
        groups = needs.group_id[need_rows]
        by_group = {g: np.flatnonzero(products.group_id == g) for g in np.unique(groups).tolist()}
        product_rows = np.array(
            [rng.choice(by_group[g]) if len(by_group[g]) else -1 for g in groups.tolist()]
        )
        keep = product_rows >= 0
        product_records = {r: products.record(r) for r in np.unique(product_rows[keep]).tolist()}
        need_records = {r: needs.record(r) for r in np.unique(need_rows[keep]).tolist()}
        sample = [
            (product_records[p], need_records[n])
            for p, n in zip(product_rows[keep].tolist(), need_rows[keep].tolist(), strict=True)
        ]
        distance = vocab.provinces.distance_km
        started = time.perf_counter()
        for product, need in sample:
            engine.score_one_pair(product, need, distance, weights)
        return len(sample) / (time.perf_counter() - started), len(sample)

    def handle(self, *args, **options):
        out = self.stdout.write
        products, needs = options["products"], options["needs"]
        producers = options["producers"] or max(1, round(products * 9300 / 17000))
        buyers = min(options["buyers"], needs)
        if options["fresh"] or self._existing() != (products, needs):
            t = time.perf_counter()
            self._clear()
            self._generate(
                products=products,
                needs=needs,
                producers=producers,
                buyers=buyers,
                seed=options["seed"],
            )
            out(f"generated {products} products, {needs} needs in {time.perf_counter() - t:.1f} s")
            if connection.vendor == "postgresql":
                # What autovacuum does to freshly loaded tables within a minute: statistics
                # and visibility maps, without which the first run measures the load instead.
                t = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
                out(f"settled (VACUUM ANALYZE) in {time.perf_counter() - t:.1f} s")
        else:
            out(f"reusing {products} products, {needs} needs (pass --fresh to regenerate)")
        out(
            f"database: {Product.objects.approved().count()} approved products, "
            f"{SourcingNeed.objects.open().count()} open needs in total"
        )

        walls = []
        for label in ("first", "second"):
            gc.collect()
            run, wall = self._full_run(options["chunks"])
            walls.append(wall)
            rate = run.pairs_considered / run.score_s if run.score_s else float("nan")
            out(
                f"full run ({label}): {wall:.2f} s wall = load {run.load_s:.2f} + "
                f"score {run.score_s:.2f} + write {run.write_s:.2f} s; "
                f"{run.chunks_total} chunks; {run.pairs_considered:,} pairs considered, "
                f"{run.pairs_passed:,} passed, {run.suggestions_written:,} suggestions; "
                f"{rate:,.0f} pairs/s scored, {run.pairs_considered / wall:,.0f} pairs/s overall"
            )

        gc.collect()
        tracemalloc.start()
        self._full_run(options["chunks"])
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out(
            f"peak memory: tracemalloc {peak / 2**20:.0f} MiB (third run), "
            f"ru_maxrss {maxrss:.0f} MiB"
        )

        approval, run_wall, again = self._incremental()
        out(
            f"incremental (one approval): run {run_wall * 1000:.0f} ms; approval call incl. run "
            f"{approval * 1000:.0f} ms; rescoring it again: median "
            f"{statistics.median(again) * 1000:.0f} ms (min {min(again) * 1000:.0f})"
        )

        loop_rate, sampled = self._loop_rate(options["loop_pairs"], options["seed"])
        last = MatchRun.objects.filter(kind=MatchRun.Kind.FULL, status="done").first()
        vector_rate = last.pairs_considered / last.score_s
        overall = last.pairs_considered / min(walls)
        out(
            f"per-pair loop: {loop_rate:,.0f} pairs/s on {sampled:,} pairs; vectorised scoring is "
            f"{vector_rate / loop_rate:,.0f}x faster ({overall / loop_rate:,.0f}x counting "
            f"loading and writing)"
        )
