"""Benchmark the meeting scheduler on B2B ``.dzn`` instances (Bofill et al., JAIR 2022).

Runs the same :func:`forums.scheduler.solve` the app uses, verifies each schedule with the
independent checker, and compares total breaks with the published optima. No database.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forums.dzn import DznError, load_b2b
from forums.scheduler import (
    ScheduleResult,
    check_schedule,
    count_breaks,
    solve,
    synthetic_forum,
)

# Best known total breaks under fairness d=2 (paper, Table 3; all proven optimal there).
PUBLISHED_OPTIMA: dict[str, int] = {
    "forum-13": 0,
    "forum-13crafb": 6,
    "forum-13crafc": 1,
    "forum-14": 2,
    "forumt-14": 5,
    "forumt-14crafc": 5,
    "forumt-14crafd": 4,
    "forumt-14crafe": 5,
    "tic-12": 0,
    "tic-12crafc": 0,
    "tic-13": 0,
    "tic-13crafb": 0,
    "tic-13crafc": 4,
    "tic-14crafa": 0,
    "tic-14crafc": 0,
    "tic-14crafd": 0,
    "ticf-13crafa": 0,
    "ticf-13crafb": 3,
    "ticf-13crafc": 1,
    "ticf-14crafa": 0,
}


class Command(BaseCommand):
    help = "Solve B2B meeting-scheduling .dzn instances and compare with published optima."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", help=".dzn instance files")
        parser.add_argument("--time-limit", type=float, default=60.0, help="seconds each")
        parser.add_argument("--json", dest="json_out", help="write slots (1-based) here")
        parser.add_argument(
            "--kien-giang",
            action="store_true",
            help="also solve a generated Kien Giang-size forum (seeded)",
        )
        parser.add_argument("--fairness", type=int, default=2, help="max-min breaks (d)")
        parser.add_argument("--workers", type=int, default=None, help="CP-SAT workers")
        parser.add_argument("--seed", type=int, default=0, help="solver random seed")
        parser.add_argument(
            "--kg-seed", type=int, default=2024, help="seed of the generated Kien Giang forum"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        files = [Path(f) for f in options["files"]]
        if not files and not options["kien_giang"]:
            raise CommandError("give .dzn files and/or --kien-giang")
        slots_out: dict[str, list[int | None]] = {}
        hits = known = 0
        for path in files:
            try:
                data = load_b2b(path)
            except (OSError, DznError) as exc:
                raise CommandError(f"{path}: {exc}") from exc
            for warning in data.warnings:
                self.stderr.write(f"{data.name}: {warning}")
            result = solve(
                data.instance,
                time_limit=options["time_limit"],
                fairness_d=options["fairness"],
                num_workers=options["workers"],
                seed=options["seed"],
            )
            errors = check_schedule(data.instance, result.slots)
            breaks = count_breaks(data.instance, result.slots)
            if sum(breaks) != result.total_breaks:
                errors.append(f"breaks {sum(breaks)} != reported {result.total_breaks}")
            opt = PUBLISHED_OPTIMA.get(data.name)
            known += opt is not None
            if opt is None:
                versus = "opt ?"
            elif result.total_breaks == opt:
                versus = f"opt {opt} (= opt)"
                hits += 1
            else:
                versus = f"opt {opt} ({result.total_breaks - opt:+d})"
            self.stdout.write(self._line(data.name, result, len(data.instance.meetings), versus))
            for error in errors[:10]:
                self.stdout.write(f"    INVALID: {error}")
            slots_out[path.name] = [None if t is None else t + 1 for t in result.slots]
        if known:
            self.stdout.write(f"published optimum reached on {hits}/{known}")
        if options["kien_giang"]:
            self._kien_giang(options)
        if options["json_out"]:
            Path(options["json_out"]).write_text(json.dumps(slots_out, indent=1))

    @staticmethod
    def _line(name: str, result: ScheduleResult, total: int, versus: str) -> str:
        return (
            f"{name:16s} {result.n_scheduled:4d}/{total:<4d} breaks {result.total_breaks:3d}  "
            f"max-min {result.spread}  {result.seconds:6.1f}s  {versus}  [{result.status}]"
        )

    def _kien_giang(self, options: dict[str, Any]) -> None:
        started = time.monotonic()
        instance = synthetic_forum(seed=options["kg_seed"])
        built = time.monotonic() - started
        result = solve(
            instance,
            time_limit=options["time_limit"],
            num_workers=options["workers"],
            seed=options["seed"],
        )
        errors = check_schedule(instance, result.slots)
        double = sum(1 for e in errors if "double-booked" in e)
        feasible = len(instance.meetings) - sum(
            1 for u in result.unscheduled if u.code in ("no_common_slot", "overloaded")
        )
        self.stdout.write(
            f"kien-giang       {result.n_scheduled}/{feasible} feasible "
            f"({len(instance.meetings)} requested, {instance.n_participants} participants, "
            f"{instance.n_tables} tables, {instance.n_slots} slots)  "
            f"breaks {result.total_breaks}  max-min {result.spread}  "
            f"{result.seconds:.1f}s (+{built:.1f}s to generate)  double bookings {double}  "
            f"check errors {len(errors)}"
        )
        reasons: dict[str, int] = {}
        for u in result.unscheduled:
            reasons[u.code] = reasons.get(u.code, 0) + 1
        if reasons:
            self.stdout.write(f"    unscheduled by reason: {reasons}")
