"""The `reconciler` command line: thin commands that parse options and call the engine."""

from __future__ import annotations

import click

from reconciler import __version__
from reconciler.cli.commands import LazyGroup


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="reconciler")
def main() -> None:
    """GitOps for AWS IoT Greengrass v2.

    Keep the desired deployments of your thing groups in Git (deploy-specs/), review their plan
    on every pull request, and let the controller apply them and keep the fleet converged.

    \b
    Typical flow:
      reconciler validate deploy-specs     check the specs (exit 1 on any error)
      reconciler plan                      show what would change (exit 2 when something would)
      reconciler apply                     create component versions and deployment revisions
      reconciler run                       the controller: watch Git, resync, heal drift
    """
