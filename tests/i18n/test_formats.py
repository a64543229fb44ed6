"""Local formats per language (en, km, vi): money, numbers, dates and times from CLDR through
Babel (forum_market.l10n), Django's own formats brought in line with them, and pages that
show them. See docs/formats.md for the decisions these tests pin down."""

import datetime as dt
import importlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, timezone, translation

from forum_market import l10n

NBSP = "\u00a0"

# 17:30 UTC on Monday 3 November 2025 is 00:30 on Tuesday 4 November in Phnom Penh and Ho Chi
# Minh City (UTC+7) and 02:30 on the 4th in Tokyo (UTC+9).
EVENING_UTC = dt.datetime(2025, 11, 3, 17, 30, tzinfo=dt.UTC)
TWENTY_MINUTES = dt.timedelta(minutes=20)


# --- Money ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        # en (CLDR en_GB): the sign before the amount, no space.
        ("en", "15000", "KHR", "៛15,000"),
        ("en", "15000", "VND", "₫15,000"),
        ("en", "12.5", "USD", "US$12.50"),
        ("en", "1234567.5", "USD", "US$1,234,567.50"),
        # km: the sign after the amount, no space; the decimal sign is a dot.
        ("km", "15000", "KHR", "15,000៛"),
        ("km", "15000", "VND", "15,000₫"),
        ("km", "12.5", "USD", "12.50$"),
        ("km", "1234567.5", "USD", "1,234,567.50$"),
        # vi: dots group, a comma for decimals, the sign after a no-break space.
        ("vi", "15000", "KHR", f"15.000{NBSP}៛"),
        ("vi", "15000", "VND", f"15.000{NBSP}₫"),
        ("vi", "12.5", "USD", f"12,50{NBSP}US$"),
        ("vi", "1234567.5", "USD", f"1.234.567,50{NBSP}US$"),
    ],
)
def test_money_per_language(language, amount, currency, expected):
    assert l10n.format_money(Decimal(amount), currency, language=language) == expected


@pytest.mark.parametrize("language", ["en", "km", "vi"])
def test_riel_and_dong_are_whole_numbers_and_dollars_have_cents(language):
    """CLDR gives KHR 2 fraction digits; riel prices are never written with cents."""
    assert l10n.currency_digits("KHR") == 0
    assert l10n.currency_digits("VND") == 0
    assert l10n.currency_digits("USD") == 2
    for currency in ("KHR", "VND"):
        text = l10n.format_money(Decimal("9000.40"), currency, language=language)
        assert "9000" in text.replace(",", "").replace(".", "") and "40" not in text
    dollars = l10n.format_money(Decimal("9000"), "USD", language=language)
    assert dollars.replace(NBSP, "").strip("US$") in ("9,000.00", "9.000,00")


def test_the_riel_sign_is_used_where_cldr_has_only_the_code():
    assert Locale.parse("en_GB").currency_symbols.get("KHR") is None  # CLDR's symbol is "KHR"
    assert l10n.currency_symbol("KHR", language="en") == "៛"
    assert l10n.currency_symbol("KHR", language="vi") == "៛"
    assert l10n.currency_symbol("VND", language="en") == "₫"


def test_a_letter_symbol_is_kept_apart_from_the_digits():
    """CLDR's currency spacing, which Babel leaves out."""
    assert l10n.format_money(Decimal("1234.5"), "THB", language="en") == f"THB{NBSP}1,234.50"
    assert l10n.format_money(Decimal("1500"), "JPY", language="km") == f"1,500{NBSP}JP¥"
    assert l10n.format_money(Decimal("1500"), "JPY", language="en") == "JP¥1,500"


def test_money_follows_the_active_language():
    with translation.override("vi"):
        assert l10n.format_money(Decimal("15000"), "VND") == f"15.000{NBSP}₫"
    with translation.override("km"):
        assert l10n.format_money(Decimal("15000"), "KHR") == "15,000៛"
    assert l10n.format_money(None, "VND") == ""


