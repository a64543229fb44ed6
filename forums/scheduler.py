"""Business-to-business meeting scheduler (Bofill et al., JAIR 74, 2022) on OR-Tools CP-SAT.

Pure core with no Django imports: the forums app feeds it plain dataclasses built from its
models, and the ``bench_schedule`` command feeds it the published benchmark instances.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ortools.sat.python import cp_model

SessionRule = Literal["morning", "afternoon", "either"]
Part = Literal["morning", "afternoon"]


@dataclass(frozen=True)
class Session:
    """A run of consecutive slots: the morning or afternoon of one forum day."""

    day: int
    part: Part
    n_slots: int
    label: str = ""


@dataclass(frozen=True)
class Meeting:
    """A requested meeting between participants ``a`` and ``b`` (0-based indexes).

    ``priority`` (a positive integer, e.g. a match score) decides which meetings are dropped
    first when not all fit. ``fixed_slot`` pins the meeting (late changes: reschedule the
    rest around it). ``allowed_slots`` optionally narrows the slots further (e.g. one day).
    ``key`` is the caller's identifier, carried through untouched.
    """

    a: int
    b: int
    session: SessionRule = "either"
    priority: int = 1
    fixed_slot: int | None = None
    allowed_slots: frozenset[int] | None = None
    key: object = None


@dataclass(frozen=True)
class Instance:
    """A forum to schedule. Slots are numbered 0.. through the sessions in order.

    Breaks are counted per day over that day's consecutive slots, the paper's definition:
    a break is a run of idle slots between two meetings of a participant on the same day.
    """

    n_participants: int
    meetings: tuple[Meeting, ...]
    n_tables: int
    sessions: tuple[Session, ...]
    unavailable: tuple[frozenset[int], ...] = ()
    participant_names: tuple[str, ...] | None = None
    _slot_session: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "meetings", tuple(self.meetings))
        object.__setattr__(self, "sessions", tuple(self.sessions))
        unavailable = tuple(frozenset(s) for s in self.unavailable)
        if not unavailable:
            unavailable = tuple(frozenset() for _ in range(self.n_participants))
        if len(unavailable) != self.n_participants:
            raise ValueError("unavailable needs one set of slots per participant")
        object.__setattr__(self, "unavailable", unavailable)
        if self.participant_names is not None:
            names = tuple(self.participant_names)
            if len(names) != self.n_participants:
                raise ValueError("participant_names needs one name per participant")
            object.__setattr__(self, "participant_names", names)
        if self.n_tables < 0:
            raise ValueError("n_tables must not be negative")
        for i, m in enumerate(self.meetings):
            if not (0 <= m.a < self.n_participants and 0 <= m.b < self.n_participants):
                raise ValueError(f"meeting {i} has a participant out of range")
            if m.a == m.b:
                raise ValueError(f"meeting {i} has the same participant twice")
            if m.session not in ("morning", "afternoon", "either"):
                raise ValueError(f"meeting {i} has unknown session rule {m.session!r}")
            if m.priority < 1:
                raise ValueError(f"meeting {i} needs a positive priority")
        slot_session: list[int] = []
        for s, session in enumerate(self.sessions):
            if s and session.day < self.sessions[s - 1].day:
                raise ValueError("sessions must be in time order (a day's slots consecutive)")
            if session.part not in ("morning", "afternoon") or session.n_slots < 0:
                raise ValueError(f"session {s} is not a morning or afternoon of >= 0 slots")
            slot_session.extend([s] * session.n_slots)
        object.__setattr__(self, "_slot_session", tuple(slot_session))

    @classmethod
    def single_day(
        cls,
        n_participants: int,
        meetings: Iterable[Meeting],
        n_tables: int,
        n_slots: int,
        n_morning_slots: int,
        unavailable: Sequence[Iterable[int]] = (),
    ) -> Instance:
        """The benchmark shape: one morning of ``n_morning_slots`` and one afternoon."""
        sessions = [Session(0, "morning", n_morning_slots)]
        if n_slots > n_morning_slots:
            sessions.append(Session(0, "afternoon", n_slots - n_morning_slots))
        return cls(
            n_participants=n_participants,
            meetings=tuple(meetings),
            n_tables=n_tables,
            sessions=tuple(sessions),
            unavailable=tuple(frozenset(u) for u in unavailable),
        )

    @property
    def n_slots(self) -> int:
        return len(self._slot_session)

    def slot_session(self, t: int) -> Session:
        return self.sessions[self._slot_session[t]]

    def day_slots(self) -> list[list[int]]:
        """Slots of each day in order; consecutive slots of one day can form a break."""
        days: dict[int, list[int]] = {}
        for t in range(self.n_slots):
            days.setdefault(self.slot_session(t).day, []).append(t)
        return list(days.values())

    def name(self, p: int) -> str:
        if self.participant_names is not None:
            return self.participant_names[p]
        return f"#{p + 1}"

    def meetings_of(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in range(self.n_participants)]
        for i, m in enumerate(self.meetings):
            out[m.a].append(i)
            out[m.b].append(i)
        return out

    def rule_slots(self, meeting: Meeting) -> list[int]:
        """Slots allowed by the session rule and ``allowed_slots``, ignoring availability."""
        out = []
        for t in range(self.n_slots):
            if meeting.session != "either" and self.slot_session(t).part != meeting.session:
                continue
            if meeting.allowed_slots is not None and t not in meeting.allowed_slots:
                continue
            out.append(t)
        return out

    def domain(self, i: int) -> list[int]:
        """Slots where meeting ``i`` may go: rule slots where both participants are available."""
        m = self.meetings[i]
        blocked = self.unavailable[m.a] | self.unavailable[m.b]
        slots = [t for t in self.rule_slots(m) if t not in blocked]
        if m.fixed_slot is not None:
            slots = [t for t in slots if t == m.fixed_slot]
        return slots


def count_breaks(instance: Instance, slots: Sequence[int | None]) -> list[int]:
    """Breaks per participant: runs of idle slots between two of its meetings on one day."""
    busy: list[set[int]] = [set() for _ in range(instance.n_participants)]
    for m, t in zip(instance.meetings, slots, strict=True):
        if t is not None:
            busy[m.a].add(t)
            busy[m.b].add(t)
    days = instance.day_slots()
    out = []
    for used in busy:
        breaks = 0
        for day in days:
            pattern = [t in used for t in day]
            if not any(pattern):
                continue
            first = pattern.index(True)
            last = len(pattern) - 1 - pattern[::-1].index(True)
            inner = pattern[first : last + 1]
            breaks += sum(1 for k in range(1, len(inner)) if inner[k] and not inner[k - 1])
        out.append(breaks)
    return out


def check_schedule(instance: Instance, slots: Sequence[int | None]) -> list[str]:
    """Independently verify a schedule; returns the list of violations (empty when valid).

    Checks one slot per meeting within range, no participant twice in a slot, at most
    ``n_tables`` meetings per slot, session rules, allowed and unavailable slots, fixed slots.
    """
    errors: list[str] = []
    if len(slots) != len(instance.meetings):
        return [f"{len(slots)} slots given for {len(instance.meetings)} meetings"]
    seen: dict[tuple[int, int], int] = {}
    load = [0] * instance.n_slots
    for i, (m, t) in enumerate(zip(instance.meetings, slots, strict=True)):
        if t is None:
            continue
        if not isinstance(t, int) or not 0 <= t < instance.n_slots:
            errors.append(f"meeting {i}: slot {t!r} out of range")
            continue
        load[t] += 1
        part = instance.slot_session(t).part
        if m.session != "either" and part != m.session:
            errors.append(f"meeting {i}: slot {t} is in the {part}, rule is {m.session}")
        if m.allowed_slots is not None and t not in m.allowed_slots:
            errors.append(f"meeting {i}: slot {t} is not among its allowed slots")
        if m.fixed_slot is not None and t != m.fixed_slot:
            errors.append(f"meeting {i}: fixed to slot {m.fixed_slot} but placed in {t}")
        for p in (m.a, m.b):
            if t in instance.unavailable[p]:
                errors.append(f"meeting {i}: participant {instance.name(p)} unavailable at {t}")
            other = seen.get((p, t))
            if other is not None:
                errors.append(
                    f"participant {instance.name(p)} double-booked in slot {t}"
                    f" (meetings {other} and {i})"
                )
            seen[(p, t)] = i
    for t, n in enumerate(load):
        if n > instance.n_tables:
            errors.append(f"slot {t}: {n} meetings for {instance.n_tables} tables")
    return errors


@dataclass
class Unscheduled:
    """A meeting left out of the schedule, and why."""

    meeting: int
    reason: str
    code: str = "conflict"


@dataclass
class ScheduleResult:
    """Outcome of :func:`solve`. ``slots[i]`` is the slot of meeting ``i`` or None.

    ``tables[i]`` is a table number 0..n_tables-1 (the first participant keeps its table
    when it can). ``breaks[p]`` per participant; ``spread`` is max - min over participants
    with at least one meeting; ``table_load[t]`` meetings in slot ``t``. ``status``:
    "OPTIMAL" (every objective proven), "OPTIMAL_BREAKS" (meetings and breaks proven, the
    spread not), or "FEASIBLE" (valid, the best found in time). ``optimal`` is True when
    the number of meetings and the total breaks are proven optimal; ``lower_bound`` is the
    best proven bound on total breaks. ``log`` holds one line per solver phase.
    """

    slots: list[int | None]
    tables: list[int | None]
    unscheduled: list[Unscheduled]
    breaks: list[int]
    total_breaks: int
    spread: int
    table_load: list[int]
    status: str
    optimal: bool
    seconds: float
    lower_bound: int = 0
    log: list[str] = field(default_factory=list)

    @property
    def n_scheduled(self) -> int:
        return sum(1 for t in self.slots if t is not None)


# ---------------------------------------------------------------------------------------
# Solver
# ---------------------------------------------------------------------------------------

ProgressFn = Callable[[float, str], None]


class _Clock:
    """Wall-clock budget shared by all phases, and the progress reporter."""

    def __init__(self, time_limit: float, progress: ProgressFn | None) -> None:
        self.start = time.monotonic()
        self.time_limit = max(0.0, time_limit)
        self.deadline = self.start + self.time_limit
        self.progress = progress

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def report(self, message: str, fraction: float | None = None) -> None:
        if self.progress is None:
            return
        if fraction is None:
            fraction = self.elapsed() / self.time_limit if self.time_limit else 1.0
        self.progress(min(1.0, max(0.0, fraction)), message)


def _break_delta(used: set[int], t: int, day: Sequence[int]) -> int:
    """How many breaks adding slot ``t`` creates (negative: it closes a gap)."""
    left = max((s for s in used if day[0] <= s < t), default=None)
    right = min((s for s in used if t < s <= day[-1]), default=None)
    delta = 0
    if left is not None and t > left + 1:
        delta += 1
    if right is not None and right > t + 1:
        delta += 1
    if left is not None and right is not None:
        delta -= 1
    return delta


class _Ctx:
    """Per-solve data derived once from the instance."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.n = len(inst.meetings)
        self.domains = [inst.domain(i) for i in range(self.n)]
        self.meetings_of = inst.meetings_of()
        self.days = inst.day_slots()
        self.day_of = [0] * inst.n_slots
        for d, day in enumerate(self.days):
            for t in day:
                self.day_of[t] = d

    def restricted(self, slots: set[int]) -> _Ctx:
        """The same data with every meeting limited to ``slots`` (e.g. one day)."""
        other = copy.copy(self)
        other.domains = [[t for t in dom if t in slots] for dom in self.domains]
        return other


