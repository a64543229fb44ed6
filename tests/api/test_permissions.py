"""The permission matrix: every endpoint and method, asked by every kind of caller.

The rules are the pages' rules: anonymous callers get 401; a role-restricted endpoint answers
403 to other roles; an object the caller may not see is 404 (so B learns nothing about A's
things); an object the caller sees but may not act on (a meeting request on the wrong side)
is 403. Each row names the objects it needs; `{name}` in the path is that object's id.
"""

from dataclasses import dataclass, field

import pytest

from tests.api.conftest import USERS, error_shape

A, B = "producer_a", "producer_b"


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    anonymous: int
    producer_a: int
    producer_b: int
    buyer_a: int
    buyer_b: int
    organiser: int
    body: dict = field(default_factory=dict)
    needs: tuple[str, ...] = ()

    def expected(self, user: str) -> int:
        return getattr(self, user)


# fmt: off
MATRIX = [
    #    method    path                                        anon pA   pB   bA   bB   org
    # The token endpoint ignores who is logged in: only the credentials sent count.
    Row("post",   "auth/token/",                                400, 400, 400, 400, 400, 400,
        body={"email": "producer.a@example.org", "password": "wrong"}),
    Row("get",    "auth/token/",                                405, 405, 405, 405, 405, 405),
    Row("get",    "catalogue/",                                 200, 200, 200, 200, 200, 200),
    Row("get",    "catalogue/{approved_a}/",                    200, 200, 200, 200, 200, 200),
    Row("get",    "catalogue/{draft_a}/",                       404, 404, 404, 404, 404, 404),
    Row("get",    "catalogue/{submitted_a}/",                   404, 404, 404, 404, 404, 404),
    Row("get",    "producer/products/",                         401, 200, 200, 403, 403, 403),
    Row("post",   "producer/products/",                         401, 201, 201, 403, 403, 403,
        body={"category": "T-FOOD-SPICE", "name": "Pepper", "unit_of_sale": "kg",
              "capacity": "2", "capacity_unit": "t"}, needs=("spices", "kg", "tonne")),
    Row("get",    "producer/products/{draft_a}/",               401, 200, 404, 403, 403, 403),
    Row("patch",  "producer/products/{draft_a}/",               401, 200, 404, 403, 403, 403,
        body={"name": "Kampot red pepper"}),
    Row("delete", "producer/products/{draft_a}/",               401, 204, 404, 403, 403, 403),
    Row("post",   "producer/products/{draft_a}/submit/",        401, 200, 404, 403, 403, 403),
    Row("get",    "producer/products/{approved_a}/",            401, 200, 404, 403, 403, 403),
    Row("get",    "buyer/needs/",                               401, 403, 403, 200, 200, 403),
    Row("post",   "buyer/needs/",                               401, 403, 403, 201, 201, 403,
        body={"category": "T-FOOD-SPICE", "volume": "500", "unit": "kg"},
        needs=("spices", "kg")),
    Row("get",    "buyer/needs/{need_a}/",                      401, 403, 403, 200, 404, 403),
    Row("patch",  "buyer/needs/{need_a}/",                      401, 403, 403, 200, 404, 403,
        body={"notes": "Samples first, please."}),
    Row("post",   "buyer/needs/{need_a}/close/",                401, 403, 403, 200, 404, 403),
    Row("post",   "buyer/needs/{need_a}/reopen/",               401, 403, 403, 200, 404, 403),
    Row("get",    "review/",                                    401, 403, 403, 403, 403, 200),
    Row("post",   "review/{submitted_a}/approve/",              401, 403, 403, 403, 403, 200),
    Row("post",   "review/{submitted_a}/reject/",               401, 403, 403, 403, 403, 200,
        body={"reason": "The photos are blurred."}),
    Row("get",    "meeting-requests/",                          401, 200, 200, 200, 200, 200),
    # A buyer asks about a product; producers must name a need instead (400), organisers
    # do not ask to meet (403).
    Row("post",   "meeting-requests/",                          401, 400, 400, 201, 201, 403,
        body={"product": "{approved_a}"}),
    # A producer offers on a need: only A has an approved listing in its category; buyers
    # must name a product (and B may not name A's need).
    Row("post",   "meeting-requests/",                          401, 201, 400, 400, 400, 403,
        body={"need": "{need_a}"}, needs=("approved_a",)),
    Row("get",    "meeting-requests/{request_a}/",              401, 200, 404, 200, 404, 200),
    Row("post",   "meeting-requests/{request_a}/accept/",       401, 200, 404, 403, 404, 403),
    Row("post",   "meeting-requests/{request_a}/decline/",      401, 200, 404, 403, 404, 403),
    Row("post",   "meeting-requests/{request_a}/cancel/",       401, 403, 404, 200, 404, 403),
]
# fmt: on

OBJECTS = ("approved_a", "draft_a", "submitted_a", "need_a", "request_a")


def _fill(text: str, ids: dict[str, int]) -> str:
    return text.format(**ids)


def _case_id(row: Row) -> str:
    return f"{row.method.upper()} {row.path}" + (f" {sorted(row.body)}" if row.body else "")


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("row", MATRIX, ids=[_case_id(row) for row in MATRIX])
def test_every_endpoint_answers_every_kind_of_caller_as_the_rules_say(
    request, api_as, cast, row, user
):
    names = {name for name in OBJECTS if "{" + name + "}" in row.path + str(row.body)}
    ids = {name: request.getfixturevalue(name).pk for name in names | set(row.needs)}

    path = "/api/v1/" + _fill(row.path, ids)
    body = {
        key: (int(_fill(value, ids)) if value.startswith("{") else value)
        for key, value in row.body.items()
    }
    client = api_as(cast[user])

    response = getattr(client, row.method)(path, body, format="json")

    expected = row.expected(user)
    assert response.status_code == expected, (user, path, response.content[:400])
    if expected >= 400:
        body = error_shape(response)
        if expected == 401:
            assert response["WWW-Authenticate"].startswith("Token")


def test_the_matrix_covers_every_api_route():
    """A new endpoint without a row here fails this test."""
    from forum_market import api_urls

    routes = {
        str(pattern.pattern).replace("<int:pk>", "{}")
        for pattern in api_urls.urlpatterns
        if pattern.name != "not_found"
    }
    covered = {row.path.replace("{approved_a}", "{}") for row in MATRIX}
    covered = {
        path.replace("{draft_a}", "{}")
        .replace("{submitted_a}", "{}")
        .replace("{need_a}", "{}")
        .replace("{request_a}", "{}")
        for path in covered
    }
    assert routes <= covered, routes - covered