# --- Numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "big", "quantity", "fraction", "two_places"),
    [
        ("en", "1,234,567.25", "1,500", "2.5", "3.14"),
        ("km", "1,234,567.25", "1,500", "2.5", "3.14"),
        ("vi", "1.234.567,25", "1.500", "2,5", "3,14"),
    ],
)
def test_numbers_per_language(language, big, quantity, fraction, two_places):
    assert l10n.format_number(Decimal("1234567.25"), language=language) == big
    assert l10n.format_quantity(Decimal("1500.000"), language=language) == quantity
    assert l10n.format_quantity(Decimal("2.500"), language=language) == fraction
    assert l10n.format_number(Decimal("3.14159"), 2, language=language) == two_places
    assert l10n.format_number(7, language=language) == "7"


def test_khmer_separators_come_from_cldr_and_replace_djangos_stock_ones():
    """Django ships km with a decimal comma and a thousands dot; CLDR (Babel) has the
    opposite. We decided for CLDR, and Django's formatting follows it through
    FORMAT_MODULE_PATH."""
    cldr = Locale.parse("km").number_symbols["latn"]
    assert (cldr["decimal"], cldr["group"]) == (".", ",")
    assert l10n.number_symbols("km") == {"decimal": ".", "group": ","}

    stock = importlib.import_module("django.conf.locale.km.formats")
    assert (stock.DECIMAL_SEPARATOR, stock.THOUSAND_SEPARATOR) == (",", ".")
    assert (cldr["decimal"], cldr["group"]) != (stock.DECIMAL_SEPARATOR, stock.THOUSAND_SEPARATOR)

    assert "forum_market.formats" in settings.FORMAT_MODULE_PATH
    assert formats.get_format("DECIMAL_SEPARATOR", lang="km") == cldr["decimal"]
    assert formats.get_format("THOUSAND_SEPARATOR", lang="km") == cldr["group"]


@pytest.mark.parametrize("language", ["en", "km", "vi"])
def test_djangos_number_formatting_agrees_with_babel(language):
    value = Decimal("1234567.25")
    with translation.override(language):
        django_text = formats.number_format(value, 2, use_l10n=True, force_grouping=True)
        assert django_text == l10n.format_number(value, 2)
        # {{ value }} in a template, localised by Django without grouping.
        assert Template("{{ value }}").render(Context({"value": Decimal("2.5")})) == (
            l10n.format_number(Decimal("2.5"), grouping=False)
        )


# --- Dates and times ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {
                "short": "04/11/2025",
                "long": "4 November 2025",
                "full": "Tuesday, 4 November 2025",
                "day": "Tue 4 Nov",
                "time": "00:30",
                "datetime": "4 November 2025, 00:30",
                "slot": "Tue 4 Nov, 00:30–00:50",
            },
        ),
        (
            "km",
            {
                "short": "4/11/25",
                "long": "4 វិច្ឆិកា 2025",
                "full": "អង្គារ 4 វិច្ឆិកា 2025",
                "day": "អង្គារ 4 វិច្ឆិកា",
                "time": "12:30 AM",
                "datetime": "4 វិច្ឆិកា 2025, 12:30 AM",
                "slot": "អង្គារ 4 វិច្ឆិកា, 12:30 – 12:50 AM",
            },
        ),
        (
            "vi",
            {
                "short": "4/11/25",
                "long": "4 tháng 11, 2025",
                "full": "Thứ Ba, 4 tháng 11, 2025",
                "day": "Th 3, 4 thg 11",
                "time": "00:30",
                "datetime": "00:30 4 tháng 11, 2025",
                "slot": "00:30–00:50 Th 3, 4 thg 11",
            },
        ),
    ],
)
@pytest.mark.parametrize("zone", ["Asia/Phnom_Penh", "Asia/Ho_Chi_Minh"])
def test_dates_and_times_per_language_in_the_forum_zone(language, expected, zone):
    """The UTC evening of the 3rd is already the 4th at both forums (UTC+7)."""
    with translation.override(language):
        assert l10n.format_date(EVENING_UTC, "short", zone) == expected["short"]
        assert l10n.format_date(EVENING_UTC, tz=zone) == expected["long"]
        assert l10n.format_date(EVENING_UTC, "full", zone) == expected["full"]
        assert l10n.format_day(EVENING_UTC, zone) == expected["day"]
        assert l10n.format_time(EVENING_UTC, tz=zone) == expected["time"]
        assert l10n.format_datetime(EVENING_UTC, tz=zone) == expected["datetime"]
        assert (
            l10n.format_slot(EVENING_UTC, EVENING_UTC + TWENTY_MINUTES, zone) == (expected["slot"])
        )


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", "3 November 2025, 17:30"),
        ("Asia/Phnom_Penh", "4 November 2025, 00:30"),
        ("Asia/Ho_Chi_Minh", "4 November 2025, 00:30"),
        ("Asia/Tokyo", "4 November 2025, 02:30"),
    ],
)
def test_an_instant_is_shown_in_the_zone_given(zone, expected):
    assert l10n.format_datetime(EVENING_UTC, tz=zone, language="en") == expected
    assert l10n.format_datetime(EVENING_UTC, tz=ZoneInfo(zone), language="en") == expected
    with timezone.override(zone):  # what {% timezone forum.time_zone %} does
        assert l10n.format_datetime(EVENING_UTC, language="en") == expected


