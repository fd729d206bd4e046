#!/usr/bin/env python3
"""One entry point for newcomers and CI: sets up a virtualenv, then runs the demo or the tests.

    python3 dev.py demo   # set up, then run the main job on the embedded default
    python3 dev.py test   # set up, then lint, check formatting, type-check and run every test

Only the standard library is used here: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("RECONCILER_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"

# pytest's "no tests were collected": a suite that ran nothing has failed, not passed.
PYTEST_NO_TESTS = 5


def _run(*cmd: str | Path, check: bool = True) -> int:
    printable = " ".join(str(c) for c in cmd)
    print(f"+ {printable}", flush=True)
    rc = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if check and rc != 0:
        sys.exit(rc)
    return rc


def check_tools() -> None:
    """Stop early, saying what to install, when a tool the commands need is missing."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs on whatever python3 is
        sys.exit(f"Python 3.11+ is required, this is {sys.version.split()[0]}")
    if shutil.which("git") is None:
        sys.exit(
            "git is required and was not found on PATH: the demo keeps the specs in a Git "
            "repository, and the tests create some. Install it (Debian/Ubuntu: "
            "sudo apt-get install git; macOS: xcode-select --install) and run this again."
        )


def _has_pip() -> bool:
    probe = [str(PY), "-m", "pip", "--version"]
    return subprocess.call(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def ensure_pip() -> None:
    """Make sure the virtualenv has a working pip: create the virtualenv when it is missing or
    broken, install pip with ensurepip into one that lacks it (made by `python3 -m venv
    --without-pip`, or by a Python whose venv module could not install pip), and as a last
    resort create the virtualenv anew."""
    if PY.exists() and _has_pip():
        return
    if PY.exists():
        print(f"The virtualenv in {VENV} has no pip: installing it with ensurepip", flush=True)
        command = [str(PY), "-m", "ensurepip", "--upgrade", "--default-pip"]
        if subprocess.call(command) == 0 and _has_pip():
            return
    print(f"Creating virtualenv in {VENV}", flush=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    except (OSError, subprocess.CalledProcessError) as error:
        sys.exit(_no_venv_message(error))
    if not _has_pip():
        sys.exit(_no_venv_message(None))


def _no_venv_message(error: BaseException | None) -> str:
    cause = f" ({error})" if error else ""
    return (
        f"Could not create a virtualenv with pip in {VENV}{cause}. This Python lacks venv or "
        "ensurepip: on Debian/Ubuntu install them with `sudo apt-get install python3-venv` "
        f"(or python{sys.version_info.major}.{sys.version_info.minor}-venv), then run this "
        "again. RECONCILER_VENV=<dir> puts the virtualenv elsewhere."
    )


def ensure_venv(extras: str) -> None:
    """Create .venv and install the package with `extras`; reinstall only when pyproject changes."""
    check_tools()
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extras}-{digest}"
    # The dev extra includes the emulator extra: a venv set up for tests also runs the demo.
    if (stamp.exists() or (VENV / f".installed-dev-{digest}").exists()) and PY.exists():
        return
    ensure_pip()
    _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PY, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()


def cmd_test(args: list[str]) -> int:
    ensure_venv("dev")
    _run(BIN / "ruff", "check", "reconciler", "tests", "bench", "dev.py")
    _run(BIN / "ruff", "format", "--check", "reconciler", "tests", "bench", "dev.py")
    _run(BIN / "mypy")
    _run(BIN / "lint-imports")
    rc = _run(PY, "-m", "pytest", "-n", "2", "--dist", "loadgroup", *args, check=False)
    if rc == PYTEST_NO_TESTS:
        print("pytest collected no tests: that is a failure of the suite", file=sys.stderr)
        return 1
    return rc


def cmd_demo(args: list[str]) -> int:
    ensure_venv("emulator")
    return _run(BIN / "reconciler", "demo", *args, check=False)


def main() -> int:
    commands = {"test": cmd_test, "demo": cmd_demo}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 64
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
