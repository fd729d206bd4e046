"""`reconciler validate`: check the deploy-specs and list every problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.adapters.spec_files import load_spec_set
from reconciler.cli.problems import count, problems_of, report_problems
from reconciler.core.printable import printable
from reconciler.core.specs import SpecLimits, SpecSet
from reconciler.core.specs.tree import MIB
from reconciler.errors import SpecError
from reconciler.settings import ReconcilerSettings


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
    help="Largest local artifact accepted, in MiB (env RECONCILER_MAX_ARTIFACT_MIB, default "
    f"{ReconcilerSettings.model_fields['max_artifact_mib'].default}).",
)
def validate(path: Path, output_format: str, max_artifact_mib: int | None) -> None:
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
    given: dict[str, Any] = {}
    if max_artifact_mib is not None:
        given["max_artifact_mib"] = max_artifact_mib
    try:
        settings = ReconcilerSettings(**given)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    limits = SpecLimits(max_artifact_bytes=settings.max_artifact_mib * MIB)
    try:
        spec_set = load_spec_set(path, limits)
    except SpecError as error:
        report_problems(path, problems_of(error), output_format)
        raise SystemExit(1) from None
    if output_format == "json":
        click.echo("[]")
    else:
        click.echo(printable(_summary(path, spec_set)))


def _summary(root: Path, spec_set: SpecSet) -> str:
    groups = ", ".join(d.thing_group for d in spec_set.deployments)
    deployments = count(len(spec_set.deployments), "deployment")
    return (
        f"{root.as_posix()}: valid. {deployments}{f' ({groups})' if groups else ''}, "
        f"{count(len(spec_set.components), 'component')}, "
        f"{count(len(spec_set.overrides), 'override')}."
    )
