"""Run the reliability suite and rewrite the figures table in docs/reliability.md.

    python -m tests.reliability.report              run, print the figures, rewrite the table
    python -m tests.reliability.report --dry-run    run and print only
    python -m tests.reliability.report -- -n 2      pass what follows `--` to pytest

The tests record their figures with the `figures` fixture (see figures.py); a pytest plugin
collects them from the test reports (pytest-xdist carries them from its workers). The table is
written only when every test passed and every figure that has a required value shows it; the
conditions of the run (machine, load, duration) are written with it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.reliability.figures import FIGURES, PREFIX, Figure

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DOC = ROOT / "docs" / "reliability.md"
BEGIN = "<!-- reliability-figures:begin (written by python -m tests.reliability.report) -->"
END = "<!-- reliability-figures:end -->"


class FigureCollector:
    """A pytest plugin: test outcomes, and the figures the tests recorded."""

    def __init__(self) -> None:
        self.values: defaultdict[str, list[int]] = defaultdict(list)
        self.outcomes: Counter[str] = Counter()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.outcomes[report.outcome] += 1
        if report.when != "call":
            return  # every phase's report repeats the properties recorded so far
        for name, value in report.user_properties:
            if name.startswith(PREFIX) and isinstance(value, int):
                self.values[name.removeprefix(PREFIX)].append(value)

    def total(self, figure: Figure) -> int | None:
        values = self.values.get(figure.name)
        if not values:
            return None
        return max(values) if figure.combine == "max" else sum(values)


def _shortfalls(collector: FigureCollector) -> list[str]:
    problems = []
    for figure in FIGURES:
        value = collector.total(figure)
        if value is None:
            problems.append(f"{figure.name}: not measured")
        elif figure.expected and not _meets(value, figure.expected):
            problems.append(f"{figure.name}: {value}, must be {figure.expected}")
    return problems


def _meets(value: int, expected: str) -> bool:
    """Whether `value` shows `expected`: an exact count ("0") or a bound ("< 300")."""
    if expected.startswith("< "):
        return value < int(expected[2:])
    return str(value) == expected


def render(collector: FigureCollector, *, seconds: float, load: tuple[float, float]) -> str:
    rows = ["| figure | value | required |", "|---|---:|:---:|"]
    for figure in FIGURES:
        value = collector.total(figure)
        shown = "not measured" if value is None else f"{value:,}"
        rows.append(f"| {figure.label} | {shown} | {figure.expected or ''} |")
    outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(collector.outcomes.items()))
    conditions = (
        f"Last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {outcomes} in {seconds:.0f} s on "
        f"{os.cpu_count()} cores ({platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}), load average {load[0]:.1f} before and {load[1]:.1f} "
        "after the run."
    )
    return "\n".join([BEGIN, *rows, "", conditions, END])


def rewrite(document: str, table: str) -> str:
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{DOC} lacks the markers {BEGIN!r} ... {END!r}")
    return document[:start] + table + document[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--dry-run", action="store_true", help="print the figures only")
    parser.add_argument("pytest_args", nargs="*", help="after --: arguments for pytest")
    options = parser.parse_args(argv)

    collector = FigureCollector()
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    code = pytest.main(
        [str(HERE), "-p", "no:cacheprovider", "-q", *options.pytest_args], plugins=[collector]
    )
    seconds = time.monotonic() - started
    table = render(collector, seconds=seconds, load=(load_before, os.getloadavg()[0]))
    print("\n" + table)
    problems = _shortfalls(collector)
    for problem in problems:
        print(f"figure {problem}", file=sys.stderr)
    if code != 0 or problems:
        print(f"not writing {DOC.relative_to(ROOT)}: the run failed", file=sys.stderr)
        return int(code) or 1
    if not options.dry_run:
        DOC.write_text(rewrite(DOC.read_text(encoding="utf-8"), table), encoding="utf-8")
        print(f"wrote the figures to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
