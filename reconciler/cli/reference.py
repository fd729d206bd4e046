"""Render the CLI reference (docs/cli.md) from the commands themselves, so it cannot drift.

python -m reconciler.cli.reference > docs/cli.md
"""

from __future__ import annotations

import click

from reconciler.cli import main
from reconciler.cli.commands import COMMANDS

# The commands that build `ReconcilerSettings` from their options: an option of theirs named like
# a setting also reads RECONCILER_<NAME>. The other commands do not read the settings.
SETTINGS_COMMANDS = ("run", "plan", "apply", "status", "validate")


def _help(command: click.Command, name: str, parent: click.Context | None = None) -> str:
    # make_context applies the group's context_settings (`-h`), as a real invocation does.
    context = command.make_context(
        name,
        [],
        parent=parent,
        resilient_parsing=True,
        terminal_width=100,
        max_content_width=100,
        help_option_names=["-h", "--help"],
    )
    return command.get_help(context)


def render_reference() -> str:
    parts = [
        "# CLI reference",
        "",
        "Generated from the commands' own `--help` by `python -m reconciler.cli.reference`; a",
        "test keeps this file up to date. Every option that reads an environment variable names",
        "it in its help, and a test checks that too: the options of `run`, `plan`, `apply`,",
        "`status` and `validate` that are settings (`RECONCILER_<NAME>`, see",
        "[controller.md](controller.md)), and the options with a variable of their own.",
        "",
        "```text",
        _help(main, "reconciler"),
        "```",
    ]
    group_context = click.Context(main, info_name="reconciler")
    for name in COMMANDS:
        command = main.get_command(group_context, name)
        assert command is not None
        parts += [
            "",
            f"## reconciler {name}",
            "",
            "```text",
            _help(command, f"reconciler {name}"),
            "```",
        ]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    click.echo(render_reference(), nl=False)
