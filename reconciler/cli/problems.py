"""Printing the problems found in the specs: one format for `validate` and every other command.

    deploy-specs/groups/camera-prod.yaml:12: spec.components["..."].version: '2.1' is not ...

`--format json` prints the same problems as a list of {file, line, field, message}.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.core.printable import printable, printable_json
from reconciler.core.specs import InvalidSpecsError, SpecProblem
from reconciler.errors import SpecError


def problems_of(error: SpecError) -> tuple[SpecProblem, ...]:
    """Every problem `error` carries; an error about the specs as a whole is one problem."""
    if isinstance(error, InvalidSpecsError):
        return error.problems
    return (SpecProblem("", 0, "", str(error)),)


def report_problems(root: Path, problems: tuple[SpecProblem, ...], output_format: str) -> None:
    """Print `problems` of the specs under `root` as text (with a count) or as JSON."""
    if output_format == "json":
        rows = [
            {
                "file": _display_file(root, p),
                "line": p.line or None,
                "field": p.field,
                "message": p.message,
            }
            for p in problems
        ]
        click.echo(printable_json(json.dumps(rows, indent=2, ensure_ascii=False)))
        return
    for problem in problems:
        where = _display_file(root, problem) + (f":{problem.line}" if problem.line else "")
        field = f" {problem.field}:" if problem.field else ""
        # File names, keys and values come from the specs: controls must show, not act.
        click.echo(printable(f"{where}:{field} {problem.message}"))
    files = len({p.file for p in problems})
    total = f"{count(len(problems), 'problem')} in {count(files, 'file')}"
    click.echo(f"\n{printable(root.as_posix())}: {total}.")


def count(number: int, noun: str) -> str:
    """`1 problem`, `2 problems`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _display_file(root: Path, problem: SpecProblem) -> str:
    return (root / problem.file).as_posix() if problem.file else root.as_posix()
