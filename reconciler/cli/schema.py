"""`reconciler schema`: print the JSON Schema of a spec document."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.core.specs.schema import render_schema


@click.command("schema")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the schema to this file instead of printing it.",
)
def schema(out: Path | None) -> None:
    """Print the JSON Schema of a deploy-specs document (every kind, told apart by `kind`).

    Point your editor at it to get completion and typo checks while writing specs; the repository
    keeps a generated copy in docs/deploy-specs.schema.json. `reconciler validate` remains the
    full check (it also merges `extends`, reads recipes and checks files).

    \b
    Examples:
      reconciler schema --out docs/deploy-specs.schema.json
      # then, first line of a spec file:
      # yaml-language-server: $schema=../docs/deploy-specs.schema.json
    """
    text = render_schema()
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)
