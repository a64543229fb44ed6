"""Benchmark catalogue search on a realistic catalogue: `manage.py bench_search`.

Loads 17,000 approved listings from about 9,300 producers (once: they are found again by
the `bench:` import key of their producers), with Vietnamese, Khmer and English names over
the real categories and provinces, then times a fixed set of catalogue searches through the
real URL, view and FilterSet with Django's test client, counting SQL queries per page.
Then it checks that the queries per page do not depend on the page size: each search again
with pages of 24 listings (the page's own size) and of 96 (the same rows further on: page
numbers scaled), and through the API (/api/v1/catalogue/) with pages of 10 and of 100.

    DATABASE_URL=postgres://... manage.py bench_search [--products 17000] [--repeat 20]
    manage.py bench_search --drop      # delete the bench rows

Goal on PostgreSQL: p95 of 50 ms or less per search, and at most 8 queries per page.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import statistics
import time
from decimal import Decimal
from unittest import mock
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from producers import views
from producers.models import (
    ALL_MONTHS_MASK,
    HeldCertification,
    Producer,
    Product,
    ProductPhoto,
    content_language_for_producer,
    product_search_text,
)
from taxonomy.models import Category, Certification, Currency, Province, Unit

MARKER = "bench:"
PRODUCERS_PER_PRODUCT = 9300 / 17000

# category code, Vietnamese, Khmer, English, capacity dimension
ITEMS = [
    ("G1.4b", "Tiêu đen", "ម្រេចខ្មៅ", "black pepper", "mass"),
    ("G1.4b", "Tiêu đỏ", "ម្រេចក្រហម", "red pepper", "mass"),
    ("G1.4b", "Muối biển", "អំបិលសមុទ្រ", "sea salt", "mass"),
    ("G1.4b", "Tỏi", "ខ្ទឹមស", "garlic", "mass"),
    ("G1.4b", "Ớt bột", "ម្ទេសម៉ត់", "chilli powder", "mass"),
    ("G1.4a", "Nước mắm", "ទឹកត្រី", "fish sauce", "volume"),
    ("G1.4a", "Tương ớt", "ទឹកម្ទេស", "chilli sauce", "volume"),
    ("G1.4a", "Nước tương", "ទឹកស៊ីអ៊ីវ", "soy sauce", "volume"),
    ("G1.4a", "Mắm tôm", "កាពិ", "shrimp paste", "mass"),
    ("G1.2b", "Đường thốt nốt", "ស្ករត្នោត", "palm sugar", "mass"),
    ("G1.2b", "Mật ong rừng", "ទឹកឃ្មុំព្រៃ", "wild honey", "volume"),
    ("G1.2a", "Gạo thơm", "អង្ករក្រអូប", "fragrant rice", "mass"),
    ("G1.2a", "Gạo lứt", "អង្ករសម្រូប", "brown rice", "mass"),
    ("G1.2a", "Gạo nếp", "អង្ករដំណើប", "sticky rice", "mass"),
    ("G1.3c", "Xoài sấy dẻo", "ស្វាយក្រៀម", "dried mango", "mass"),
    ("G1.3c", "Chuối sấy", "ចេកក្រៀម", "dried banana", "mass"),
    ("G1.3c", "Hạt điều rang muối", "គ្រាប់ស្វាយចន្ទីលីង", "roasted cashew nuts", "mass"),
    ("G1.1a", "Bưởi da xanh", "ក្រូចថ្លុង", "pomelo", "count"),
    ("G1.1a", "Sầu riêng", "ធុរេន", "durian", "count"),
    ("G1.3d", "Khô cá lóc", "ត្រីងៀត", "dried snakehead fish", "mass"),
    ("G1.3d", "Lạp xưởng", "សាច់ក្រក", "sausage", "mass"),
    ("G1.3d", "Chả cá", "ប្រហិតត្រី", "fish cake", "mass"),
    ("G1.5a", "Chè xanh", "តែបៃតង", "green tea", "mass"),
    ("G1.5a", "Trà ô long", "តែអូឡុង", "oolong tea", "mass"),
    ("G1.5b", "Trà gừng", "តែខ្ញី", "ginger tea", "mass"),
    ("G1.6", "Cà phê Robusta", "កាហ្វេរ៉ូប៊ូស្តា", "robusta coffee", "mass"),
    ("G1.6", "Cà phê Arabica", "កាហ្វេអារ៉ាប៊ីកា", "arabica coffee", "mass"),
    ("G1.6", "Ca cao", "កាកាវ", "cocoa beans", "mass"),
    ("G2.1a", "Rượu nếp", "ស្រាអង្ករដំណើប", "sticky rice wine", "volume"),
    ("G2.1b", "Rượu cần", "ស្រាត្រាំ", "jar rice wine", "volume"),
    ("G2.2b", "Nước dừa", "ទឹកដូង", "coconut water", "volume"),
    ("G2.2b", "Nước mía", "ទឹកអំពៅ", "sugarcane juice", "volume"),
    ("G3.3", "Tinh dầu sả", "ប្រេងស្លឹកគ្រៃ", "lemongrass oil", "volume"),
    ("G3.2", "Xà phòng nghệ", "សាប៊ូរមៀត", "turmeric soap", "count"),
    ("G3.1", "Tinh bột nghệ", "ម្សៅរមៀត", "turmeric powder", "mass"),
    ("G4.2", "Khăn lụa tơ tằm", "ក្រមាសូត្រ", "silk scarf", "count"),
    ("G4.2", "Vải thổ cẩm", "សំពត់ហូល", "brocade cloth", "count"),
    ("G4.1", "Giỏ mây tre đan", "កន្ត្រកឫស្សី", "bamboo basket", "count"),
    ("G4.1", "Chiếu cói", "កន្ទេល", "sedge mat", "count"),
    ("G5.1", "Hoa lan", "ផ្កាអ័រគីដេ", "orchids", "count"),
]
VN_PLACES = [
    ("Phú Quốc", "Phu Quoc"),
    ("Cà Mau", "Ca Mau"),
    ("Bến Tre", "Ben Tre"),
    ("Đắk Lắk", "Dak Lak"),
    ("Thái Nguyên", "Thai Nguyen"),
    ("Hà Giang", "Ha Giang"),
    ("Lâm Đồng", "Lam Dong"),
    ("Sóc Trăng", "Soc Trang"),
    ("An Giang", "An Giang"),
    ("Lý Sơn", "Ly Son"),
    ("Cao Bằng", "Cao Bang"),
    ("Điện Biên", "Dien Bien"),
]
VN_QUALITIES = [
    ("hữu cơ", "organic"),
    ("đặc biệt", "special"),
    ("loại 1", "grade 1"),
    ("truyền thống", "traditional"),
    ("nguyên chất", "pure"),
    ("", ""),
    ("", ""),
]
KH_PLACES = [
    ("កំពត", "Kampot"),
    ("កែប", "Kep"),
    ("តាកែវ", "Takeo"),
    ("សៀមរាប", "Siem Reap"),
    ("បាត់ដំបង", "Battambang"),
    ("កំពង់ស្ពឺ", "Kampong Speu"),
    ("មណ្ឌលគិរី", "Mondulkiri"),
    ("រតនគិរី", "Ratanakiri"),
    ("ព្រៃវែង", "Prey Veng"),
    ("ពោធិ៍សាត់", "Pursat"),
]
KH_QUALITIES = [
    ("សរីរាង្គ", "organic"),
    ("ពិសេស", "special"),
    ("ធម្មជាតិ", "natural"),
    ("ប្រពៃណី", "traditional"),
    ("", ""),
    ("", ""),
]
VN_SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ"]
KH_VILLAGES = ["ត្រពាំងរពៅ", "ព្រែកតាកុង", "ស្វាយរៀង", "ដូនកែវ", "ភូមិថ្មី", "កោះស្លា"]
STARS = [0] * 8 + [3] * 6 + [4] * 4 + [5] * 2
CAPACITY_UNITS = {"mass": ["kg", "kg", "kg", "t", "quintal"], "volume": ["L"], "count": ["piece"]}
CAPACITY_RANGE = {"kg": (50, 20000), "t": (1, 60), "quintal": (5, 200), "L": (100, 20000)}
CAPACITY_RANGE["piece"] = (50, 10000)

# name, query parameters: text with filters, accent-free Vietnamese, a Khmer substring,
# filters only, sort by capacity and a deep page.
SEARCHES = [
    ("text + category + stars", {"q": "pepper", "category": "G1", "min_stars": "3"}),
    ("text + province + stars", {"q": "rice", "province": "KH-7", "min_stars": "3"}),
    ("nuoc mam (no accents)", {"q": "nuoc mam"}),
    ("duong thot not (đ)", {"q": "duong thot not"}),
    ("khmer substring ម្រេច", {"q": "ម្រេច"}),
    ("short words: ca phe", {"q": "ca phe"}),
    ("filters only", {"category": "G1", "province": "KH-7", "min_stars": "3"}),
    ("capacity >= 2 t", {"min_capacity": "2", "capacity_unit": "t", "category": "G1.2a"}),
    ("price USD 5-20", {"currency": "USD", "min_price": "5", "max_price": "20"}),
    ("sort by capacity", {"sort": "capacity"}),
    ("certification, by capacity", {"certification": "VIETGAP", "sort": "capacity"}),
    ("no filters, newest", {}),
    ("deep page 500", {"page": "500"}),
    ("text, deep page", {"q": "gao", "page": "30"}),
]


# The "17,000 products" line of the catalogue page.
RESULTS = re.compile(r'<p class="muted">\s*([\d,.\s]+?)\s+products?\s*</p>')
# Page sizes whose queries per page must be the same: the catalogue page's own (the timed
# one) and four times it; the API's page_size parameter.
PAGE_SIZES = (views.CATALOGUE_PAGE_SIZE, 4 * views.CATALOGUE_PAGE_SIZE)
API_PAGE_SIZES = (10, 100)
API_URL = "/api/v1/catalogue/"
MAX_QUERIES = 8


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Time catalogue searches on 17,000 generated approved listings."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=17000)
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--drop", action="store_true", help="Delete the bench rows and stop.")
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, products: int, repeat: int, drop: bool, seed: int, **options):
        if drop:
            self.drop()
            return
        if products < 1 or repeat < 1:
            raise CommandError("--products and --repeat must be at least 1.")
        existing = Product.objects.filter(producer__import_key__startswith=MARKER).count()
        if existing != products:
            if existing:
                self.stdout.write(f"Replacing {existing} bench listings.")
                self.drop()
            started = time.perf_counter()
            self.load(products, random.Random(seed))
            self.stdout.write(
                f"Loaded {products} listings in {time.perf_counter() - started:.1f} s."
            )
        else:
            self.stdout.write(f"Reusing {existing} bench listings.")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # As autovacuum would have by now: planner statistics and the visibility map
                # (which lets counts and deep pages read the indexes alone).
                cursor.execute("VACUUM ANALYZE producers_product, producers_producer")
        self.run(repeat)

    # --- Data -----------------------------------------------------------------------------

    def drop(self):
        # Raw deletes: the bench rows have no signals or files worth collecting, and the
        # collector would also visit every model that points at a producer.
        started = time.perf_counter()
        bench = Product.objects.filter(producer__import_key__startswith=MARKER)
        try:
            with transaction.atomic():
                ProductPhoto.objects.filter(product__in=bench)._raw_delete(connection.alias)
                HeldCertification.objects.filter(product__in=bench)._raw_delete(connection.alias)
                bench._raw_delete(connection.alias)
                Producer.objects.filter(import_key__startswith=MARKER)._raw_delete(connection.alias)
        except IntegrityError as exc:
            raise CommandError(
                f"Other rows (meetings, suggestions...) point at bench listings: {exc}"
            ) from exc
        self.stdout.write(f"Deleted the bench rows in {time.perf_counter() - started:.1f} s.")

    @transaction.atomic
    def load(self, count: int, rng: random.Random):
        provinces = {
            code: list(Province.objects.current().filter(country__code=code))
            for code in ("KH", "VN")
        }
        if not provinces["KH"] or not provinces["VN"]:
            raise CommandError("Taxonomy rows are missing: run migrate first.")
        categories = {category.code: category for category in Category.objects.all()}
        units = {unit.code: unit for unit in Unit.objects.all()}
        certifications = list(Certification.objects.all())
        items = [item for item in ITEMS if item[0] in categories]

        producer_count = max(1, round(count * PRODUCERS_PER_PRODUCT))
        producers = []
        for n in range(producer_count):
            country = rng.choice(("KH", "VN"))
            province = rng.choice(provinces[country])
            if country == "VN":
                place = rng.choice(VN_PLACES)[0]
                name = rng.choice(
                    [
                        f"HTX Nông nghiệp {place} {n}",
                        f"Cơ sở {rng.choice(VN_SURNAMES)} {place} {n}",
                        f"Công ty TNHH Đặc sản {place} {n}",
                    ]
                )
                village = f"Xã {place}"
            else:
                place = rng.choice(KH_PLACES)[0]
                name = rng.choice(
                    [
                        f"សហគមន៍កសិកម្ម{place} {n}",
                        f"{place} Farmers Cooperative {n}",
                        f"ក្រុមគ្រួសារ{rng.choice(KH_VILLAGES)} {n}",
                    ]
                )
                village = f"ភូមិ{rng.choice(KH_VILLAGES)}"
            producers.append(
                Producer(
                    name=name,
                    kind=rng.choice(Producer.Kind.values),
                    village=village,
                    province=province,
                    import_key=f"{MARKER}{n}",
                )
            )
        Producer.objects.bulk_create(producers, batch_size=2000)
        producers = list(
            Producer.objects.filter(import_key__startswith=MARKER).select_related(
                "province__country"
            )
        )

        now = timezone.now()
        listings = []
        for n in range(count):
            producer = producers[n] if n < len(producers) else rng.choice(producers)
            listings.append(self.listing(rng, producer, rng.choice(items), categories, units, now))
        created_at = Product._meta.get_field("created_at")
        created_at.auto_now_add = False  # keep the spread-out dates made above
        try:
            Product.objects.bulk_create(listings, batch_size=2000)
        finally:
            created_at.auto_now_add = True

        photos, held = [], []
        today = timezone.localdate()
        for product in Product.objects.filter(producer__import_key__startswith=MARKER).only(
            "pk", "category_id"
        ):
            for position in range(rng.choice((1, 1, 2, 3))):
                photos.append(
                    ProductPhoto(
                        product_id=product.pk,
                        image=f"bench/{product.category_id}/{rng.randrange(500)}.jpg",
                        position=position,
                    )
                )
            if rng.random() < 0.25:
                for certification in rng.sample(certifications, rng.choice((1, 1, 2))):
                    verified = rng.random() < 0.8
                    held.append(
                        HeldCertification(
                            product_id=product.pk,
                            certification=certification,
                            expires_on=today + dt.timedelta(days=rng.randint(-90, 900)),
                            evidence="bench/evidence.pdf",
                            verified_at=now if verified else None,
                        )
                    )
        ProductPhoto.objects.bulk_create(photos, batch_size=5000)
        HeldCertification.objects.bulk_create(held, batch_size=5000)

    def listing(self, rng, producer, item, categories, units, now) -> Product:
        code, vietnamese, khmer, english, dimension = item
        if producer.province.country.code == "VN":
            place, place_en = rng.choice(VN_PLACES)
            quality, quality_en = rng.choice(VN_QUALITIES)
            name = " ".join(part for part in (vietnamese, place, quality) if part)
            description = (
                f"{vietnamese} {quality} của {producer.name}, sản xuất tại {place}. "
                f"Đóng gói theo yêu cầu, giao hàng toàn quốc. Sản phẩm OCOP."
            )
            currency = Currency.VND
            price = Decimal(rng.randrange(20, 900) * 1000)
        else:
            place, place_en = rng.choice(KH_PLACES)
            quality, quality_en = rng.choice(KH_QUALITIES)
            name = f"{khmer}{place}{quality}"
            description = f"{khmer}{quality} ផលិតនៅខេត្ត{place} ដោយ{producer.name}។ វេចខ្ចប់តាមតម្រូវការ។"
            currency = rng.choice((Currency.USD, Currency.KHR))
            price = (
                Decimal(rng.randrange(100, 6000)) / 100
                if currency == Currency.USD
                else Decimal(rng.randrange(4, 240) * 1000)
            )
        has_english = rng.random() < 0.7
        name_en = " ".join(p for p in (quality_en, place_en, english) if p) if has_english else ""
        description_en = (
            f"{english.capitalize()} from {place_en}, made by a village producer; packed to order."
            if has_english
            else ""
        )
        unit = units[rng.choice(CAPACITY_UNITS[dimension])]
        low, high = CAPACITY_RANGE[unit.code]
        capacity = Decimal(rng.randint(low, high))
        sale_unit = units["kg"] if dimension == "mass" else unit
        price_min, price_max = None, None
        if rng.random() < 0.8:
            price_min, price_max = price, (price * Decimal("1.3")).quantize(Decimal("0.01"))
        created = now - dt.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        return Product(
            producer=producer,
            category=categories[code],
            name=name,
            content_language=content_language_for_producer(producer),
            description=description,
            name_en=name_en,
            description_en=description_en,
            unit_of_sale=sale_unit,
            capacity=capacity,
            capacity_unit=unit,
            capacity_base=capacity * unit.to_base,
            min_order=Decimal(rng.choice((1, 5, 10, 50))),
            min_order_base=Decimal(rng.choice((1, 5, 10, 50))) * sale_unit.to_base,
            price_min=price_min,
            price_max=price_max,
            currency=currency,
            stars=rng.choice(STARS),
            months_mask=ALL_MONTHS_MASK,
            status=Product.Status.APPROVED,
            submitted_at=created,
            reviewed_at=created,
            created_at=created,
            search_text=product_search_text(
                name=name,
                name_en=name_en,
                producer_name=producer.name,
                description=description,
                description_en=description_en,
            ),
        )

    # --- Searches -------------------------------------------------------------------------

    def run(self, repeat: int):
        client = Client(HTTP_HOST="localhost")
        url = reverse("catalogue:list")
        for _name, params in SEARCHES:  # warm up: connections, caches, templates
            client.get(url, params)

        load_before = os.getloadavg()[0]
        times = {name: [] for name, _params in SEARCHES}
        sql_times = {name: [] for name, _params in SEARCHES}
        cpu_times = {name: [] for name, _params in SEARCHES}
        queries = {name: set() for name, _params in SEARCHES}
        results = {}
        # Round after round of every search, so that noise from other work on the machine
        # falls on all of them alike.
        for _round in range(repeat):
            for name, params in SEARCHES:
                with CaptureQueriesContext(connection) as captured:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    response = client.get(url, params)
                    times[name].append((time.perf_counter() - started) * 1000)
                    cpu_times[name].append((time.process_time() - cpu_started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{name}: HTTP {response.status_code} for {params}")
                queries[name].add(len(captured))
                sql_times[name].append(
                    sum(float(query["time"]) for query in captured.captured_queries) * 1000
                )
                found = RESULTS.search(response.content.decode())
                results[name] = found.group(1) if found else "?"

        self.stdout.write(
            f"\n{'search':<28} {'results':>7} {'p50 ms':>7} {'p95 ms':>7} {'sql p50':>7} "
            f"{'cpu p50':>7} {'queries':>7}"
        )
        for name, params in SEARCHES:
            shown = "/".join(str(n) for n in sorted(queries[name]))
            self.stdout.write(
                f"{name:<28} {results[name]:>7} {statistics.median(times[name]):>7.1f} "
                f"{percentile(times[name], 0.95):>7.1f} {statistics.median(sql_times[name]):>7.1f} "
                f"{statistics.median(cpu_times[name]):>7.1f} {shown:>7}   ?{urlencode(params)}"
            )
        everything = [value for values in times.values() for value in values]
        self.stdout.write(
            f"{'overall':<28} {'':>7} {statistics.median(everything):>7.1f} "
            f"{percentile(everything, 0.95):>7.1f}"
        )
        self.stdout.write(
            f"({repeat} requests per search on {connection.vendor}. ms: server time of each "
            f"request through the test client; sql: time in its queries; cpu: this process's "
            f"CPU time; queries: each number seen (reading the reference rows again, once a "
            f"minute per process, adds 4). Load average {load_before:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs.)"
        )
        self.check_page_sizes(client, url)

    def check_page_sizes(self, client: Client, url: str):
        """Queries per page of each search at two page sizes, on the page and in the API;
        fails if they differ between the sizes or pass MAX_QUERIES."""
        page_label = " / ".join(str(size) for size in PAGE_SIZES)
        api_label = " / ".join(str(size) for size in API_PAGE_SIZES)
        self.stdout.write(
            f"\nQueries per page by page size: page {page_label} listings, API {api_label}"
        )
        problems = []
        for name, params in SEARCHES:
            counts = []
            for size in PAGE_SIZES:
                with mock.patch.object(views, "CATALOGUE_PAGE_SIZE", size):
                    counts.append(self.queries(client, url, self.scaled(params, size)))
            # The API answers 400 for a page past the end: there, page 1 of each size.
            api_params = {key: value for key, value in params.items() if key != "page"}
            api_counts = [
                self.queries(client, API_URL, {**api_params, "page_size": size})
                for size in API_PAGE_SIZES
            ]
            self.stdout.write(
                f"{name:<28} page {'/'.join(map(str, counts)):>5}   "
                f"API {'/'.join(map(str, api_counts)):>5}"
            )
            for what, found in (("page", counts), ("API", api_counts)):
                if len(set(found)) > 1 or max(found) > MAX_QUERIES:
                    problems.append(f"{name} ({what}): {found}")
        if problems:
            raise CommandError(
                f"Queries per page differ between page sizes or pass {MAX_QUERIES}: "
                + "; ".join(problems)
            )
        self.stdout.write(
            f"Same queries per page at every size, {MAX_QUERIES} at most: yes. (Pages past "
            f"the end, as 'text, deep page' is, read the count on its own as well.)"
        )

    @staticmethod
    def scaled(params: dict, size: int) -> dict:
        """The page of `size` listings holding the first row of the page asked for (of the
        catalogue page's own size)."""
        if "page" not in params:
            return params
        first_row = (int(params["page"]) - 1) * PAGE_SIZES[0]
        return {**params, "page": str(first_row // size + 1)}

    @staticmethod
    def queries(client: Client, url: str, params: dict) -> int:
        """Queries of one request with the caches warm, as on a running site: a request
        first, to fill them, then the fewer queries of two alike (the reference rows'
        cache may expire during one of them, never during both)."""
        client.get(url, params)
        counts = []
        for _attempt in range(2):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, params)
            if response.status_code != 200:
                raise CommandError(f"{url}: HTTP {response.status_code} for {params}")
            counts.append(len(captured))
        return min(counts)
