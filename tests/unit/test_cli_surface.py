"""The CLI's public surface: help and version work without any AWS or Git access."""

import gc
from pathlib import Path

from click.testing import CliRunner

from reconciler import __version__
from reconciler.cli import main


def test_help_describes_the_flow() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "GitOps for AWS IoT Greengrass v2" in result.output


def test_version_is_the_package_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_every_listed_command_loads_and_has_help() -> None:
    from reconciler.cli.commands import COMMANDS

    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage: main " in result.output or "Usage: " in result.output
        assert len(result.output.splitlines()) > 3, name


def test_the_cli_reference_in_docs_is_up_to_date() -> None:
    from pathlib import Path

    from reconciler.cli.reference import render_reference

    committed = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    assert committed == render_reference(), (
        "docs/cli.md is stale: run `python -m reconciler.cli.reference > docs/cli.md`"
    )


def test_help_works_without_the_emulator_dependencies() -> None:
    """The controller's image ships without moto: listing the commands must not need it."""
    import subprocess
    import sys

    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'moto' or name.startswith('moto.'):\n"
        "            raise ImportError('moto is not installed here')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from reconciler.cli import main\n"
        "main(['--help'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocker], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout and "emulator" in result.stdout


def test_help_works_without_git(tmp_path: Path) -> None:
    """A machine without the `git` program still gets every command's help (GitPython refuses to
    be imported there, so no command may import it before it runs)."""
    import subprocess
    import sys

    from reconciler.cli.commands import COMMANDS

    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from reconciler.cli import main\n"
        "for args in [['--help'], *[[name, '--help'] for name in sys.argv[1:]]]:\n"
        "    result = CliRunner().invoke(main, args)\n"
        "    assert result.exit_code == 0, (args, repr(result.exception))\n"
    )
    no_git = {"PATH": str(tmp_path), "HOME": str(tmp_path)}  # an empty PATH: no `git` on it
    result = subprocess.run(
        [sys.executable, "-c", script, *COMMANDS],
        capture_output=True,
        text=True,
        timeout=120,
        env=no_git,
    )
    assert result.returncode == 0, result.stderr


def test_every_option_that_reads_a_variable_names_it_in_its_help() -> None:
    """What docs/cli.md promises: the help of an option names each variable it reads."""
    import click

    from reconciler.cli.commands import COMMANDS
    from reconciler.cli.reference import SETTINGS_COMMANDS
    from reconciler.settings import ReconcilerSettings

    group = click.Context(main, info_name="reconciler")
    unnamed = []
    for name in COMMANDS:
        command = main.get_command(group, name)
        assert command is not None
        context = click.Context(command, info_name=name, parent=group)
        for option in (p for p in command.params if isinstance(p, click.Option)):
            own = option.envvar
            variables = [own] if isinstance(own, str) else list(own or [])
            if name in SETTINGS_COMMANDS and option.name in ReconcilerSettings.model_fields:
                variables.append(f"RECONCILER_{option.name.upper()}")
            record = option.get_help_record(context)
            text = " ".join((record[1] if record else "").split())
            unnamed += [(name, option.name, v) for v in variables if v not in text]
    assert unnamed == []


def test_a_one_shot_command_restores_the_garbage_collector_thresholds(tmp_path: Path) -> None:
    # `plan` collects garbage less often while it runs (cli/common.py `runs_once`); tests and
    # embedding programs run commands in their own process, which must keep its settings.
    before = gc.get_threshold()
    result = CliRunner().invoke(main, ["plan", "--specs", str(tmp_path / "missing")])
    assert result.exit_code != 0
    assert gc.get_threshold() == before
