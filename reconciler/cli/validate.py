"""`reconciler validate`: check the deploy-specs and list every problem."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.adapters.spec_files import load_spec_set
from reconciler.core.printable import printable, printable_json
from reconciler.core.specs import InvalidSpecsError, SpecLimits, SpecProblem, SpecSet
from reconciler.core.specs.tree import MIB
from reconciler.errors import SpecError


@click.command("validate")
@click.argument(
    "path", type=click.Path(path_type=Path), default=Path("deploy-specs"), required=False
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: a list of {file, line, field, message} (an empty list when valid).",
)
@click.option(
    "--max-artifact-mib",
    type=click.IntRange(min=1),
    default=512,
    show_default=True,
    envvar="RECONCILER_MAX_ARTIFACT_MIB",
    help="Largest local artifact accepted, in MiB (env RECONCILER_MAX_ARTIFACT_MIB).",
)
def validate(path: Path, output_format: str, max_artifact_mib: int) -> None:
    """Check the specs under PATH (default: deploy-specs) without contacting AWS.

    Prints every problem as FILE:LINE: FIELD: MESSAGE, sorted by file and line, and exits 1;
    exits 0 with a one-line summary when the specs are valid.

    \b
    Examples:
      reconciler validate
      reconciler validate deploy-specs --format json
    \b
    A problem reads:
      deploy-specs/groups/camera-prod.yaml:12:
        spec.components["aws.greengrass.DLRImageClassification"].version:
        '2.1' is not a valid semantic version (expected MAJOR.MINOR.PATCH, e.g. 2.1.0)
    """
    limits = SpecLimits(max_artifact_bytes=max_artifact_mib * MIB)
    try:
        spec_set = load_spec_set(path, limits)
    except SpecError as error:
        problems = (
            error.problems
            if isinstance(error, InvalidSpecsError)
            else (SpecProblem("", 0, "", str(error)),)
        )
        _report_problems(path, problems, output_format)
        raise SystemExit(1) from None
    if output_format == "json":
        click.echo("[]")
    else:
        click.echo(printable(_summary(path, spec_set)))


def _display_file(root: Path, problem: SpecProblem) -> str:
    return (root / problem.file).as_posix() if problem.file else root.as_posix()


def _report_problems(root: Path, problems: tuple[SpecProblem, ...], output_format: str) -> None:
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
    total = f"{_count(len(problems), 'problem')} in {_count(files, 'file')}"
    click.echo(f"\n{printable(root.as_posix())}: {total}.")


def _summary(root: Path, spec_set: SpecSet) -> str:
    groups = ", ".join(d.thing_group for d in spec_set.deployments)
    deployments = _count(len(spec_set.deployments), "deployment")
    return (
        f"{root.as_posix()}: valid. {deployments}{f' ({groups})' if groups else ''}, "
        f"{_count(len(spec_set.components), 'component')}, "
        f"{_count(len(spec_set.overrides), 'override')}."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