def _greedy(
    ctx: _Ctx,
    meetings: Iterable[int],
    base: Sequence[int | None] | None = None,
    rng: random.Random | None = None,
) -> list[int | None]:
    """Place meetings one by one where they add the fewest breaks (a fallback and a hint).

    Meetings already placed in ``base`` stay; the others are tried hardest-first.
    """
    inst = ctx.inst
    slots: list[int | None] = list(base) if base is not None else [None] * ctx.n
    busy: list[set[int]] = [set() for _ in range(inst.n_participants)]
    load = [0] * inst.n_slots
    for i, t in enumerate(slots):
        if t is not None:
            m = inst.meetings[i]
            busy[m.a].add(t)
            busy[m.b].add(t)
            load[t] += 1
    degree = [len(ms) for ms in ctx.meetings_of]
    todo = [i for i in meetings if slots[i] is None]
    noise = rng.random if rng is not None else (lambda: 0.0)
    todo.sort(
        key=lambda i: (
            len(ctx.domains[i]),
            -inst.meetings[i].priority,
            -(degree[inst.meetings[i].a] + degree[inst.meetings[i].b]),
            noise(),
        )
    )
    for i in todo:
        m = inst.meetings[i]
        best: tuple[float, int] | None = None
        for t in ctx.domains[i]:
            if load[t] >= inst.n_tables or t in busy[m.a] or t in busy[m.b]:
                continue
            day = ctx.days[ctx.day_of[t]]
            cost = 0.0
            for p in (m.a, m.b):
                cost += _break_delta(busy[p], t, day)
                if t - 1 in busy[p] or t + 1 in busy[p]:
                    cost -= 0.25
            cost += 0.01 * noise()
            if best is None or cost < best[0]:
                best = (cost, t)
        if best is not None:
            t = best[1]
            slots[i] = t
            busy[m.a].add(t)
            busy[m.b].add(t)
            load[t] += 1
    return slots


class _Incumbent(cp_model.CpSolverSolutionCallback):
    """Keeps the best solution seen, so a timeout still yields the best schedule found."""

    def __init__(
        self,
        extract: Callable[[Callable[[cp_model.IntVar], int]], list[int | None]],
        on_solution: Callable[[float, list[int | None]], None] | None = None,
    ) -> None:
        super().__init__()
        self._extract = extract
        self._on_solution = on_solution
        self.slots: list[int | None] | None = None
        self.objective: float | None = None

    def on_solution_callback(self) -> None:
        self.slots = self._extract(self.value)
        self.objective = self.objective_value
        if self._on_solution is not None:
            self._on_solution(self.objective, self.slots)


