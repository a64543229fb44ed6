"""Every list is paginated the same way: `page` and `page_size` (capped at 100), count /
next / previous; a page that does not exist, or a size that is not a positive whole number,
is a 400 that names the parameter, never a 404 or a 500."""

import pytest

from forum_market.api import ApiPagination
from tests.api.conftest import error_shape
from tests.factories import ForumFactory, MeetingRequestFactory, ProductFactory, SourcingNeedFactory


def _three_of_each(business_a, organisation_a, spices, kg):
    for _index in range(3):
        ProductFactory(producer=business_a, category=spices, approved=True)
        ProductFactory(producer=business_a, category=spices, submitted=True)
        SourcingNeedFactory(buyer=organisation_a, category=spices, unit=kg)
        MeetingRequestFactory(
            forum=ForumFactory(),
            buyer=organisation_a,
            producer=business_a,
            product=ProductFactory(producer=business_a, category=spices, approved=True),
        )


# (path, who lists it, how many items the three-of-each data gives it)
LISTS = [
    ("catalogue/", "anonymous", 6),
    ("producer/products/", "producer_a", 9),
    ("buyer/needs/", "buyer_a", 3),
    ("review/", "organiser", 3),
    ("meeting-requests/", "buyer_a", 3),
]


@pytest.fixture
def lists(cast, business_a, organisation_a, spices, kg):
    _three_of_each(business_a, organisation_a, spices, kg)
    return cast


@pytest.mark.parametrize(("path", "user", "total"), LISTS)
def test_every_list_pages_with_page_and_page_size(api_as, lists, path, user, total):
    client = api_as(lists[user])

    first = client.get(f"/api/v1/{path}?page_size=2").json()
    last_page = (total + 1) // 2
    last = client.get(f"/api/v1/{path}?page_size=2&page={last_page}").json()

    assert first["count"] == total
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert "page=2" in first["next"] and "page_size=2" in first["next"]
    assert len(last["results"]) == total - 2 * (last_page - 1)
    assert last["next"] is None
    ids = [item["id"] for item in client.get(f"/api/v1/{path}?page_size=100").json()["results"]]
    assert len(ids) == len(set(ids)) == total


@pytest.mark.parametrize(("path", "user", "total"), LISTS)
@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=99", "page"),
        ("page=99999999999999999999", "page"),
        pytest.param("page=" + "9" * 5000, "page", id="page=9x5000"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page_size=-1", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=abc", "page_size"),
        ("page_size=99999999999999999999999999", None),  # capped, not refused
    ],
)
def test_pages_that_do_not_exist_are_a_400_naming_the_parameter(
    api_as, lists, path, user, total, query, parameter
):
    response = api_as(lists[user]).get(f"/api/v1/{path}?{query}")

    if parameter is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.content
    body = error_shape(response)
    assert list(body["errors"]) == [parameter]
    assert body["detail"].startswith(f"{parameter}: ")


def test_past_the_end_says_which_page_is_the_last(api_as, lists):
    response = api_as(None).get("/api/v1/catalogue/?page_size=4&page=3")

    assert response.json()["errors"] == {"page": ["There is no page 3: the last page is 2."]}


def test_an_empty_list_has_one_empty_page(api_as, cast):
    response = api_as(cast["buyer_a"]).get("/api/v1/buyer/needs/?page=1")

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_page_size_is_capped_at_100(api_as, buyer_a, organisation_a, spices, kg):
    SourcingNeedFactory.create_batch(101, buyer=organisation_a, category=spices, unit=kg)

    body = api_as(buyer_a).get("/api/v1/buyer/needs/?page_size=1000").json()

    assert ApiPagination.max_page_size == 100
    assert body["count"] == 101
    assert len(body["results"]) == 100
    assert "page=2" in body["next"]


@pytest.mark.parametrize(("path", "user", "total"), LISTS)
def test_every_list_is_capped(api_as, lists, monkeypatch, path, user, total):
    monkeypatch.setattr(ApiPagination, "max_page_size", 2)

    body = api_as(lists[user]).get(f"/api/v1/{path}?page_size=1000").json()

    assert len(body["results"]) == 2


def test_default_page_size_is_20(api_as, buyer_a, organisation_a, spices, kg):
    SourcingNeedFactory.create_batch(21, buyer=organisation_a, category=spices, unit=kg)

    body = api_as(buyer_a).get("/api/v1/buyer/needs/").json()

    assert len(body["results"]) == 20
