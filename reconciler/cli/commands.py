"""The list of subcommands of `reconciler`; each lives in its own module."""

from __future__ import annotations

import click

from reconciler.cli.comment import comment

ALL: list[click.Command] = [
    comment,
]
