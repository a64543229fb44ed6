"""The pure meeting scheduler: exact small cases, reasons, rules, rescheduling, time-outs,
and a property test that whatever it returns passes the independent checker."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forums import scheduler
from forums.dzn import load_b2b
from forums.scheduler import (
    Instance,
    Meeting,
    Session,
    check_schedule,
    count_breaks,
    solve,
    synthetic_forum,
)

BENCHMARKS = Path("/work/shared/benchmarks/b2b-meeting-scheduling")
A, B, C, D = range(4)


def one_session(n_people, meetings, tables, slots, unavailable=()):
    return Instance(
        n_participants=n_people,
        meetings=tuple(meetings),
        n_tables=tables,
        sessions=(Session(0, "morning", slots),),
        unavailable=tuple(unavailable),
    )


def assert_valid(inst, result):
    assert check_schedule(inst, result.slots) == []
    assert result.breaks == count_breaks(inst, result.slots)
    assert result.total_breaks == sum(result.breaks)
    unscheduled = {u.meeting for u in result.unscheduled}
    assert unscheduled == {i for i, t in enumerate(result.slots) if t is None}
    for i, t in enumerate(result.slots):
        assert (t is None) == (result.tables[i] is None)
    for t in set(result.slots) - {None}:
        used = [result.tables[i] for i, s in enumerate(result.slots) if s == t]
        assert len(used) == len(set(used)) and all(0 <= k < inst.n_tables for k in used)


def test_count_breaks_and_checker_by_hand():
    inst = Instance.single_day(3, [Meeting(A, B), Meeting(A, C), Meeting(B, C)], 2, 6, 3)
    # A meets at 0 and 3 (one break), B at 0 and 5, C at 3 and 5.
    assert count_breaks(inst, [0, 3, 5]) == [1, 1, 1]
    assert count_breaks(inst, [0, 1, 2]) == [0, 1, 0]
    assert count_breaks(inst, [0, None, None]) == [0, 0, 0]
    assert check_schedule(inst, [0, 0, 1])  # A twice in slot 0
    tight = Instance.single_day(4, [Meeting(A, B), Meeting(C, D)], 1, 2, 1)
    assert any("tables" in e for e in check_schedule(tight, [0, 0]))
    rules = Instance.single_day(2, [Meeting(A, B, "afternoon")], 1, 2, 1, [{1}, set()])
    errors = check_schedule(rules, [0])
    assert any("afternoon" in e for e in errors)
    assert any("unavailable" in e for e in check_schedule(rules, [1]))
    assert check_schedule(rules, [5]) and check_schedule(rules, [0, 1])


def test_breaks_are_counted_per_day():
    sessions = (Session(0, "morning", 2), Session(1, "morning", 2))
    inst = Instance(2, (Meeting(A, B), Meeting(A, B)), 1, sessions)
    # Last slot of day 1 and first of day 2: two days, no break on either.
    assert count_breaks(inst, [1, 2]) == [0, 0]
    assert count_breaks(inst, [0, 1]) == [0, 0]


def test_small_instance_exact_optimum():
    # A meets B, C, D; B also meets C. With two tables BC can share the middle slot of A's
    # block: AB@0, AD@1, BC@1, AC@2, no breaks. With one table the four meetings fill four
    # slots and, wherever BC goes, A, B or C breaks once: the optimum is exactly 1.
    meetings = [Meeting(A, B), Meeting(A, C), Meeting(A, D), Meeting(B, C)]
    two_tables = one_session(4, meetings, 2, 4)
    two = solve(two_tables, time_limit=5)
    assert_valid(two_tables, two)
    assert two.n_scheduled == 4 and two.total_breaks == 0 and two.optimal
    one_table = one_session(4, meetings, 1, 4)
    one = solve(one_table, time_limit=5)
    assert_valid(one_table, one)
    assert one.n_scheduled == 4 and one.total_breaks == 1 and one.optimal
    assert one.spread == 1


def test_triangle_always_has_one_break():
    inst = one_session(3, [Meeting(A, B), Meeting(A, C), Meeting(B, C)], 3, 3)
    result = solve(inst, time_limit=5)
    assert_valid(inst, result)
    assert result.total_breaks == 1 and result.optimal


def test_more_meetings_than_slots_is_reported():
    inst = one_session(4, [Meeting(A, B), Meeting(A, C), Meeting(A, D)], 3, 2)
    result = solve(inst, time_limit=5)
    assert_valid(inst, result)
    assert result.n_scheduled == 2
    (why,) = result.unscheduled
    assert why.code == "overloaded"
    assert "3 meetings requested" in why.reason and "only 2" in why.reason


def test_morning_overload_names_the_session():
    E = 4
    meetings = [Meeting(A, B, "morning"), Meeting(A, C, "morning"), Meeting(A, D, "morning")]
    inst = Instance.single_day(5, [*meetings, Meeting(A, E)], 2, 4, 2)
    result = solve(inst, time_limit=5)
    assert_valid(inst, result)
    assert result.n_scheduled == 3
    (why,) = result.unscheduled
    assert why.code == "overloaded"
    assert why.reason == (
        "participant #1 has 3 meetings requested in the morning "
        "but only 2 morning slots are available to them"
    )
    assert result.slots[3] is not None  # the "either" meeting still fits


def test_tables_full_is_reported_and_priority_decides():
    inst = one_session(4, [Meeting(A, B, priority=1), Meeting(C, D, priority=5)], 1, 1)
    result = solve(inst, time_limit=5)
    assert_valid(inst, result)
    assert result.slots == [None, 0]
    (why,) = result.unscheduled
    assert why.meeting == 0 and why.code == "tables_full"


def test_no_common_slot_is_reported():
    inst = one_session(2, [Meeting(A, B)], 1, 2, unavailable=[{0}, {1}])
    result = solve(inst, time_limit=5)
    assert result.slots == [None]
    assert result.unscheduled[0].code == "no_common_slot"
    assert "#1" in result.unscheduled[0].reason


def test_conflict_reason():
    # A and B each have a fixed meeting elsewhere in the only two slots.
    meetings = [Meeting(A, C, fixed_slot=0), Meeting(B, D, fixed_slot=1), Meeting(A, B)]
    inst = Instance(4, tuple(meetings), 2, (Session(0, "morning", 2),))
    result = solve(inst, time_limit=5)
    assert_valid(inst, result)
    assert result.slots[:2] == [0, 1] and result.slots[2] is None
    assert result.unscheduled[0].code == "conflict"


def test_unavailability_sessions_and_tables_are_respected():
    meetings = [
        Meeting(A, B, "afternoon"),
        Meeting(A, C, "morning"),
        Meeting(B, C),
        Meeting(C, D, "afternoon"),
        Meeting(A, D),
        Meeting(B, D, "morning"),
    ]
    inst = Instance.single_day(4, meetings, 1, 6, 3, unavailable=[{0}, {4}, set(), {5}])
    result = solve(inst, time_limit=5)
    assert_valid(inst, result)
    assert result.n_scheduled == 6
    for m, t in zip(meetings, result.slots, strict=True):
        part = "morning" if t < 3 else "afternoon"
        assert m.session in ("either", part)
        assert t not in inst.unavailable[m.a] | inst.unavailable[m.b]
    assert max(result.table_load) <= 1 and sum(result.table_load) == 6


def test_reschedule_keeps_fixed_meetings():
    inst = synthetic_forum(
        7, n_producers=6, n_buyers=8, n_meetings=24, n_tables=4, n_days=1, slots_per_session=4
    )
    first = solve(inst, time_limit=3)
    assert_valid(inst, first)
    keep = [i for i, t in enumerate(first.slots) if t is not None][:10]
    meetings = [
        Meeting(m.a, m.b, m.session, m.priority, fixed_slot=first.slots[i] if i in keep else None)
        for i, m in enumerate(inst.meetings)
    ]
    meetings.append(Meeting(0, 6))  # a late request
    changed = Instance(
        inst.n_participants,
        tuple(meetings),
        inst.n_tables,
        inst.sessions,
        inst.unavailable,
        inst.participant_names,
    )
    second = solve(changed, time_limit=3, hint=first.slots + [None])
    assert_valid(changed, second)
    assert all(second.slots[i] == first.slots[i] for i in keep)


def test_progress_is_reported():
    calls = []
    inst = one_session(3, [Meeting(A, B), Meeting(A, C), Meeting(B, C)], 1, 3)
    solve(inst, time_limit=2, progress=lambda f, msg: calls.append((f, msg)))
    assert calls and all(0.0 <= f <= 1.0 for f, _ in calls)
    assert calls[-1][0] == 1.0 and calls[-1][1].startswith("done")


@pytest.mark.skipif(not BENCHMARKS.exists(), reason="benchmark files not present")
def test_very_short_time_limit_still_returns_a_valid_schedule():
    inst = load_b2b(BENCHMARKS / "forum-13crafb.original.dzn").instance
    result = solve(inst, time_limit=0.05, fairness_d=2)
    assert_valid(inst, result)
    assert result.n_scheduled == len(inst.meetings)
    assert result.seconds < 3


def test_day_by_day_decomposition(monkeypatch):
    monkeypatch.setattr(scheduler, "_DECOMPOSE_ABOVE", 10)
    inst = synthetic_forum(
        3, n_producers=10, n_buyers=14, n_meetings=40, n_tables=6, n_days=2, slots_per_session=3
    )
    result = solve(inst, time_limit=3)
    assert_valid(inst, result)
    assert any("day by day" in line for line in result.log)
    feasible = len(inst.meetings) - sum(
        1 for u in result.unscheduled if u.code in ("no_common_slot", "overloaded")
    )
    assert result.n_scheduled == feasible


@st.composite
def instances(draw):
    n_people = draw(st.integers(2, 6))
    n_days = draw(st.integers(1, 2))
    sessions = []
    for day in range(n_days):
        sessions.append(Session(day, "morning", draw(st.integers(1, 3))))
        if draw(st.booleans()):
            sessions.append(Session(day, "afternoon", draw(st.integers(1, 3))))
    n_slots = sum(s.n_slots for s in sessions)
    pairs = st.tuples(st.integers(0, n_people - 1), st.integers(0, n_people - 1)).filter(
        lambda ab: ab[0] != ab[1]
    )
    meetings = []
    for a, b in draw(st.lists(pairs, max_size=9)):
        fixed = draw(st.one_of(st.none(), st.integers(0, n_slots - 1)))
        meetings.append(
            Meeting(
                a,
                b,
                draw(st.sampled_from(["morning", "afternoon", "either"])),
                priority=draw(st.integers(1, 3)),
                fixed_slot=fixed if draw(st.integers(0, 4)) == 0 else None,
            )
        )
    unavailable = [draw(st.sets(st.integers(0, n_slots - 1), max_size=2)) for _ in range(n_people)]
    return Instance(
        n_people, tuple(meetings), draw(st.integers(1, 3)), tuple(sessions), tuple(unavailable)
    )


def test_empty_and_slotless_forums():
    empty = Instance(2, (), 1, (Session(0, "morning", 3),))
    result = solve(empty, time_limit=1)
    assert result.slots == [] and result.optimal and result.total_breaks == 0
    slotless = Instance(2, (Meeting(A, B),), 1, ())
    result = solve(slotless, time_limit=1)
    assert result.slots == [None] and result.unscheduled[0].code == "no_common_slot"


def test_sessions_must_be_in_time_order():
    with pytest.raises(ValueError):
        Instance(2, (), 1, (Session(1, "morning", 2), Session(0, "morning", 2)))
    with pytest.raises(ValueError):
        Instance(2, (Meeting(A, A),), 1, (Session(0, "morning", 2),))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(
    instances(),
    st.sampled_from([None, 1]),
    st.lists(st.one_of(st.none(), st.integers(0, 7)), max_size=9),
)
def test_any_returned_schedule_passes_the_checker(inst, fairness, hint):
    # The hint may be stale or plain wrong: it is a starting point, never trusted.
    hint = (hint + [None] * len(inst.meetings))[: len(inst.meetings)]
    result = solve(inst, time_limit=0.5, fairness_d=fairness, hint=hint)
    assert_valid(inst, result)
    for u in result.unscheduled:
        assert u.reason and u.code in {
            "no_common_slot",
            "overloaded",
            "tables_full",
            "fixed_slot",
            "conflict",
        }