@dataclass(frozen=True)
class _Workers:
    """CP-SAT worker counts: ``optimise`` for optimisation runs, ``probe`` for decisions.

    Measured on the 2-core target: optimisation is fastest with two workers, the
    core-guided search next to the default LP search (8 portfolio workers time-share and
    were 3-10x slower to prove optima); feasibility probes gain from the 8-worker
    portfolio (e.g. 4 s against > 60 s with two workers on tic-13crafc).
    """

    optimise: int = 2
    probe: int = 8


def _solver(
    time_limit: float,
    workers: int,
    seed: int,
    *,
    mode: Literal["portfolio", "core", "search"] = "portfolio",
    presolve: bool = True,
) -> cp_model.CpSolver:
    """A CP-SAT solver. With two workers, ``core`` pairs the core-guided search with the
    default LP search (optimisation), ``search`` pairs the two no-LP searches (the ones that
    found single-breaker schedules, reliably in 1-11 s where 8 workers often timed out)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if workers == 2 and mode == "core":
        solver.parameters.subsolvers.extend(["core", "default_lp"])
    elif workers == 2 and mode == "search":
        solver.parameters.subsolvers.extend(["no_lp", "quick_restart_no_lp"])
    # On a day of a large forum presolve took 4-5 s of a 4-15 s solve and bought nothing.
    solver.parameters.cp_model_presolve = presolve
    return solver


def _maximize_scheduled(
    ctx: _Ctx,
    candidates: list[int],
    hint: Sequence[int | None],
    time_limit: float,
    workers: _Workers,
    seed: int,
) -> tuple[list[int | None], bool]:
    """Phase 1: the most (priority-weighted) meetings that fit, ignoring breaks."""
    stop = time.monotonic() + time_limit
    inst = ctx.inst
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    by_slot: dict[int, list[cp_model.IntVar]] = {}
    by_person_slot: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    for i in candidates:
        m = inst.meetings[i]
        row = []
        for t in ctx.domains[i]:
            v = model.new_bool_var("")
            x[i, t] = v
            row.append(v)
            by_slot.setdefault(t, []).append(v)
            by_person_slot.setdefault((m.a, t), []).append(v)
            by_person_slot.setdefault((m.b, t), []).append(v)
            model.add_hint(v, hint[i] == t)
        model.add_at_most_one(row)
    for vs in by_slot.values():
        if len(vs) > inst.n_tables:
            model.add(sum(vs) <= inst.n_tables)
    for vs in by_person_slot.values():
        if len(vs) > 1:
            model.add_at_most_one(vs)
    model.maximize(sum(inst.meetings[i].priority * v for (i, _), v in x.items()))

    def extract(value: Callable[[cp_model.IntVar], int]) -> list[int | None]:
        slots: list[int | None] = [None] * ctx.n
        for (i, t), v in x.items():
            if value(v):
                slots[i] = t
        return slots

    solver = _solver(stop - time.monotonic(), workers.probe, seed)
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return extract(solver.value), status == cp_model.OPTIMAL
    return list(hint), False


class _BreakModel:
    """Phase 2/3 model: every chosen meeting scheduled; counts breaks per participant.

    Breaks use the paper's encoding: ``pre[p,t]`` (p met at or before t) and a hole-end
    literal ``idle(t) & pre(t) & used(t+1)``; a break is counted where it ends. Redundant
    constraints that matter for propagation: used slots per participant equal its number of
    meetings, at most ``2 * n_tables`` busy participants per slot, and (for one-day
    participants) a span ``last - first + 1 = meetings + idle`` with ``idle = 0`` exactly
    when there is no break, which prunes slots too far from a participant's other meetings.
    """

    def __init__(
        self,
        ctx: _Ctx,
        chosen: Sequence[int],
        *,
        fairness_d: int | None,
        total_ub: int | None = None,
        objective: Literal["breaks", "spread", "none"] = "breaks",
    ) -> None:
        inst = ctx.inst
        self.ctx = ctx
        self.chosen = list(chosen)
        model = self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        # Each auxiliary variable with how to compute it from a schedule, for full hints.
        self._defs: list[tuple[cp_model.IntVar, str, tuple]] = []
        by_slot: dict[int, list[cp_model.IntVar]] = {}
        mine: list[list[int]] = [[] for _ in range(inst.n_participants)]
        for i in self.chosen:
            m = inst.meetings[i]
            row = []
            for t in ctx.domains[i]:
                v = model.new_bool_var("")
                self.x[i, t] = v
                row.append(v)
                by_slot.setdefault(t, []).append(v)
            model.add_exactly_one(row)
            mine[m.a].append(i)
            mine[m.b].append(i)
        for vs in by_slot.values():
            if len(vs) > inst.n_tables:
                model.add(sum(vs) <= inst.n_tables)

        self.used: dict[tuple[int, int], cp_model.IntVar] = {}
        busy_by_slot: dict[int, list[cp_model.IntVar]] = {}
        self.breaks: dict[int, cp_model.IntVar] = {}
        self.active: list[int] = []
        for p, ms in enumerate(mine):
            if not ms:
                continue
            self.active.append(p)
            slots_p = sorted({t for i in ms for t in ctx.domains[i]})
            for t in slots_p:
                lits = [self.x[i, t] for i in ms if (i, t) in self.x]
                if len(lits) == 1:
                    u = lits[0]
                else:
                    u = model.new_bool_var("")
                    model.add(sum(lits) == u)
                    self._defs.append((u, "sum", tuple(lits)))
                self.used[p, t] = u
                busy_by_slot.setdefault(t, []).append(u)
            model.add(sum(self.used[p, t] for t in slots_p) == len(ms))
            if len(ms) >= 2:
                self._encode_breaks(p, len(ms), slots_p)
        for vs in busy_by_slot.values():
            if len(vs) > 2 * inst.n_tables:
                model.add(sum(vs) <= 2 * inst.n_tables)

        self.total = sum(self.breaks.values())
        if total_ub is not None:
            model.add(self.total <= total_ub)
        self.spread: cp_model.LinearExprT = 0
        if self.breaks and (fairness_d is not None or objective == "spread"):
            horizon = inst.n_slots
            hi = model.new_int_var(0, horizon, "")
            model.add_max_equality(hi, list(self.breaks.values()))
            self._defs.append((hi, "max", tuple(self.breaks.values())))
            if len(self.breaks) < len(self.active):
                # A participant with a single meeting never has a break.
                lo: cp_model.LinearExprT = 0
            else:
                lo = model.new_int_var(0, horizon, "")
                model.add_min_equality(lo, list(self.breaks.values()))
                self._defs.append((lo, "min", tuple(self.breaks.values())))
            self.spread = hi - lo
            if fairness_d is not None:
                model.add(self.spread <= fairness_d)
        if objective == "breaks":
            model.minimize(self.total)
        elif objective == "spread":
            model.minimize(self.spread)

    def _encode_breaks(self, p: int, n: int, slots_p: list[int]) -> None:
        model = self.model
        holes: list[cp_model.IntVar] = []
        present = set(slots_p)
        for day in self.ctx.days:
            if not present.intersection(day):
                continue
            pre: cp_model.IntVar | None = None
            for k, t in enumerate(day):
                cur = self.used.get((p, t))
                if pre is None:
                    pre = cur
                elif cur is not None:
                    both = model.new_bool_var("")
                    model.add_implication(cur, both)
                    model.add_implication(pre, both)
                    model.add_bool_or([~both, pre, cur])
                    self._defs.append((both, "or", (pre, cur)))
                    pre = both
                if k + 1 == len(day) or pre is None:
                    continue
                nxt = self.used.get((p, day[k + 1]))
                if nxt is None:
                    # No hole can end at t when p cannot meet at t+1.
                    continue
                h = model.new_bool_var("")
                if cur is None:
                    model.add_bool_or([~pre, ~nxt, h])
                    model.add_implication(h, pre)
                    model.add_implication(h, nxt)
                    self._defs.append((h, "and", (pre, nxt)))
                else:
                    model.add_bool_or([cur, ~pre, ~nxt, h])
                    model.add_implication(h, ~cur)
                    model.add_implication(h, pre)
                    model.add_implication(h, nxt)
                    self._defs.append((h, "hole", (cur, pre, nxt)))
                holes.append(h)
        brk = model.new_int_var(0, len(holes), "")
        model.add(brk == sum(holes))
        self._defs.append((brk, "sum", tuple(holes)))
        self.breaks[p] = brk
        days_p = {self.ctx.day_of[t] for t in slots_p}
        if len(days_p) != 1 or not holes:
            return
        # Span of a one-day participant: the implied constraint that prunes far slots.
        lo_t, hi_t = slots_p[0], slots_p[-1]
        first = model.new_int_var(lo_t, hi_t, "")
        last = model.new_int_var(lo_t, hi_t, "")
        for t in slots_p:
            u = self.used[p, t]
            model.add(first <= t).only_enforce_if(u)
            model.add(last >= t).only_enforce_if(u)
        idle = model.new_int_var(0, hi_t - lo_t + 1 - n, "")
        model.add(last - first + 1 == n + idle)
        model.add(idle >= brk)
        zero = model.new_bool_var("")
        model.add(brk == 0).only_enforce_if(zero)
        model.add(brk >= 1).only_enforce_if(~zero)
        model.add(idle == 0).only_enforce_if(zero)
        used_p = tuple((t, self.used[p, t]) for t in slots_p)
        self._defs.append((first, "first", used_p))
        self._defs.append((last, "last", used_p))
        self._defs.append((idle, "idle", (first, last, n)))
        self._defs.append((zero, "zero", (brk,)))

    def hint(self, slots: Sequence[int | None]) -> None:
        """Hint every variable from a complete schedule of the chosen meetings."""
        model = self.model
        model.clear_hints()
        val: dict[int, int] = {}
        for (i, t), v in self.x.items():
            val[v.index] = int(slots[i] == t)
            model.add_hint(v, val[v.index])

        def get(lit: cp_model.IntVar) -> int:
            return val[lit.index]

        for var, op, args in self._defs:
            if op == "sum":
                value = sum(get(a) for a in args)
            elif op == "or":
                value = int(bool(get(args[0]) or get(args[1])))
            elif op == "and":
                value = int(bool(get(args[0]) and get(args[1])))
            elif op == "hole":
                value = int(not get(args[0]) and bool(get(args[1])) and bool(get(args[2])))
            elif op == "max":
                value = max(get(a) for a in args)
            elif op == "min":
                value = min(get(a) for a in args)
            elif op == "first":
                value = min((t for t, u in args if get(u)), default=args[0][0])
            elif op == "last":
                value = max((t for t, u in args if get(u)), default=args[-1][0])
            elif op == "idle":
                value = get(args[1]) - get(args[0]) + 1 - args[2]
            elif op == "zero":
                value = int(get(args[0]) == 0)
            else:  # pragma: no cover - a programming error
                raise AssertionError(op)
            val[var.index] = value
            model.add_hint(var, value)

    def extract(self, value: Callable[[cp_model.IntVar], int]) -> list[int | None]:
        slots: list[int | None] = [None] * self.ctx.n
        for (i, t), v in self.x.items():
            if value(v):
                slots[i] = t
        return slots


def _overloads(ctx: _Ctx) -> dict[int, str]:
    """Reasons that follow from counting alone: a participant asked for more meetings in a
    session (or overall) than it has available slots there. Keyed by meeting index."""
    inst = ctx.inst
    reasons: dict[int, str] = {}
    for p, ms in enumerate(ctx.meetings_of):
        free = [t for t in range(inst.n_slots) if t not in inst.unavailable[p]]
        groups: list[tuple[str, str, list[int], int]] = []
        for part in ("morning", "afternoon"):
            own = [i for i in ms if ctx.domains[i] and inst.meetings[i].session == part]
            avail = sum(1 for t in free if inst.slot_session(t).part == part)
            groups.append((f" in the {part}", f"{part} slots", own, avail))
        groups.append(("", "slots", [i for i in ms if ctx.domains[i]], len(free)))
        for where, what, own, avail in groups:
            if len(own) > avail:
                text = (
                    f"participant {inst.name(p)} has {len(own)} meetings requested{where} "
                    f"but only {avail} {what} are available to them"
                )
                for i in own:
                    reasons.setdefault(i, text)
    return reasons


def _explain(
    ctx: _Ctx, slots: Sequence[int | None], overloads: dict[int, str]
) -> list[Unscheduled]:
    inst = ctx.inst
    busy: set[tuple[int, int]] = set()
    load = [0] * inst.n_slots
    for i, t in enumerate(slots):
        if t is not None:
            m = inst.meetings[i]
            busy.add((m.a, t))
            busy.add((m.b, t))
            load[t] += 1
    out: list[Unscheduled] = []
    for i, t in enumerate(slots):
        if t is not None:
            continue
        m = inst.meetings[i]
        a, b = inst.name(m.a), inst.name(m.b)
        dom = ctx.domains[i]
        if not dom:
            if m.fixed_slot is not None:
                why = f"its fixed slot #{m.fixed_slot + 1} is not possible for {a} and {b}"
                out.append(Unscheduled(i, why, "fixed_slot"))
                continue
            where = "" if m.session == "either" else f" in the {m.session}"
            out.append(
                Unscheduled(
                    i, f"no slot{where} where both {a} and {b} are available", "no_common_slot"
                )
            )
            continue
        if i in overloads:
            out.append(Unscheduled(i, overloads[i], "overloaded"))
            continue
        both_free = [s for s in dom if (m.a, s) not in busy and (m.b, s) not in busy]
        if both_free and all(load[s] >= inst.n_tables for s in both_free):
            out.append(
                Unscheduled(
                    i,
                    f"tables full: all {inst.n_tables} tables are taken in each of the "
                    f"{len(both_free)} slots where {a} and {b} are both free",
                    "tables_full",
                )
            )
            continue
        if m.fixed_slot is not None:
            why = f"its fixed slot #{m.fixed_slot + 1} clashes with another fixed meeting"
            out.append(Unscheduled(i, why, "fixed_slot"))
            continue
        out.append(
            Unscheduled(
                i,
                f"could not fit without conflicts: in each of its {len(dom)} possible slots "
                f"{a} or {b} already has another meeting",
                "conflict",
            )
        )
    return out


def _assign_tables(inst: Instance, slots: Sequence[int | None]) -> list[int | None]:
    """Table number per meeting; a participant keeps its table when it can (the first
    participant of a meeting is usually the host, e.g. the producer at its stand)."""
    tables: list[int | None] = [None] * len(slots)
    last_table: dict[int, int] = {}
    by_slot: dict[int, list[int]] = {}
    for i, t in enumerate(slots):
        if t is not None:
            by_slot.setdefault(t, []).append(i)
    for t in sorted(by_slot):
        taken: set[int] = set()
        pending = []
        for i in by_slot[t]:
            want = last_table.get(inst.meetings[i].a)
            if want is not None and want not in taken:
                tables[i] = want
                taken.add(want)
            else:
                pending.append(i)
        free = (k for k in range(inst.n_tables) if k not in taken)
        for i in pending:
            tables[i] = next(free)
        for i in by_slot[t]:
            last_table[inst.meetings[i].a] = tables[i]  # type: ignore[assignment]
    return tables


def _spread(inst: Instance, slots: Sequence[int | None], breaks: Sequence[int]) -> int:
    active = {
        p
        for i, t in enumerate(slots)
        if t is not None
        for p in (inst.meetings[i].a, inst.meetings[i].b)
    }
    values = [breaks[p] for p in active]
    return max(values) - min(values) if values else 0


# Above this many (meeting, slot) pairs a break model is solved in one run without presolve.
_LARGE_MODEL = 8000


@dataclass
class _Phase2:
    slots: list[int | None]
    total: int
    lower_bound: int
    proven: bool


def _minimize_breaks(
    ctx: _Ctx,
    chosen: list[int],
    start: list[int | None],
    time_limit: float,
    *,
    fairness_d: int | None,
    workers: _Workers,
    seed: int,
    clock: _Clock,
    log: list[str],
    label: str = "",
) -> _Phase2:
    """Phase 2: fewest total breaks for a fixed set of meetings, starting from ``start``.

    Three tools, each good where the others are weak (measured on the benchmarks):
    decision probes "total <= L" (presolve settles these fast when L is small, because
    almost every participant is then held to a single block of meetings); a core-guided
    optimisation run (raises the bound and lands on the optimum on most instances); and,
    when one more break than the bound is all that is missing, probes that let a single
    participant take the breaks (choosing *who* breaks is what the solver itself is bad at).
    """
    inst = ctx.inst
    deadline = time.monotonic() + time_limit
    best = list(start)
    best_total = sum(count_breaks(inst, best))
    best_fair = _fair(inst, best, fairness_d)
    lower = 0

    large = sum(len(ctx.domains[i]) for i in chosen) > _LARGE_MODEL
    breakers: Counter[int] = Counter()

    def left() -> float:
        return deadline - time.monotonic()

    def remember(slots: list[int | None]) -> None:
        nonlocal best, best_total, best_fair
        breaks = count_breaks(inst, slots)
        total = sum(breaks)
        fair = _fair(inst, slots, fairness_d)
        # Who breaks in good schedules is the best guess at who must break in the best one.
        breakers.update(p for p, b in enumerate(breaks) if b)
        if (fair, -total) > (best_fair, -best_total):
            best, best_total, best_fair = slots, total, fair
            clock.report(f"{label}{best_total} breaks so far")

    def done() -> bool:
        return best_fair and best_total <= lower

    def decide(limit: float, total_ub: int) -> int:
        stop = time.monotonic() + limit  # building the model counts against the limit
        # No hint: every probe asks for less than the best schedule has.
        model = _BreakModel(ctx, chosen, fairness_d=fairness_d, total_ub=total_ub, objective="none")
        solver = _solver(stop - time.monotonic(), workers.probe, seed)
        status = solver.solve(model.model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            remember(model.extract(solver.value))
        return status

    def optimise(limit: float) -> None:
        nonlocal lower
        stop = time.monotonic() + limit
        model = _BreakModel(ctx, chosen, fairness_d=fairness_d)
        if lower:
            model.model.add(model.total >= lower)
        model.hint(best)
        incumbent = _Incumbent(model.extract, lambda _obj, slots: remember(slots))
        solver = _solver(
            stop - time.monotonic(), workers.optimise, seed, mode="core", presolve=not large
        )
        status = solver.solve(model.model, incumbent)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            remember(model.extract(solver.value))
            lower = max(lower, math.ceil(solver.best_objective_bound - 1e-6))
        elif status == cp_model.INFEASIBLE and fairness_d is not None:
            log.append(f"no schedule with max-min breaks <= {fairness_d}")
        log.append(
            f"{label}optimise: {best_total} breaks, bound {lower}, {solver.status_name(status)}"
        )

    def single_breaker(limit: float) -> None:
        """Probes "only p may break, ``lower`` times". Participants that broke in the
        schedules seen so far go first, with time to succeed; then everyone else briefly
        (most of those fail in presolve); then a longer second look at the undecided."""
        stop = time.monotonic() + limit
        model = _BreakModel(ctx, chosen, fairness_d=fairness_d, total_ub=lower, objective="none")
        people = [p for p in model.breaks if len(ctx.meetings_of[p]) >= 2]
        people.sort(key=lambda p: (-breakers[p], -len(ctx.meetings_of[p])))
        rounds = [(p, 6.0 if breakers[p] else 1.5) for p in people]
        tried: set[int] = set()
        undecided: list[int] = []
        while rounds and not done():
            p, patience = rounds.pop(0)
            room = stop - time.monotonic()
            if room < 0.2:
                break
            for q, var in model.breaks.items():
                _set_domain(model.model, var, lower if q == p else 0, lower if q == p else 0)
            solver = _solver(min(room, patience), workers.optimise, seed, mode="search")
            status = solver.solve(model.model)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                remember(model.extract(solver.value))
            elif status == cp_model.UNKNOWN and p not in tried:
                undecided.append(p)
            tried.add(p)
            if not rounds:
                rounds, undecided = [(q, 10.0) for q in undecided], []
        log.append(f"{label}single-breaker probes: {len(tried)}, {best_total} breaks")

    if best_total == 0 and best_fair:
        return _Phase2(best, 0, 0, True)
    # Probes and restarts pay presolve again each time; a large model (one day of a big
    # forum) gets a single optimisation run instead.
    if large:
        optimise(left())
        return _Phase2(best, best_total, lower, done())
    status = decide(min(max(1.0, 0.1 * left()), left()), 0)
    log.append(f"{label}probe 0 breaks: {cp_model.CpSolver().status_name(status)}")
    if status == cp_model.INFEASIBLE:
        lower = 1
    if not done() and left() > 0.05:
        optimise(0.35 * left())
    # Who takes the missing break(s) is the choice the solver is worst at; with one
    # participant named, presolve decides most cases in well under a second.
    cap = lower if fairness_d is None else min(lower, fairness_d)
    if not done() and 0 < lower == cap and left() > 0.5:
        single_breaker(0.8 * left())
    if not done() and best_fair and best_total == lower + 1 and left() > 0.5:
        status = decide(0.6 * left(), lower)
        log.append(f"{label}probe {lower} breaks: {cp_model.CpSolver().status_name(status)}")
        if status == cp_model.INFEASIBLE:
            lower += 1
    if not done() and left() > 0.5:
        optimise(left())
    return _Phase2(best, best_total, lower, done())


def _set_domain(model: cp_model.CpModel, var: cp_model.IntVar, lo: int, hi: int) -> None:
    """Change a variable's bounds in place, so one built model serves many probes."""
    domain = model.proto.variables[var.index].domain
    del domain[:]
    domain.extend([lo, hi])