def test_a_time_range_uses_the_locales_clock():
    start = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 09:00 at UTC+7
    end = start + TWENTY_MINUTES
    zone = "Asia/Ho_Chi_Minh"
    assert l10n.format_time_range(start, end, zone, language="en") == "09:00–09:20"
    assert l10n.format_time_range(start, end, zone, language="vi") == "09:00–09:20"
    assert l10n.format_time_range(start, end, zone, language="km") == "9:00 – 9:20 AM"
    afternoon = start + dt.timedelta(hours=5)  # 14:00
    assert l10n.format_time_range(start, afternoon, zone, language="km") == (
        "9:00 AM\u2009–\u20092:00 PM"
    )
    assert l10n.format_time_range(dt.time(8), dt.time(10), language="en") == "08:00–10:00"


DJANGO_AND_CLDR = [
    ("DATE_FORMAT", lambda value: l10n.format_date(value, "long")),
    ("SHORT_DATE_FORMAT", lambda value: l10n.format_date(value, "short")),
    ("TIME_FORMAT", lambda value: l10n.format_time(value)),
    ("DATETIME_FORMAT", lambda value: l10n.format_datetime(value, "long")),
    ("SHORT_DATETIME_FORMAT", lambda value: l10n.format_datetime(value, "short")),
    ("MONTH_DAY_FORMAT", lambda value: l10n.format_date(value, "d MMMM")),
]


@pytest.mark.parametrize("language", ["en", "km", "vi"])
def test_djangos_date_formats_agree_with_cldr_in_every_month(language):
    """Templates and code not yet moved to l10n (|date:"DATE_FORMAT", date_format()) read
    the same as the pages that use Babel."""
    zone = ZoneInfo("Asia/Phnom_Penh")
    moments = [
        dt.datetime(2026, month, day, hour, minute, tzinfo=zone)
        for month, day, hour, minute in [(m, 1 + m, (m * 5) % 24, m * 4) for m in range(1, 13)]
    ] + [dt.datetime(2026, 9, 30, 0, 5, tzinfo=zone), dt.datetime(2026, 12, 31, 12, 0, tzinfo=zone)]
    with translation.override(language), timezone.override(zone):
        for moment in moments:
            for name, babel_side in DJANGO_AND_CLDR:
                assert formats.date_format(moment, name) == babel_side(moment), (name, moment)


# --- Template filters -----------------------------------------------------------------------


def render(source: str, **context) -> str:
    return Template("{% load l10n_tags tz %}" + source).render(Context(context))


def test_filters_show_the_forum_time_zone_from_the_timezone_tag_or_an_argument():
    start, end = EVENING_UTC, EVENING_UTC + TWENTY_MINUTES
    with translation.override("en"):
        assert render("{{ t|ltime:'Asia/Tokyo' }}", t=start) == "02:30"
        assert render("{% timezone 'Asia/Tokyo' %}{{ t|ltime }}{% endtimezone %}", t=start) == (
            "02:30"
        )
        assert render("{% timezone 'UTC' %}{{ t|ldate }}{% endtimezone %}", t=start) == (
            "3 November 2025"
        )
        assert render("{{ t|ldate:'Asia/Tokyo' }}", t=start) == "4 November 2025"
        assert render("{{ t|ldatetime:'day' }}", t=start) == "Tue 4 Nov, 00:30"
        assert render("{{ t|lday }}", t=start) == "Tue 4 Nov"
        assert render("{% slot_when a b 'Asia/Tokyo' %}", a=start, b=end) == (
            "Tue 4 Nov, 02:30–02:50"
        )
        assert render("{% time_range a b %}", a=start, b=end) == "00:30–00:50"
        assert render("{{ none|ldatetime|default:'–' }}", none=None) == "–"


