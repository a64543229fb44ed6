"""Demo data: real OVOP/OCOP products from Cambodia and Vietnam, and three logins.

Idempotent: producers are found by a stable key and listings by name, so running it again
changes nothing. Emails that the review steps would send are dropped while seeding.
"""

import datetime as dt
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import User
from accounts.services import organiser_create, user_create_verified
from buyers.models import Buyer
from buyers.services import buyer_profile_save, sourcing_need_create
from forums.models import Forum, MeetingRequest
from forums.scheduling import schedule_publish, schedule_run_execute, schedule_run_start
from forums.services import meeting_request_accept, meeting_request_create
from forums.setup import DayPlan, forum_buyer_register, forum_create, forum_producer_register
from producers import services as listing
from producers.models import Producer, Product
from taxonomy.models import Category, Certification, Country, Province, Unit

DEMO_PASSWORD = "forum-market-demo"
ORGANISER_EMAIL = "organiser@demo.forum-market.org"
PRODUCER_EMAIL = "producer@demo.forum-market.org"
BUYER_EMAIL = "buyer@demo.forum-market.org"

# key, name, kind, village, province code, phone, description, products
PRODUCERS = [
    (
        "kampot-pepper",
        "Kampot Pepper Promotion Cooperative",
        Producer.Kind.COOPERATIVE,
        "Trapeang Sangke commune, Kampot",
        "KH-7",
        "+855 12 345 678",
        "More than 400 farming families growing Kampot pepper under the geographical "
        "indication since 2010.",
        [
            {
                "name": "ម្រេចកំពតខ្មៅ",
                "name_en": "Kampot black pepper",
                "description": "ម្រេចខ្មៅកំពត ប្រមូលផលដោយដៃ និងហាលថ្ងៃ។",
                "description_en": "Hand-picked, sun-dried black pepper with the Kampot GI.",
                "category": "G1.4b",
                "unit": "kg",
                "capacity": ("2", "t"),
                "min_order": "50",
                "price": ("15", "22", "USD"),
                "stars": 0,
                "months": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
                "certs": ["GI-KH-KAMPOT-PEPPER", "OVOP-KH"],
            },
            {
                "name": "ម្រេចកំពតក្រហម",
                "name_en": "Kampot red pepper",
                "description": "ម្រេចក្រហមទុំពេញលេញ។",
                "description_en": "Fully ripened red peppercorns, a small harvest each year.",
                "category": "G1.4b",
                "unit": "kg",
                "capacity": ("300", "kg"),
                "min_order": "10",
                "price": ("30", "45", "USD"),
                "stars": 0,
                "months": [2, 3, 4, 5, 6],
                "certs": ["GI-KH-KAMPOT-PEPPER"],
            },
        ],
    ),
    (
        "kampong-speu-palm-sugar",
        "Kampong Speu Palm Sugar Promotion Association",
        Producer.Kind.COOPERATIVE,
        "Oudong district, Kampong Speu",
        "KH-5",
        "+855 16 222 333",
        "Palm sugar tapped from Borassus palms by member families.",
        [
            {
                "name": "ស្ករត្នោតកំពង់ស្ពឺ",
                "name_en": "Kampong Speu palm sugar",
                "description": "ស្ករត្នោតធម្មជាតិ គ្មានសារធាតុបន្ថែម។",
                "description_en": "Natural palm sugar, no additives, in 1 kg blocks.",
                "category": "G1.2b",
                "unit": "kg",
                "capacity": ("5", "t"),
                "min_order": "100",
                "price": ("12000", "16000", "KHR"),
                "stars": 0,
                "months": [1, 2, 3, 4, 5, 12],
                "certs": ["GI-KH-KAMPONG-SPEU-PALM-SUGAR"],
            }
        ],
    ),
    (
        "koh-dach-silk",
        "Koh Dach Silk Weavers",
        Producer.Kind.HOUSEHOLD,
        "Koh Dach commune, Mukh Kampul",
        "KH-8",
        "+855 17 555 010",
        "Family looms on Koh Dach island weaving hol and phamuong silk.",
        [
            {
                "name": "សូត្រកោះដាច់",
                "name_en": "Koh Dach hand-woven silk scarf",
                "description": "ក្រម៉ាសូត្រត្បាញដោយដៃ។",
                "description_en": "Hand-woven silk scarves in natural dyes.",
                "category": "G4.2",
                "unit": "piece",
                "capacity": ("400", "piece"),
                "min_order": "20",
                "price": ("18", "35", "USD"),
                "stars": 0,
                "months": list(range(1, 13)),
                "certs": ["OVOP-KH"],
            }
        ],
    ),
    (
        "mondulkiri-honey",
        "Mondulkiri Wild Honey Network",
        Producer.Kind.COOPERATIVE,
        "Sen Monorom",
        "KH-11",
        "+855 97 700 880",
        "Bunong communities harvesting wild honey sustainably from forest trees.",
        [
            {
                "name": "ទឹកឃ្មុំព្រៃមណ្ឌលគិរី",
                "name_en": "Mondulkiri wild honey",
                "description": "ទឹកឃ្មុំព្រៃធម្មជាតិ។",
                "description_en": "Wild forest honey, harvested April to June.",
                "category": "G1.2b",
                "unit": "L",
                "capacity": ("800", "L"),
                "min_order": "20",
                "price": ("20", "28", "USD"),
                "stars": 0,
                "months": [4, 5, 6, 7],
                "certs": ["GI-KH-MONDULKIRI-WILD-HONEY"],
            }
        ],
    ),
    (
        "phu-quoc-fish-sauce",
        "Cơ sở nước mắm Khải Hoàn Phú Quốc",
        Producer.Kind.ENTERPRISE,
        "Dương Đông, Phú Quốc",
        "VN-NEW-44",
        "+84 297 384 6134",
        "Nước mắm truyền thống ủ chượp trong thùng gỗ bời lời.",
        [
            {
                "name": "Nước mắm Phú Quốc 40 độ đạm",
                "name_en": "Phu Quoc fish sauce, 40°N",
                "description": "Nước mắm cá cơm ủ 12 tháng trong thùng gỗ.",
                "description_en": "Anchovy fish sauce aged 12 months in wooden barrels.",
                "category": "G1.4a",
                "unit": "L",
                "capacity": ("20000", "L"),
                "min_order": "500",
                "price": ("90000", "150000", "VND"),
                "stars": 4,
                "months": list(range(1, 13)),
                "certs": ["GI-VN-PHU-QUOC-FISH-SAUCE", "HACCP", "OCOP-4"],
            }
        ],
    ),
    (
        "ly-son-garlic",
        "Hợp tác xã tỏi Lý Sơn",
        Producer.Kind.COOPERATIVE,
        "Đặc khu Lý Sơn",
        "VN-NEW-29",
        "+84 255 386 7000",
        "Tỏi cô đơn trồng trên cát núi lửa đảo Lý Sơn.",
        [
            {
                "name": "Tỏi cô đơn Lý Sơn",
                "name_en": "Ly Son single-clove garlic",
                "description": "Tỏi một tép trồng trên đất cát núi lửa.",
                "description_en": "Single-clove garlic grown on volcanic sand.",
                "category": "G1.4b",
                "unit": "kg",
                "capacity": ("3", "t"),
                "min_order": "100",
                "price": ("250000", "400000", "VND"),
                "stars": 4,
                "months": [3, 4, 5, 6, 7, 8],
                "certs": ["GI-VN-LY-SON-GARLIC", "OCOP-4"],
            }
        ],
    ),
    (
        "thai-nguyen-tea",
        "Hợp tác xã chè Tân Cương",
        Producer.Kind.COOPERATIVE,
        "Xã Tân Cương",
        "VN-NEW-69",
        "+84 208 385 5000",
        "Chè búp Tân Cương sao suốt thủ công.",
        [
            {
                "name": "Chè Tân Cương Thái Nguyên",
                "name_en": "Tan Cuong green tea, Thai Nguyen",
                "description": "Chè xanh sao tay, nước xanh, vị chát dịu, hậu ngọt.",
                "description_en": "Hand-roasted green tea with a sweet aftertaste.",
                "category": "G1.5a",
                "unit": "kg",
                "capacity": ("1.5", "t"),
                "min_order": "20",
                "price": ("300000", "900000", "VND"),
                "stars": 5,
                "months": list(range(1, 13)),
                "certs": ["GI-VN-TAN-CUONG-TEA", "VIETGAP", "OCOP-5"],
            }
        ],
    ),
]

