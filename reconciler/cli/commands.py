"""The list of subcommands of `reconciler`; each lives in its own module."""

from __future__ import annotations

import click

from reconciler.cli.apply import apply
from reconciler.cli.comment import comment
from reconciler.cli.demo import demo
from reconciler.cli.emulator import emulator
from reconciler.cli.plan import plan
from reconciler.cli.run import run
from reconciler.cli.schema import schema
from reconciler.cli.validate import validate

ALL: list[click.Command] = [
    emulator,
    validate,
    plan,
    apply,
    run,
    comment,
    demo,
    schema,
]
