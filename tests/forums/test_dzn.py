"""The MiniZinc .dzn reader and its B2B instance conversion (pure, no database)."""

from pathlib import Path

import pytest

from forums.dzn import DznError, load_b2b, parse_b2b, parse_dzn

BENCHMARKS = Path("/work/shared/benchmarks/b2b-meeting-scheduling")


def test_parse_values_sets_ranges_and_arrays():
    data = parse_dzn(
        """
        % a comment
        n = 3;  x = -2; flag = true; name = "forum";
        s = {1, 3..5, 9};  e = {};  r = 2..4;
        sets = [{}, {3,4}, 1..3, {0}];
        grid = [| 1, 2, 3 | 4, 5, 6 |];
        trailing = [|1, 2,1,
        |3, 4,2,
        |];
        flat = array2d(1..2, 1..2, [7, 8, 9, 10]);
        /* block
           comment */
        last = [1, 2, 3,]
        """
    )
    assert data["n"] == 3 and data["x"] == -2 and data["flag"] is True
    assert data["name"] == "forum"
    assert data["s"] == frozenset({1, 3, 4, 5, 9})
    assert data["e"] == frozenset() and data["r"] == frozenset({2, 3, 4})
    assert data["sets"] == [frozenset(), frozenset({3, 4}), frozenset({1, 2, 3}), frozenset({0})]
    assert data["grid"] == [[1, 2, 3], [4, 5, 6]]
    assert data["trailing"] == [[1, 2, 1], [3, 4, 2]]
    assert data["flat"] == [[7, 8], [9, 10]]
    assert data["last"] == [1, 2, 3]


@pytest.mark.parametrize(
    "text",
    ["n = ;", "n = 3", "s = {1,,2};", "a = [| 1, 2 | 3 |];", "x = @;", "v = foo;"],
)
def test_malformed_text_is_rejected(text):
    if text == "n = 3":  # the last semicolon may be omitted
        assert parse_dzn(text) == {"n": 3}
        return
    with pytest.raises(DznError):
        parse_dzn(text)


CRAFTED = """
nBusiness = 4;
nMeetings = 3;
nTables = 2;
nTotalSlots = 5;
nMorningSlots = 3;
requested = [| 1, 2, 1 | 1, 3, 3 | 4, 2, 2 |];
nMeetingsBusiness = [2, 2, 1, 1];
forbidden = [{0}, {3,4}, 1..2, {0, 5}];
fixed = [0, 2, 0];
precedences = [{}, {1}, {}];
"""


def test_b2b_conversion_of_forbidden_sets_ranges_fixed_and_precedences():
    b2b = parse_b2b(CRAFTED, name="crafted")
    inst = b2b.instance
    assert inst.n_participants == 4 and inst.n_tables == 2 and inst.n_slots == 5
    assert [(s.part, s.n_slots) for s in inst.sessions] == [("morning", 3), ("afternoon", 2)]
    assert [(m.a, m.b, m.session) for m in inst.meetings] == [
        (0, 1, "morning"),
        (0, 2, "either"),
        (3, 1, "afternoon"),
    ]
    # 1-based in the file, 0-based here; 0 is the files' "no slot" placeholder.
    assert inst.unavailable == (
        frozenset(),
        frozenset({2, 3}),
        frozenset({0, 1}),
        frozenset({4}),
    )
    assert [m.fixed_slot for m in inst.meetings] == [None, 1, None]
    assert b2b.precedences[1] == frozenset({1})
    assert any("precedences" in w for w in b2b.warnings)


def test_b2b_inconsistent_counts_warn_and_bad_rows_fail():
    text = CRAFTED.replace("nMeetingsBusiness = [2, 2, 1, 1]", "nMeetingsBusiness = [2, 2, 2, 1]")
    assert any("nMeetingsBusiness" in w for w in parse_b2b(text).warnings)
    with pytest.raises(DznError):
        parse_b2b(CRAFTED.replace("| 4, 2, 2 |]", "| 4, 4, 2 |]"))
    with pytest.raises(DznError):
        parse_b2b(CRAFTED.replace("nMeetings = 3", "nMeetings = 4"))
    with pytest.raises(DznError):
        parse_b2b(CRAFTED.replace("1, 3, 3", "1, 3, 7"))


@pytest.mark.skipif(not BENCHMARKS.exists(), reason="benchmark files not present")
def test_real_benchmark_file():
    b2b = load_b2b(BENCHMARKS / "forum-13.original.dzn")
    inst = b2b.instance
    assert b2b.name == "forum-13"
    assert b2b.warnings == []
    assert (inst.n_participants, len(inst.meetings), inst.n_tables, inst.n_slots) == (
        70,
        154,
        14,
        21,
    )
    assert [s.n_slots for s in inst.sessions] == [13, 8]
    assert (inst.meetings[0].a, inst.meetings[0].b, inst.meetings[0].session) == (0, 1, "morning")
    assert inst.meetings[9].session == "afternoon"  # "6, 26, 2"
    assert inst.unavailable[2] == frozenset({16})  # "{0,17}" for the third participant
    assert sum(len(u) for u in inst.unavailable) == 22
    counts = [len(ms) for ms in inst.meetings_of()]
    assert counts[:5] == [9, 4, 5, 5, 3]