def test_money_and_number_filters():
    with translation.override("vi"):
        assert render("{{ p|money:'VND' }}", p=Decimal("15000")) == f"15.000{NBSP}₫"
        assert render("{{ q|quantity }} {{ n|number:2 }}", q=Decimal("2.500"), n=1) == "2,5 1,00"
    with translation.override("km"):
        assert render("{{ p|money:c }}", p=Decimal("15000"), c="KHR") == "15,000៛"


# --- Pages and emails -----------------------------------------------------------------------


def in_language(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("vi", f"12.000{NBSP}₫ – 15.000{NBSP}₫"),
        ("km", "12,000₫ – 15,000₫"),
        ("en", "₫12,000 – ₫15,000"),
    ],
)
def test_catalogue_shows_dong_prices_with_the_sign_and_no_decimals(client, language, expected):
    from tests.factories import ProductFactory

    product = ProductFactory(
        approved=True, currency="VND", price_min=Decimal("12000"), price_max=Decimal("15000")
    )
    page = in_language(client, language).get(reverse("catalogue:detail", args=[product.pk]))
    html = page.content.decode()
    assert expected in html
    assert "12.000,00" not in html and "12,000.00" not in html and "VND" not in html


@pytest.mark.django_db
def test_need_page_shows_the_target_price_and_deadline_in_the_readers_language(client):
    from tests.factories import BuyerFactory, BuyerUserFactory, SourcingNeedFactory

    reader = BuyerUserFactory()
    need = SourcingNeedFactory(
        buyer=BuyerFactory(members=[reader]),
        target_price=Decimal("42000"),
        currency="KHR",
        volume=Decimal("1500"),
        deadline=timezone.localdate() + dt.timedelta(days=40),
    )
    client.force_login(reader)
    html = in_language(client, "km").get(reverse("buyers:need_detail", args=[need.pk]))
    html = html.content.decode()
    assert "42,000៛" in html
    with translation.override("km"):
        assert l10n.format_date(need.deadline) in html
    html = in_language(client, "vi").get(reverse("buyers:need_detail", args=[need.pk]))
    assert f"42.000{NBSP}៛" in html.content.decode()
    assert "1.500 kg" in html.content.decode()


@pytest.fixture
def tokyo_forum_agenda(db, django_capture_on_commit_callbacks):
    """A published forum held in Tokyo (UTC+9), so forum time differs from the server's
    Asia/Ho_Chi_Minh; one meeting, and the producer's member who reads it."""
    from forums import scheduling, setup
    from tests.factories import (
        ForumBuyerFactory,
        ForumProducerFactory,
        MeetingFactory,
        OrganiserUserFactory,
        ProducerFactory,
        ProducerUserFactory,
        ProvinceFactory,
    )

    organiser = OrganiserUserFactory()
    forum = setup.forum_create(
        user=organiser,
        name="Tokyo OVOP Fair",
        province=ProvinceFactory(),
        venue="Tokyo Big Sight",
        days=[setup.DayPlan(dt.date(2026, 3, 10), dt.time(9), dt.time(10), None, None)],
        tables=2,
        time_zone="Asia/Tokyo",
    )
    member = ProducerUserFactory(language="vi")
    producer = ProducerFactory(members=[member])
    ForumProducerFactory(forum=forum, producer=producer)
    buyer_entry = ForumBuyerFactory(forum=forum)
    MeetingFactory(forum=forum, producer=producer, buyer=buyer_entry.buyer)
    with django_capture_on_commit_callbacks(execute=True):
        run = scheduling.schedule_run_start(forum=forum, user=organiser, kind="full", time_limit=5)
    run.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.schedule_publish(run=run, user=organiser)
    meeting = forum.meetings.select_related("slot").get()
    return forum, member, meeting


def tokyo_times(meeting) -> tuple[str, str]:
    zone = ZoneInfo("Asia/Tokyo")
    start, end = meeting.slot.starts_at.astimezone(zone), meeting.slot.ends_at.astimezone(zone)
    assert start.date() == dt.date(2026, 3, 10) and start.hour == 9
    return start.strftime("%H:%M"), end.strftime("%H:%M")