# A listing left waiting in the review queue, so the organiser demo has something to do.
PENDING = {
    "producer": "kampot-pepper",
    "name": "ម្រេចកំពតស",
    "name_en": "Kampot white pepper",
    "description": "ម្រេចសកំពត។",
    "description_en": "Kampot white pepper, red berries soaked and peeled.",
    "category": "G1.4b",
    "unit": "kg",
    "capacity": ("200", "kg"),
    "min_order": "10",
    "price": ("35", "50", "USD"),
    "stars": 0,
    "months": [2, 3, 4, 5, 6],
    "certs": [],
}

COLOURS = [(31, 111, 74), (154, 59, 27), (120, 90, 30), (40, 80, 140), (110, 40, 100)]


def demo_photo(label: str, index: int) -> SimpleUploadedFile:
    image = Image.new("RGB", (800, 600), COLOURS[index % len(COLOURS)])
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 760, 560), outline=(255, 255, 255), width=6)
    draw.text((70, 270), label[:40], fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(f"demo-{index}.jpg", buffer.getvalue(), "image/jpeg")


def demo_evidence(code: str) -> SimpleUploadedFile:
    # The smallest well-formed PDF is enough for an evidence placeholder.
    content = b"%PDF-1.4\n% demo certificate " + code.encode() + b"\n%%EOF\n"
    return SimpleUploadedFile(f"{code.lower()}.pdf", content, "application/pdf")


class Command(BaseCommand):
    help = "Load demo producers, listings and logins (idempotent)."

    @override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    def handle(self, *args, **options):
        with transaction.atomic():
            organiser = organiser_create(
                email=ORGANISER_EMAIL, password=DEMO_PASSWORD, full_name="Kien Giang OCOP Office"
            )
            producer_user = user_create_verified(
                email=PRODUCER_EMAIL,
                password=DEMO_PASSWORD,
                role=User.Role.PRODUCER,
                full_name="Sokha Chan",
            )
            buyer_user = user_create_verified(
                email=BUYER_EMAIL,
                password=DEMO_PASSWORD,
                role=User.Role.BUYER,
                full_name="Lan Nguyen",
            )
            producer_user.language = "km"
            producer_user.save(update_fields=["language"])
            created = 0
            producers = {}
            for index, (key, name, kind, village, province, phone, about, items) in enumerate(
                PRODUCERS
            ):
                producer = self.producer(key, name, kind, village, province, phone, about)
                producers[key] = producer
                if index == 0:
                    producer.members.add(producer_user)
                for item in items:
                    created += self.listing(producer, item, organiser, approve=True)
            created += self.listing(producers[PENDING["producer"]], PENDING, organiser, False)
            self.buyer(buyer_user)
            self.forum(organiser, producers, producer_user, buyer_user)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({created} new listings). Log in with password "
                f"'{DEMO_PASSWORD}' as:\n"
                f"  organiser  {ORGANISER_EMAIL}\n"
                f"  producer   {PRODUCER_EMAIL}\n"
                f"  buyer      {BUYER_EMAIL}"
            )
        )

    def forum(self, organiser, producers, producer_user, buyer_user) -> None:
        """An open forum two weeks ahead, with the demo producer and buyer registered and one
        accepted meeting, scheduled and published, so both demo logins have an agenda and a
        calendar feed to look at."""
        name = "Mekong Delta OCOP Forum (demo)"
        if Forum.objects.filter(name=name).exists():
            return
        start = timezone.localdate() + dt.timedelta(days=14)
        days = [
            DayPlan(
                date=start + dt.timedelta(days=offset),
                morning_start=dt.time(8, 0),
                morning_end=dt.time(11, 30),
                afternoon_start=dt.time(13, 30),
                afternoon_end=dt.time(17, 0),
            )
            for offset in range(2)
        ]
        forum = forum_create(
            user=organiser,
            name=name,
            province=Province.objects.get(code="VN-NEW-44"),
            venue="Rạch Giá Convention Centre",
            days=days,
            tables=40,
            requests_open_at=timezone.now() - dt.timedelta(days=1),
            requests_close_at=timezone.now() + dt.timedelta(days=12),
            status=Forum.Status.OPEN,
        )
        buyer = buyer_user.buyers.get()
        forum_buyer_register(forum=forum, buyer=buyer, user=buyer_user)
        forum_producer_register(
            forum=forum, producer=producers["kampot-pepper"], user=producer_user
        )
        pepper = Product.objects.approved().filter(producer=producers["kampot-pepper"]).first()
        request = meeting_request_create(
            user=buyer_user,
            buyer=buyer,
            producer=producers["kampot-pepper"],
            product=pepper,
            forum=forum,
            message="We would like to taste your black pepper for our gift range.",
            initiated_by=MeetingRequest.Side.BUYER,
        )
        meeting_request_accept(meeting_request=request, user=producer_user)
        # The scheduler runs here, not in a worker, so the demo is complete when the command
        # ends; the task queued on commit then finds the run done and does nothing.
        run = schedule_run_start(forum=forum, user=organiser, time_limit=10)
        run = schedule_run_execute(run_id=run.pk)
        schedule_publish(run=run, user=organiser)

    def buyer(self, user: User) -> None:
        if user.buyers.exists():
            return
        buyer = buyer_profile_save(
            user=user,
            name="Mekong Fresh Supermarkets",
            kind=Buyer.Kind.SUPERMARKET,
            country=Country.objects.get(code="VN"),
            province=Province.objects.get(code="VN-NEW-SG"),
            description="A chain of 40 supermarkets in the south, looking for OCOP specialities.",
            website="https://mekongfresh.example.com",
        )
        units = {unit.code: unit for unit in Unit.objects.all()}
        sourcing_need_create(
            buyer=buyer,
            category=Category.objects.get(code="G1.4a"),
            volume=Decimal("1500"),
            unit=units["L"],
            order_size=Decimal("500"),
            provinces=Province.objects.filter(code__in=["VN-NEW-44", "VN-NEW-SG"]),
            required_certifications=Certification.objects.filter(code="HACCP"),
            preferred_certifications=Certification.objects.filter(code__in=["OCOP-4", "OCOP-5"]),
            min_stars=3,
            target_price=Decimal("120000"),
            currency="VND",
            notes="Fish sauce of 35°N or more for our own-label range.",
        )
        sourcing_need_create(
            buyer=buyer,
            category=Category.objects.get(code="G1.4b"),
            volume=Decimal("800"),
            unit=units["kg"],
            order_size=Decimal("100"),
            preferred_certifications=Certification.objects.filter(code="GI-KH-KAMPOT-PEPPER"),
            target_price=Decimal("18"),
            currency="USD",
            notes="Black and red pepper for the gift season.",
        )

    def producer(self, key, name, kind, village, province_code, phone, about) -> Producer:
        producer = Producer.objects.filter(import_key=f"demo:{key}").first()
        if producer:
            return producer
        producer = Producer.objects.create(
            import_key=f"demo:{key}",
            name=name,
            kind=kind,
            village=village,
            province=Province.objects.get(code=province_code),
            phone=phone,
            description=about,
        )
        return producer

    def listing(self, producer: Producer, item: dict, organiser: User, approve: bool) -> int:
        if Product.objects.filter(producer=producer, name=item["name"]).exists():
            return 0
        units = {unit.code: unit for unit in Unit.objects.all()}
        quantity, capacity_unit = item["capacity"]
        low, high, currency = item["price"]
        product = listing.product_create(
            producer=producer,
            category=Category.objects.get(code=item["category"]),
            name=item["name"],
            name_en=item["name_en"],
            description=item["description"],
            description_en=item["description_en"],
            unit_of_sale=units[item["unit"]],
            capacity=Decimal(quantity),
            capacity_unit=units[capacity_unit],
            min_order=Decimal(item["min_order"]),
            price_min=Decimal(low),
            price_max=Decimal(high),
            currency=currency,
            stars=item["stars"],
            months_mask=sum(1 << (month - 1) for month in item["months"]),
        )
        listing.product_photos_add(
            product=product,
            images=[demo_photo(item["name_en"], n) for n in range(2)],
        )
        expiry = timezone.localdate() + dt.timedelta(days=730)
        for code in item["certs"]:
            held = listing.held_certification_add(
                product=product,
                certification=Certification.objects.get(code=code),
                expires_on=expiry,
                evidence=demo_evidence(code),
            )
            if approve:
                listing.held_certification_verify(held_certification=held, verifier=organiser)
        listing.product_submit(product=product)
        if approve:
            listing.product_approve(product=product, reviewer=organiser)
        return 1
