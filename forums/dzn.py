"""Reader for MiniZinc ``.dzn`` data files, as used by the B2B meeting-scheduling benchmarks.

Pure Python (no Django): the benchmark command and the tests use it to turn a published
instance into a :class:`forums.scheduler.Instance`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forums.scheduler import Instance, Meeting

__all__ = [
    "B2BFile",
    "DznError",
    "load_b2b",
    "parse_b2b",
    "parse_dzn",
]

# A parsed value: int, bool, float, str, frozenset[int], or a (nested) list of those.
DznValue = Any


class DznError(ValueError):
    """The text is not valid ``.dzn`` data, or not a valid B2B instance."""


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>%[^\n]*)
  | (?P<block>/\*.*?\*/)
  | (?P<float>-?\d+\.\d+(?:[eE][-+]?\d+)?)
  | (?P<int>-?\d+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<ident>[A-Za-z][A-Za-z0-9_]*)
  | (?P<sym>\[\||\|\]|\.\.|[\[\]{}(),;=|])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            line = text.count("\n", 0, pos) + 1
            raise DznError(f"unexpected character {text[pos]!r} on line {line}")
        kind = match.lastgroup or ""
        if kind not in {"ws", "comment", "block"}:
            tokens.append(_Tok(kind, match.group(), pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    def _where(self) -> str:
        pos = self.toks[self.i].pos if self.i < len(self.toks) else len(self.text)
        return f"line {self.text.count(chr(10), 0, pos) + 1}"

    def peek(self, offset: int = 0) -> _Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self, text: str | None = None, kind: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise DznError(f"unexpected end of data (expected {text or kind})")
        if (text is not None and tok.text != text) or (kind is not None and tok.kind != kind):
            raise DznError(f"expected {text or kind!r}, found {tok.text!r} at {self._where()}")
        self.i += 1
        return tok

    def at(self, text: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.text == text and tok.kind == "sym"

    def assignments(self) -> dict[str, DznValue]:
        out: dict[str, DznValue] = {}
        while self.peek() is not None:
            name = self.take(kind="ident").text
            self.take("=")
            out[name] = self.expr()
            # The last assignment of a file may omit its semicolon.
            if self.peek() is not None:
                self.take(";")
        return out

    def expr(self) -> DznValue:
        tok = self.peek()
        if tok is None:
            raise DznError("unexpected end of data (expected a value)")
        if tok.kind == "int":
            self.i += 1
            if self.at(".."):
                self.i += 1
                hi = int(self.take(kind="int").text)
                return frozenset(range(int(tok.text), hi + 1))
            return int(tok.text)
        if tok.kind == "float":
            self.i += 1
            return float(tok.text)
        if tok.kind == "string":
            self.i += 1
            return tok.text[1:-1]
        if tok.kind == "ident":
            if tok.text in {"true", "false"}:
                self.i += 1
                return tok.text == "true"
            if re.fullmatch(r"array\dd", tok.text):
                return self.array_nd()
            raise DznError(f"unsupported identifier {tok.text!r} at {self._where()}")
        if tok.text == "{":
            return self.set_literal()
        if tok.text == "[|":
            return self.array_2d()
        if tok.text == "[":
            return self.array_1d()
        raise DznError(f"unexpected {tok.text!r} at {self._where()}")

    def set_literal(self) -> frozenset[int]:
        self.take("{")
        items: set[int] = set()
        while not self.at("}"):
            lo = int(self.take(kind="int").text)
            if self.at(".."):
                self.i += 1
                hi = int(self.take(kind="int").text)
                items.update(range(lo, hi + 1))
            else:
                items.add(lo)
            if not self.at("}"):
                self.take(",")
        self.take("}")
        return frozenset(items)

    def array_1d(self) -> list[DznValue]:
        self.take("[")
        items: list[DznValue] = []
        while not self.at("]"):
            items.append(self.expr())
            if not self.at("]"):
                self.take(",")
        self.take("]")
        return items

    def array_2d(self) -> list[list[DznValue]]:
        self.take("[|")
        rows: list[list[DznValue]] = []
        row: list[DznValue] = []
        while True:
            if self.at("|]"):
                self.i += 1
                break
            if self.at("|"):
                self.i += 1
                rows.append(row)
                row = []
                continue
            row.append(self.expr())
            # Rows in the published files end with a comma before the bar.
            if self.at(","):
                self.i += 1
        if row:
            rows.append(row)
        # "[| 1,2, |]"-style trailing bars produce empty rows; they carry no data.
        rows = [r for r in rows if r]
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            raise DznError(f"2D array rows have different lengths {sorted(widths)}")
        return rows

    def array_nd(self) -> list[DznValue]:
        name = self.take(kind="ident").text
        dims = int(name[5])
        self.take("(")
        ranges: list[frozenset[int]] = []
        for _ in range(dims):
            index_set = self.expr()
            if not isinstance(index_set, frozenset):
                raise DznError(f"{name} needs index ranges, got {index_set!r}")
            ranges.append(index_set)
            self.take(",")
        flat = self.expr()
        self.take(")")
        if not isinstance(flat, list):
            raise DznError(f"{name} needs a flat array as last argument")
        sizes = [len(r) for r in ranges]
        if dims == 1:
            return flat
        if dims != 2:
            raise DznError(f"{name} is not supported (only 1 and 2 dimensions)")
        rows, cols = sizes
        if rows * cols != len(flat):
            raise DznError(f"{name}: {len(flat)} values do not fill {rows}x{cols}")
        return [flat[r * cols : (r + 1) * cols] for r in range(rows)]


def parse_dzn(text: str) -> dict[str, DznValue]:
    """Parse ``.dzn`` text into a dict: ints, bools, frozensets, and (nested) lists.

    Set literals and ranges (``{1,3..5}``, ``1..3``, ``{}``) become frozensets; 2D arrays
    ``[| a, b | c, d |]`` and ``array2d(...)`` become lists of rows.
    """
    return _Parser(text).assignments()


@dataclass
class B2BFile:
    """One benchmark file: the scheduler instance plus what the file says beyond it."""

    name: str
    instance: Instance
    warnings: list[str] = field(default_factory=list)
    precedences: list[frozenset[int]] = field(default_factory=list)


def _int(data: dict[str, DznValue], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DznError(f"{key} must be an integer, got {value!r}")
    return value


def _set_list(data: dict[str, DznValue], key: str, length: int) -> list[frozenset[int]]:
    value = data.get(key)
    if value is None:
        return [frozenset() for _ in range(length)]
    if not isinstance(value, list) or len(value) != length:
        raise DznError(f"{key} must be an array of {length} sets")
    out: list[frozenset[int]] = []
    for item in value:
        if isinstance(item, int) and not isinstance(item, bool):
            item = frozenset({item})
        if not isinstance(item, frozenset):
            raise DznError(f"{key} must contain sets, got {item!r}")
        out.append(item)
    return out


def parse_b2b(text: str, name: str = "instance") -> B2BFile:
    """Build a scheduler instance from the text of a B2B ``.dzn`` file (Bofill et al. format).

    Participants, meetings and slots become 0-based. In ``forbidden`` and ``fixed`` the
    published files use 0 as a placeholder ("no slot"), so 0 is ignored there.
    """
    data = parse_dzn(text)
    warnings: list[str] = []
    n_business = _int(data, "nBusiness")
    n_meetings = _int(data, "nMeetings")
    n_tables = _int(data, "nTables")
    n_slots = _int(data, "nTotalSlots")
    n_morning = _int(data, "nMorningSlots")
    if not 0 <= n_morning <= n_slots:
        raise DznError(f"nMorningSlots={n_morning} is outside 0..nTotalSlots={n_slots}")

    raw = data.get("requested")
    if isinstance(raw, list) and raw and not isinstance(raw[0], list):
        # Tolerate a flat array of triples.
        raw = [raw[i : i + 3] for i in range(0, len(raw), 3)]
    if not isinstance(raw, list) or len(raw) != n_meetings:
        got = len(raw) if isinstance(raw, list) else raw
        raise DznError(f"requested must have nMeetings={n_meetings} rows, got {got}")
    rules = {1: "morning", 2: "afternoon", 3: "either"}

    fixed_raw = data.get("fixed", [0] * n_meetings)
    if not isinstance(fixed_raw, list) or len(fixed_raw) != n_meetings:
        raise DznError(f"fixed must be an array of nMeetings={n_meetings} integers")

    meetings: list[Meeting] = []
    for m, row in enumerate(raw):
        if len(row) != 3 or not all(isinstance(v, int) for v in row):
            raise DznError(f"requested row {m + 1} must be 'a, b, session', got {row!r}")
        a, b, rule = row
        if not (1 <= a <= n_business and 1 <= b <= n_business) or a == b:
            raise DznError(f"requested row {m + 1} has invalid participants {a}, {b}")
        if rule not in rules:
            raise DznError(f"requested row {m + 1} has session {rule}; expected 1, 2 or 3")
        fixed = fixed_raw[m]
        fixed_slot: int | None = None
        if isinstance(fixed, int) and fixed > 0:
            if fixed > n_slots:
                raise DznError(f"meeting {m + 1} is fixed to slot {fixed} > nTotalSlots")
            fixed_slot = fixed - 1
        meetings.append(Meeting(a - 1, b - 1, session=rules[rule], fixed_slot=fixed_slot))

    unavailable: list[frozenset[int]] = []
    for p, slots in enumerate(_set_list(data, "forbidden", n_business)):
        bad = sorted(s for s in slots if s != 0 and not 1 <= s <= n_slots)
        if bad:
            warnings.append(f"participant {p + 1}: forbidden slots {bad} out of range, ignored")
        unavailable.append(frozenset(s - 1 for s in slots if 1 <= s <= n_slots))

    precedences = _set_list(data, "precedences", n_meetings)
    n_prec = sum(1 for s in precedences if s - {0})
    if n_prec:
        warnings.append(f"{n_prec} meetings have precedences; precedences are not supported")

    counts = data.get("nMeetingsBusiness")
    if isinstance(counts, list) and len(counts) == n_business:
        derived = [0] * n_business
        for meeting in meetings:
            derived[meeting.a] += 1
            derived[meeting.b] += 1
        wrong = [p + 1 for p in range(n_business) if derived[p] != counts[p]]
        if wrong:
            warnings.append(f"nMeetingsBusiness disagrees with requested for {wrong[:10]}")

    instance = Instance.single_day(
        n_participants=n_business,
        meetings=meetings,
        n_tables=n_tables,
        n_slots=n_slots,
        n_morning_slots=n_morning,
        unavailable=unavailable,
    )
    return B2BFile(name=name, instance=instance, warnings=warnings, precedences=precedences)


def load_b2b(path: str | Path) -> B2BFile:
    """Read and convert one B2B ``.dzn`` file; the name is the file name without suffixes."""
    path = Path(path)
    name = path.name.split(".")[0]
    return parse_b2b(path.read_text(encoding="utf-8"), name=name)
