"""The organiser dashboard's counts (overall, by province, by category group) on a small
forum, its bounded number of queries, and the exports (CSV and XLSX, formula-injection safe)."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from forums import dashboard, exports, setup
from forums.models import Meeting, MeetingFeedback, MeetingRequest
from producers.models import Product
from tests.factories import (
    BuyerFactory,
    CategoryFactory,
    CategoryGroupFactory,
    ForumBuyerFactory,
    ForumProducerFactory,
    MeetingFactory,
    MeetingRequestFactory,
    OrganiserUserFactory,
    ProducerFactory,
    ProductFactory,
    ProvinceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser():
    return OrganiserUserFactory()


@pytest.fixture
def small_forum(organiser):
    """Kampot: 2 producers; Kep: 1 producer; 2 buyers. Spices and drinks."""
    forum = setup.forum_create(
        user=organiser,
        name="Kampot Forum",
        province=ProvinceFactory(),
        venue="Hall",
        days=[setup.DayPlan(dt.date(2026, 3, 10), dt.time(8), dt.time(10))],
        tables=5,
    )
    kampot = ProvinceFactory()
    kep = ProvinceFactory(code="KH-23", name_en="Kep")
    spices = CategoryFactory()
    drinks = CategoryFactory(
        code="T-DRINK-TEA",
        name_en="Tea",
        parent=CategoryGroupFactory(code="T-DRINK", name_en="Drinks"),
    )
    p1 = ProducerFactory(province=kampot, name='=HYPERLINK("http://evil")')
    p2 = ProducerFactory(province=kampot)
    p3 = ProducerFactory(province=kep)
    for p in (p1, p2, p3):
        ForumProducerFactory(forum=forum, producer=p)
    ProductFactory(producer=p1, category=spices, approved=True)
    ProductFactory(producer=p1, category=spices, submitted=True)
    ProductFactory(producer=p3, category=drinks, approved=True)
    ProductFactory(producer=ProducerFactory(), approved=True)  # not participating
    b1, b2 = BuyerFactory(name="+Buyer One"), BuyerFactory()
    ForumBuyerFactory(forum=forum, buyer=b1)
    ForumBuyerFactory(forum=forum, buyer=b2)
    slots = list(forum.slots.all())
    pepper = ProductFactory(producer=p1, category=spices, approved=True)
    tea = ProductFactory(producer=p3, category=drinks, approved=True)
    m1 = MeetingFactory(
        forum=forum,
        producer=p1,
        buyer=b1,
        product=pepper,
        slot=slots[0],
        table=1,
        request=None,
        status=Meeting.Status.HELD,
    )
    m2 = MeetingFactory(
        forum=forum,
        producer=p1,
        buyer=b2,
        product=pepper,
        slot=slots[1],
        table=1,
        request=None,
        status=Meeting.Status.NO_SHOW,
    )
    m3 = MeetingFactory(
        forum=forum,
        producer=p3,
        buyer=b1,
        product=tea,
        slot=slots[1],
        table=2,
        request=None,
        status=Meeting.Status.HELD,
    )
    MeetingFactory(forum=forum, producer=p2, buyer=b2, product=None, request=None)  # unscheduled
    MeetingFactory(
        forum=forum, producer=p2, buyer=b1, status=Meeting.Status.CANCELLED, request=None
    )
    MeetingRequestFactory(
        forum=forum, producer=p3, buyer=b2, product=tea, status=MeetingRequest.Status.ACCEPTED
    )
    MeetingRequestFactory(forum=forum, producer=p2, buyer=b1)  # pending
    author = UserFactory()
    MeetingFeedback.objects.create(
        meeting=m1, author=author, side="buyer", rating=5, outcome="trial"
    )
    MeetingFeedback.objects.create(
        meeting=m1, author=author, side="producer", rating=4, outcome="samples", comment="-1+2"
    )
    MeetingFeedback.objects.create(
        meeting=m3, author=author, side="buyer", rating=3, outcome="contract"
    )
    return {"forum": forum, "m2": m2, "kampot": kampot, "kep": kep}


def bar(bars, label):
    return next(b.value for b in bars if b.label == label)


def test_dashboard_counts_on_a_small_forum(small_forum):
    d = dashboard.forum_dashboard(forum=small_forum["forum"])
    assert d["participants"] == {"producers": 3, "buyers": 2}
    # p1: 2, p3: 2, p2: the product of its pending request; not the outsider's.
    assert bar(d["listings"], str(Product.Status.APPROVED.label)) == 5
    assert bar(d["listings"], str(Product.Status.SUBMITTED.label)) == 1
    assert bar(d["requests"], str(MeetingRequest.Status.ACCEPTED.label)) == 1
    assert bar(d["requests"], str(MeetingRequest.Status.PENDING.label)) == 1
    assert d["totals"] == {"total": 4, "scheduled": 3, "held": 2, "no_show": 1, "cancelled": 1}
    assert bar(d["outcomes"], "Trial order") == 1
    assert bar(d["outcomes"], "Contract") == 1
    assert bar(d["outcomes"], "Samples sent") == 1

    by_province = {row["label"]: row for row in d["by_province"]}
    assert by_province["Kampot"]["producers"] == 2
    assert by_province["Kampot"]["total"] == 3  # p1's two and p2's unscheduled one
    assert by_province["Kampot"]["held"] == 1 and by_province["Kampot"]["no_show"] == 1
    assert by_province["Kampot"]["outcome_trial"] == 1
    assert by_province["Kep"]["held"] == 1 and by_province["Kep"]["outcome_contract"] == 1
    by_category = {row["label"]: row for row in d["by_category"]}
    assert by_category["Food"]["scheduled"] == 2 and by_category["Food"]["producers"] == 2
    assert by_category["Drinks"]["held"] == 1
    assert by_category[None]["total"] == 1  # the meeting without a product


def test_dashboard_queries_do_not_grow_with_the_forum(small_forum, client, organiser):
    client.force_login(organiser)
    url = reverse("forum_pages:dashboard", args=[small_forum["forum"].pk])
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    forum = small_forum["forum"]
    for _ in range(5):
        p = ForumProducerFactory(forum=forum, producer=ProducerFactory(province=ProvinceFactory()))
        MeetingFactory(forum=forum, producer=p.producer, buyer=BuyerFactory())
    with CaptureQueriesContext(connection) as bigger:
        page = client.get(url)
    assert len(bigger) == len(small) <= 30
    assert "Kampot" in page.content.decode() and 'class="bar"' in page.content.decode()


def test_csv_exports_parse_and_are_injection_safe(small_forum, client, organiser):
    client.force_login(organiser)
    forum = small_forum["forum"]
    for kind in exports.KINDS:
        response = client.get(reverse("forum_pages:export", args=[forum.pk, kind, "csv"]))
        assert response.status_code == 200
        assert response["Content-Disposition"].endswith(f'{kind}.csv"')
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@")), cell
    participants = list(
        csv.reader(
            io.StringIO(
                client.get(
                    reverse("forum_pages:export", args=[forum.pk, "participants", "csv"])
                ).content.decode("utf-8-sig")
            )
        )
    )
    names = [row[1] for row in participants[1:]]
    assert '\'=HYPERLINK("http://evil")' in names and "'+Buyer One" in names
    assert len(participants) == 1 + 5


def test_xlsx_exports_open_with_openpyxl_and_hold_no_formulas(small_forum, client, organiser):
    client.force_login(organiser)
    forum = small_forum["forum"]
    for kind in exports.KINDS:
        response = client.get(reverse("forum_pages:export", args=[forum.pk, kind, "xlsx"]))
        book = load_workbook(io.BytesIO(response.content))
        sheet = book.active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0]
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
    book = load_workbook(
        io.BytesIO(
            client.get(reverse("forum_pages:export", args=[forum.pk, "meetings", "xlsx"])).content
        )
    )
    meetings = list(book.active.iter_rows(values_only=True))
    assert len(meetings) == 1 + 5
    book = load_workbook(
        io.BytesIO(
            client.get(reverse("forum_pages:export", args=[forum.pk, "outcomes", "xlsx"])).content
        )
    )
    comments = [row[-1] for row in book.active.iter_rows(values_only=True)]
    assert "'-1+2" in comments


def test_safe_cell_leaves_numbers_alone():
    assert exports.safe_cell(-3) == -3
    assert exports.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert exports.safe_cell(None) == ""
