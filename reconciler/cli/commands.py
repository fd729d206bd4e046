"""The subcommands of `reconciler`, each in its own module, imported only when used.

Importing every command up front would load boto3, moto and pydantic for `--version`; a group
that resolves names lazily keeps a single command's start-up to what that command needs.
"""

from __future__ import annotations

import importlib

import click

COMMANDS: dict[str, str] = {
    "validate": "reconciler.cli.validate:validate",
    "plan": "reconciler.cli.plan:plan",
    "apply": "reconciler.cli.apply:apply",
    "status": "reconciler.cli.status:status",
    "run": "reconciler.cli.run:run",
    "suspend": "reconciler.cli.stop:suspend",
    "resume": "reconciler.cli.stop:resume",
    "rollback": "reconciler.cli.stop:rollback",
    "approve": "reconciler.cli.stop:approve",
    "comment": "reconciler.cli.comment:comment",
    "emulator": "reconciler.cli.emulator:emulator",
    "demo": "reconciler.cli.demo:demo",
    "schema": "reconciler.cli.schema:schema",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command
