"""The figures this suite measures, recorded per test and summed over a run.

A test records a figure with the `figures` fixture (`figures.add("kill_points", 1)`); it lands
in the test report's `user_properties` under `reliability.<name>`, which pytest-xdist carries
back to the controlling process. `python -m tests.reliability.report` collects them from the
reports of a run and writes the table in docs/reliability.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PREFIX = "reliability."


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    expected: str  # what a correct product shows, for the table ("" when any count is fine)
    combine: str = "sum"  # how the values of several tests add up: "sum" or "max"


# In the order of the table in docs/reliability.md.
FIGURES = (
    Figure("throttles_injected", "Throttling answers injected (Greengrass, S3, STS)", ""),
    Figure("server_errors_injected", "Server errors injected (5xx)", ""),
    Figure(
        "quota_requests_fixed_rate", "Requests of an apply under per-API quotas, fixed rate", ""
    ),
    Figure("quota_throttled_fixed_rate", "... of which throttled", ""),
    Figure("quota_requests_adaptive_rate", "... the same apply at the adaptive rate", ""),
    Figure("quota_throttled_adaptive_rate", "... of which throttled", ""),
    Figure("responses_lost", "Writes that took effect but whose answer was lost", ""),
    Figure("connections_dropped", "Connections reset mid-response (reads and writes)", ""),
    Figure("responses_stalled", "Answers stalled past the client's read timeout", ""),
    Figure("kill_points", "Crash points survived (kill -9, then apply again)", ""),
    Figure("inputs_tried", "Malformed or hostile spec trees tried with plan", ""),
    Figure("inputs_damages", "... holding this many damaged files (specs, recipes, artifacts)", ""),
    Figure(
        "hostile_peak_mb",
        "Peak memory of validate, plan or a controller load of a "
        "hostile spec tree of at most 1 MiB (MB)",
        "< 300",
        "max",
    ),
    Figure("inputs_clean_errors", "... answered by a clear error (exit 1, files named)", ""),
    Figure("git_scenarios", "Git source scenarios (unreachable, force-push, invalid, empty)", ""),
    Figure("duplicates_found", "Duplicates found (revisions, component versions)", "0"),
    Figure("secrets_leaked", "Secret values found in any output", "0"),
    Figure("outputs_searched", "Outputs searched for secrets", ""),
    Figure("dry_run_mutations", "Mutating calls made by dry runs (plan)", "0"),
    Figure("dry_runs", "Dry runs observed", ""),
    Figure("unsigned_webhooks_accepted", "Unsigned or wrongly signed webhooks accepted", "0"),
    Figure(
        "injections_tried", "Plans, comments and validations of hostile keys and file names", ""
    ),
    Figure("injections_through", "... where a string escaped its line, block or cell", "0"),
    Figure("foreign_comments_edited", "PR comments of other authors edited by `comment`", "0"),
    Figure("slow_clients", "Slow connections held open against the controller", "", "max"),
    Figure("late_answers", "... probe or webhook answers slower than 1 s meanwhile", "0"),
    Figure("writers_file_lock", "Writers among two controllers, lock=file", "1", "max"),
    Figure("writers_s3_lock", "Writers among two controllers, lock=s3", "1", "max"),
)
NAMES = frozenset(f.name for f in FIGURES)


class Figures:
    """Records figures of the running test (a thin wrapper around pytest's record_property)."""

    def __init__(self, record: Callable[[str, object], None]) -> None:
        self._record = record

    def add(self, name: str, value: int) -> None:
        if name not in NAMES:
            raise KeyError(f"unknown figure {name!r}; known: {', '.join(sorted(NAMES))}")
        self._record(PREFIX + name, int(value))