def _fair(inst: Instance, slots: Sequence[int | None], fairness_d: int | None) -> bool:
    if fairness_d is None:
        return True
    return _spread(inst, slots, count_breaks(inst, slots)) <= fairness_d


def _spread_bound(ctx: _Ctx, chosen: Sequence[int], total: int) -> int:
    """A lower bound on max - min breaks when exactly ``total`` breaks are needed."""
    if total <= 0:
        return 0
    count: dict[int, int] = {}
    for i in chosen:
        m = ctx.inst.meetings[i]
        count[m.a] = count.get(m.a, 0) + 1
        count[m.b] = count.get(m.b, 0) + 1
    can_break = sum(1 for n in count.values() if n >= 2)
    # Someone keeps 0 breaks (a single meeting, or more participants than breaks), so the
    # spread is the maximum, at least the average over those who can break.
    if can_break < len(count) or total < can_break:
        return math.ceil(total / can_break)
    return 0


def _minimize_spread(
    ctx: _Ctx,
    chosen: list[int],
    start: list[int | None],
    total: int,
    time_limit: float,
    *,
    proven: bool,
    workers: _Workers,
    seed: int,
    log: list[str],
) -> tuple[list[int | None], bool]:
    """Phase 3: the fairest schedule among those with at most ``total`` breaks.

    ``proven`` says ``total`` is optimal, which gives the spread a lower bound.
    """
    inst = ctx.inst
    breaks = count_breaks(inst, start)
    spread0 = _spread(inst, start, breaks)
    if spread0 <= _spread_bound(ctx, chosen, sum(breaks) if proven else 0):
        return start, True
    stop = time.monotonic() + time_limit
    bm = _BreakModel(ctx, chosen, fairness_d=None, total_ub=total, objective="spread")
    bm.hint(start)
    solver = _solver(stop - time.monotonic(), workers.probe, seed)
    status = solver.solve(bm.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        slots = bm.extract(solver.value)
        if _spread(inst, slots, count_breaks(inst, slots)) <= spread0:
            log.append(f"spread {spread0} -> {int(solver.objective_value)}")
            return slots, status == cp_model.OPTIMAL
    return start, False


def _usable_hint(ctx: _Ctx, hint: Sequence[int | None]) -> list[int | None]:
    """The part of an earlier schedule that is still possible (in order, first come first
    kept): slots still allowed, with no participant twice and no table overbooked."""
    inst = ctx.inst
    out: list[int | None] = [None] * ctx.n
    busy: set[tuple[int, int]] = set()
    load = [0] * inst.n_slots
    for i, t in enumerate(hint[: ctx.n]):
        if t is None or t not in ctx.domains[i] or load[t] >= inst.n_tables:
            continue
        m = inst.meetings[i]
        if (m.a, t) in busy or (m.b, t) in busy:
            continue
        out[i] = t
        busy.update(((m.a, t), (m.b, t)))
        load[t] += 1
    return out


def solve(
    instance: Instance,
    *,
    time_limit: float = 60.0,
    fairness_d: int | None = None,
    minimize_spread: bool = True,
    progress: ProgressFn | None = None,
    num_workers: int | None = None,
    seed: int = 0,
    hint: Sequence[int | None] | None = None,
) -> ScheduleResult:
    """Schedule the meetings of ``instance`` within about ``time_limit`` seconds.

    Lexicographic objectives: (1) most meetings, higher ``priority`` first; (2) fewest total
    breaks; (3) smallest spread (max - min breaks) among participants that meet, unless
    ``minimize_spread`` is False. ``fairness_d`` makes "spread <= d" a constraint on (2).

    ``progress(fraction, message)`` is called between phases from the calling thread, and
    on each better schedule from CP-SAT's worker threads (a caller that writes to a
    database should ignore those, or hand them over). ``hint`` is an earlier schedule to
    start from, e.g. the published one when rescheduling; entries that no longer fit are
    dropped. Pin meetings that must not move with ``Meeting.fixed_slot``.

    ``num_workers`` None uses the setting measured best on two cores (2 workers for
    optimisation, 8 for feasibility probes); an explicit number is used for every solve.
    Multi-day forums above about 20,000 (meeting, slot) pairs are solved day by day, after
    assigning meetings to days; ``fairness_d`` then holds within each day.
    """
    clock = _Clock(time_limit, progress)
    workers = _Workers() if num_workers is None else _Workers(num_workers, num_workers)
    ctx = _Ctx(instance)
    log: list[str] = []
    rng = random.Random(seed)
    clock.report("preparing", 0.0)
    overloads = _overloads(ctx)
    candidates = [i for i in range(ctx.n) if ctx.domains[i]]

    base = _usable_hint(ctx, hint) if hint is not None else None
    n_pairs = sum(len(ctx.domains[i]) for i in candidates)
    spread_optimal = False
    if len(ctx.days) > 1 and n_pairs > _DECOMPOSE_ABOVE:
        log.append(f"{n_pairs} meeting-slot pairs: solving day by day")
        slots = _solve_by_days(
            ctx,
            candidates,
            clock,
            base=base,
            fairness_d=fairness_d,
            workers=workers,
            seed=seed,
            log=log,
        )
        count_optimal = all(slots[i] is not None for i in candidates)
        total = sum(count_breaks(instance, slots))
        # Per-day optima do not add up to a forum optimum (the day split is a heuristic),
        # except at zero.
        phase2 = _Phase2(slots, total, 0, total == 0)
        spread_optimal = total == 0
    else:
        slots = _greedy(ctx, candidates, base, rng)
        placed = sum(1 for t in slots if t is not None)
        log.append(f"greedy placed {placed}/{len(candidates)}")
        count_optimal = placed == len(candidates)
        if not count_optimal:
            clock.report(f"placing meetings ({placed}/{len(candidates)} so far)")
            phase1, count_optimal = _maximize_scheduled(
                ctx, candidates, slots, 0.3 * clock.left(), workers, seed
            )
            slots = _greedy(ctx, candidates, phase1, rng)
            log.append(f"phase 1 placed {sum(1 for t in slots if t is not None)}")
        chosen = [i for i in candidates if slots[i] is not None]
        clock.report(f"{len(chosen)} of {ctx.n} meetings placed; minimising breaks")

        reserve = 0.15 if minimize_spread and fairness_d is None else 0.0
        phase2 = _minimize_breaks(
            ctx,
            chosen,
            slots,
            clock.left() * (1 - reserve),
            fairness_d=fairness_d,
            workers=workers,
            seed=seed,
            clock=clock,
            log=log,
        )
        slots = phase2.slots
        if minimize_spread and clock.left() > 0.05:
            clock.report(f"{phase2.total} breaks; balancing breaks between participants")
            slots, spread_optimal = _minimize_spread(
                ctx,
                chosen,
                slots,
                phase2.total,
                clock.left(),
                proven=phase2.proven,
                workers=workers,
                seed=seed,
                log=log,
            )
    breaks = count_breaks(instance, slots)
    load = [0] * instance.n_slots
    for t in slots:
        if t is not None:
            load[t] += 1
    optimal = count_optimal and phase2.proven
    status = "OPTIMAL" if optimal else "FEASIBLE"
    if minimize_spread and not spread_optimal:
        status = "FEASIBLE" if not optimal else "OPTIMAL_BREAKS"
    result = ScheduleResult(
        slots=slots,
        tables=_assign_tables(instance, slots),
        unscheduled=_explain(ctx, slots, overloads),
        breaks=breaks,
        total_breaks=sum(breaks),
        spread=_spread(instance, slots, breaks),
        table_load=load,
        status=status,
        optimal=optimal,
        seconds=clock.elapsed(),
        lower_bound=phase2.lower_bound,
        log=log,
    )
    clock.report(f"done: {result.n_scheduled} meetings, {result.total_breaks} breaks", 1.0)
    return result


# ---------------------------------------------------------------------------------------
# Large forums: days first, then one exact model per day
# ---------------------------------------------------------------------------------------

# Above this many (meeting, slot) pairs a multi-day forum is split by day: the full model
# would take most of the time budget just to build and presolve.
_DECOMPOSE_ABOVE = 20_000


def _day_capacity(ctx: _Ctx, p: int, d: int, part: str | None = None) -> int:
    inst = ctx.inst
    return sum(
        1
        for t in ctx.days[d]
        if t not in inst.unavailable[p] and (part is None or inst.slot_session(t).part == part)
    )


def _assign_days(
    ctx: _Ctx,
    candidates: list[int],
    time_limit: float,
    workers: _Workers,
    seed: int,
    base: Sequence[int | None] | None = None,
) -> list[int | None]:
    """Stage A: a day for each meeting, within per-participant and per-day capacities.

    Meetings of a participant are spread over its days in proportion to its free slots
    there: a light day is much easier to make break-free than a full one.
    """
    inst = ctx.inst
    n_days = len(ctx.days)
    day_sets = [set(day) for day in ctx.days]
    options = {
        i: [d for d in range(n_days) if day_sets[d].intersection(ctx.domains[i])]
        for i in candidates
    }
    cap = {
        (p, d): _day_capacity(ctx, p, d)
        for p in range(inst.n_participants)
        if ctx.meetings_of[p]
        for d in range(n_days)
    }
    # Greedy first: it is the hint, and the answer when the model cannot improve on it.
    load: dict[tuple[int, int], int] = {}
    day_load = [0] * n_days
    day_room = [inst.n_tables * len(day) for day in ctx.days]
    greedy: dict[int, int | None] = {}
    order = sorted(candidates, key=lambda i: (len(options[i]), -inst.meetings[i].priority))
    previous = {i: ctx.day_of[t] for i, t in enumerate(base or ()) if t is not None}
    order.sort(key=lambda i: i not in previous)  # keep earlier days first (stable sort)
    for i in order:
        m = inst.meetings[i]
        best: tuple[float, int] | None = None
        for d in options[i]:
            la, lb = load.get((m.a, d), 0), load.get((m.b, d), 0)
            if la >= cap[m.a, d] or lb >= cap[m.b, d] or day_load[d] >= day_room[d]:
                continue
            score = (la + 1) / cap[m.a, d] + (lb + 1) / cap[m.b, d] + day_load[d] / day_room[d]
            if previous.get(i) == d:
                score -= 10.0
            if best is None or score < best[0]:
                best = (score, d)
        greedy[i] = best[1] if best else None
        if best is not None:
            d = best[1]
            load[m.a, d] = load.get((m.a, d), 0) + 1
            load[m.b, d] = load.get((m.b, d), 0) + 1
            day_load[d] += 1
    if all(greedy[i] is not None for i in candidates):
        return [greedy.get(i) for i in range(ctx.n)]

    model = cp_model.CpModel()
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    by_pd: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    by_pd_part: dict[tuple[int, int, str], list[cp_model.IntVar]] = {}
    by_d: dict[int, list[cp_model.IntVar]] = {}
    by_d_part: dict[tuple[int, str], list[cp_model.IntVar]] = {}
    for i in candidates:
        m = inst.meetings[i]
        row = []
        for d in options[i]:
            v = model.new_bool_var("")
            y[i, d] = v
            row.append(v)
            model.add_hint(v, greedy[i] == d)
            by_d.setdefault(d, []).append(v)
            for p in (m.a, m.b):
                by_pd.setdefault((p, d), []).append(v)
                if m.session != "either":
                    by_pd_part.setdefault((p, d, m.session), []).append(v)
            if m.session != "either":
                by_d_part.setdefault((d, m.session), []).append(v)
        model.add_at_most_one(row)
    for (p, d), vs in by_pd.items():
        model.add(sum(vs) <= cap[p, d])
    for (p, d, part), vs in by_pd_part.items():
        model.add(sum(vs) <= _day_capacity(ctx, p, d, part))
    for d, vs in by_d.items():
        model.add(sum(vs) <= day_room[d])
    for (d, part), vs in by_d_part.items():
        slots = sum(1 for t in ctx.days[d] if inst.slot_session(t).part == part)
        model.add(sum(vs) <= inst.n_tables * slots)
    # Over-target load of a participant on a day costs a little; a dropped meeting a lot.
    penalty = []
    for (p, d), vs in by_pd.items():
        total = sum(cap[p, dd] for dd in range(n_days))
        target = math.ceil(len(ctx.meetings_of[p]) * cap[p, d] / total) if total else 0
        if len(vs) > target:
            over = model.new_int_var(0, len(vs), "")
            model.add(over >= sum(vs) - target)
            penalty.append(over)
    weight = 1 + len(penalty)
    model.maximize(
        weight * sum(inst.meetings[i].priority * v for (i, _), v in y.items()) - sum(penalty)
    )
    solver = _solver(time_limit, workers.probe, seed)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [greedy.get(i) for i in range(ctx.n)]
    days: list[int | None] = [None] * ctx.n
    for (i, d), v in y.items():
        if solver.value(v):
            days[i] = d
    return days


def _solve_by_days(
    ctx: _Ctx,
    candidates: list[int],
    clock: _Clock,
    *,
    base: Sequence[int | None] | None,
    fairness_d: int | None,
    workers: _Workers,
    seed: int,
    log: list[str],
) -> list[int | None]:
    """Stages B and C: each day on its own (its meetings only), then any leftovers.

    Days that did not reach a proven optimum get the time the others left over. Fairness
    (``fairness_d``) is then applied within each day, not across the whole forum.
    """
    clock.report("assigning meetings to days")
    days = _assign_days(ctx, candidates, min(6.0, 0.1 * clock.left()), workers, seed, base)
    log.append(f"days assigned to {sum(1 for d in days if d is not None)}/{len(candidates)}")
    slots: list[int | None] = [None] * ctx.n
    rng = random.Random(seed)
    n_days = len(ctx.days)
    todo: dict[int, tuple[_Ctx, list[int]]] = {}
    for d, day in enumerate(ctx.days):
        mine = [i for i in candidates if days[i] == d]
        if not mine:
            continue
        budget = 0.85 * clock.left() / (n_days - d)
        day_end = time.monotonic() + budget
        sub = ctx.restricted(set(day))
        kept = None
        if base is not None:
            kept = [t if t is not None and ctx.day_of[t] == d else None for t in base]
        start = _greedy(sub, mine, kept, rng)
        placed = [i for i in mine if start[i] is not None]
        if len(placed) < len(mine):
            start, _ = _maximize_scheduled(sub, mine, start, 0.3 * budget, workers, seed)
            start = _greedy(sub, mine, start, rng)
            placed = [i for i in mine if start[i] is not None]
        phase2 = _minimize_breaks(
            sub,
            placed,
            start,
            max(0.05, day_end - time.monotonic()),
            fairness_d=fairness_d,
            workers=workers,
            seed=seed,
            clock=clock,
            log=log,
            label=f"day {d + 1}: ",
        )
        for i in placed:
            slots[i] = phase2.slots[i]
        if not phase2.proven:
            todo[d] = (sub, placed)
        clock.report(
            f"day {d + 1}/{n_days}: {len(placed)}/{len(mine)} meetings, {phase2.total} breaks"
        )
    # Second pass: the days still open share what is left, worst first.
    per_day = {d: _day_breaks(ctx, slots, d) for d in todo}
    for k, d in enumerate(sorted(todo, key=lambda d: -per_day[d])):
        if clock.left() < 1.0:
            break
        sub, placed = todo[d]
        phase2 = _minimize_breaks(
            sub,
            placed,
            slots,
            0.9 * clock.left() / (len(todo) - k),
            fairness_d=fairness_d,
            workers=workers,
            seed=seed + 1,
            clock=clock,
            log=log,
            label=f"day {d + 1}: ",
        )
        for i in placed:
            slots[i] = phase2.slots[i]
    # Leftovers (their day was too full after all): any free slot on any day.
    return _greedy(ctx, candidates, slots, rng)


def _day_breaks(ctx: _Ctx, slots: Sequence[int | None], d: int) -> int:
    day = set(ctx.days[d])
    return sum(count_breaks(ctx.inst, [t if t in day else None for t in slots]))


def synthetic_forum(
    seed: int = 2024,
    *,
    n_producers: int = 320,
    n_buyers: int = 600,
    n_meetings: int = 4000,
    n_tables: int = 320,
    n_days: int = 5,
    slots_per_session: int = 9,
) -> Instance:
    """A deterministic forum of realistic shape (default: Kien Giang scale).

    Producers host at their table (participant ``a``), buyers move (``b``). Buyer demand is
    skewed (a few distributors want many meetings); most participants attend every day,
    some only a few days, and some have blocked sessions or single blocked slots.
    """
    rng = random.Random(seed)
    sessions = [
        Session(d, part, slots_per_session, f"day {d + 1} {part}")
        for d in range(n_days)
        for part in ("morning", "afternoon")
    ]
    n_slots = len(sessions) * slots_per_session
    day_len = 2 * slots_per_session
    n_people = n_producers + n_buyers
    names = [f"P{p + 1:03d}" for p in range(n_producers)]
    names += [f"B{b + 1:03d}" for b in range(n_buyers)]
    unavailable: list[set[int]] = []
    for _ in range(n_people):
        roll = rng.random()
        if roll < 0.7:
            first, last = 0, n_days - 1
        elif roll < 0.9:
            span = rng.randint(3, 4) if n_days >= 4 else n_days
            first = rng.randint(0, n_days - span)
            last = first + span - 1
        else:
            span = rng.randint(1, min(2, n_days))
            first = rng.randint(0, n_days - span)
            last = first + span - 1
        blocked = {t for t in range(n_slots) if not first <= t // day_len <= last}
        if rng.random() < 0.1:
            d = rng.randint(first, last)
            start = d * day_len + rng.choice((0, slots_per_session))
            blocked.update(range(start, start + slots_per_session))
        if rng.random() < 0.05:
            blocked.update(rng.sample(range(n_slots), rng.randint(1, 3)))
        unavailable.append(blocked)
    free = [n_slots - len(u) for u in unavailable]
    producer_weight = [rng.uniform(0.5, 1.5) for _ in range(n_producers)]
    buyer_weight = [rng.paretovariate(1.6) for _ in range(n_buyers)]
    count = [0] * n_people
    pairs: set[tuple[int, int]] = set()
    meetings: list[Meeting] = []
    attempts = 0
    while len(meetings) < n_meetings and attempts < 50 * n_meetings:
        attempts += 1
        a = rng.choices(range(n_producers), producer_weight)[0]
        b = n_producers + rng.choices(range(n_buyers), buyer_weight)[0]
        if (a, b) in pairs or max(count[a] + 1 - 0.6 * free[a], count[b] + 1 - 0.6 * free[b]) > 0:
            continue
        pairs.add((a, b))
        count[a] += 1
        count[b] += 1
        roll = rng.random()
        rule: SessionRule = "either" if roll < 0.85 else "morning" if roll < 0.95 else "afternoon"
        meetings.append(Meeting(a, b, rule, priority=rng.randint(1, 100), key=len(meetings)))
    return Instance(
        n_participants=n_people,
        meetings=tuple(meetings),
        n_tables=n_tables,
        sessions=tuple(sessions),
        unavailable=tuple(frozenset(u) for u in unavailable),
        participant_names=tuple(names),
    )
