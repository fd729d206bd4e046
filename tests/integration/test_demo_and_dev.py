"""`python3 dev.py demo` on a machine that is not quite ready: busy ports, no git, a virtualenv
without pip. Each gets a clear message (no traceback) or is repaired."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.cli.demo import port_to_use

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def _demo(workdir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner(env=env).invoke(
        main, ["demo", "--workdir", str(workdir), "--exit-when-synced", *args]
    )
    return result.exit_code, result.output


def test_a_busy_emulator_port_that_was_asked_for_is_a_clear_error(
    busy_port: int, tmp_path: Path
) -> None:
    code, output = _demo(tmp_path / "demo", "--emulator-port", str(busy_port), "--http-port", "0")
    assert code == 1, output
    assert f"port {busy_port} for the emulator is in use" in output
    assert "--emulator-port N or RECONCILER_EMULATOR_PORT=N" in output
    assert "Traceback" not in output
    assert not (tmp_path / "demo").exists()  # nothing started, nothing created


def test_the_http_port_variable_the_hint_names_is_what_the_demo_uses(
    busy_port: int, tmp_path: Path
) -> None:
    code, output = _demo(
        tmp_path / "demo",
        "--emulator-port",
        "0",
        env={"RECONCILER_HTTP_PORT": str(busy_port)},
    )
    assert code == 1, output
    assert f"port {busy_port} for the controller is in use" in output
    assert "RECONCILER_HTTP_PORT=N" in output
    assert "Traceback" not in output


def test_a_busy_default_port_gives_way_to_a_free_one(busy_port: int) -> None:
    @click.command()
    def choose() -> None:
        port = port_to_use(
            "controller", busy_port, option="--http-port", envvar="RECONCILER_HTTP_PORT",
            explicit=False,
        )  # fmt: skip
        click.echo(f"chosen {port}")

    result = CliRunner().invoke(choose, [])
    assert result.exit_code == 0, result.output
    assert "chosen 0" in result.output  # 0: the server binds a free port and prints it
    assert f"Port {busy_port} for the controller is in use" in result.output


def test_dev_py_without_git_says_what_to_install(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "demo"],
        cwd=ROOT,
        env={**os.environ, "PATH": str(empty), "RECONCILER_VENV": str(tmp_path / "venv")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "git is required" in result.stderr and "apt-get install git" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "venv").exists()  # stopped before creating anything


def _dev_module(venv_dir: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("RECONCILER_VENV", str(venv_dir))
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_py_repairs_a_virtualenv_without_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(venv_dir)
    python = venv_dir / "bin" / "python"
    assert subprocess.call([python, "-m", "pip", "--version"], stderr=subprocess.DEVNULL) != 0

    _dev_module(venv_dir, monkeypatch).ensure_pip()

    assert subprocess.call([python, "-m", "pip", "--version"], stdout=subprocess.DEVNULL) == 0