def test_agenda_page_shows_meetings_in_the_forum_time_zone(client, tokyo_forum_agenda):
    forum, member, meeting = tokyo_forum_agenda
    start, end = tokyo_times(meeting)
    client.force_login(member)
    html = in_language(client, "en").get(reverse("forum_pages:agenda", args=[forum.pk]))
    html = html.content.decode()
    assert f"Tue 10 Mar, {start}–{end}" in html
    # Not in the server's zone (Asia/Ho_Chi_Minh, two hours behind Tokyo).
    assert "Tue 10 Mar, 07:" not in html
    html = in_language(client, "vi").get(reverse("forum_pages:agenda", args=[forum.pk]))
    assert f"{start}–{end} Th 3, 10 thg 3" in html.content.decode()


def test_agenda_email_is_in_the_members_language_and_the_forum_time_zone(
    tokyo_forum_agenda, mailoutbox
):
    forum, member, meeting = tokyo_forum_agenda
    start, end = tokyo_times(meeting)
    (message,) = [m for m in mailoutbox if m.to == [member.email]]
    assert f"{start}–{end} Th 3, 10 thg 3" in message.body
    assert f"{start}–{end} Th 3, 10 thg 3" in message.alternatives[0][0]


# --- Number inputs --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["km", "vi"])
def test_a_price_typed_in_a_number_input_is_read_in_every_language(client, language):
    """Number fields are <input type="number">: browsers submit them with a dot whatever the
    page's language, and Django reads them unlocalised, so the Khmer change of separators
    cannot break them. The value shown back in the input uses the dot too."""
    from buyers.models import SourcingNeed
    from tests.factories import BuyerFactory, BuyerUserFactory, CategoryFactory, UnitFactory

    reader = BuyerUserFactory(language=language)
    BuyerFactory(members=[reader])
    category, unit = CategoryFactory(), UnitFactory()
    client.force_login(reader)
    in_language(client, language)
    data = {
        "category": category.pk,
        "volume": "1234.5",
        "unit": unit.pk,
        "order_size": "",
        "min_stars": 3,
        "target_price": "4.20",
        "currency": "USD",
        "deadline": "",
        "notes": "",
    }
    response = client.post(reverse("buyers:need_create"), data)
    assert response.status_code == 302, response.context["form"].errors
    need = SourcingNeed.objects.get()
    assert (need.volume, need.target_price) == (Decimal("1234.5"), Decimal("4.20"))

    form_html = client.get(reverse("buyers:need_edit", args=[need.pk])).content.decode()
    assert 'type="number" name="volume" value="1234.5"' in form_html
    assert 'name="target_price" value="4.2"' in form_html or (
        'name="target_price" value="4.20"' in form_html
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["km", "vi"])
def test_a_producer_enters_prices_with_a_dot_in_every_language(client, language):
    from producers.models import Product
    from tests.factories import (
        CategoryFactory,
        ProducerFactory,
        ProducerUserFactory,
        TonneFactory,
        UnitFactory,
    )

    member = ProducerUserFactory(language=language)
    ProducerFactory(members=[member])
    client.force_login(member)
    in_language(client, language)
    response = client.post(
        reverse("producers:product_create"),
        {
            "category": CategoryFactory().pk,
            "name": "Kampot black pepper",
            "description": "Sun dried.",
            "content_language": language,
            "unit_of_sale": UnitFactory().pk,
            "capacity": "1.5",
            "capacity_unit": TonneFactory().pk,
            "min_order": "20",
            "price_min": "10.50",
            "price_max": "12000.75",
            "currency": "USD",
            "stars": "4",
            "months": ["1", "2"],
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    product = Product.objects.get()
    assert (product.capacity, product.price_min, product.price_max) == (
        Decimal("1.5"),
        Decimal("10.50"),
        Decimal("12000.75"),
    )
    html = client.get(reverse("producers:product_detail", args=[product.pk])).content.decode()
    expected = {"km": "10.50$ – 12,000.75$", "vi": f"10,50{NBSP}US$ – 12.000,75{NBSP}US$"}
    assert expected[language] in html
