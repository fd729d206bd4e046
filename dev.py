#!/usr/bin/env python3
"""One entry point for newcomers and CI: sets up a virtualenv, then runs the demo or the tests.

    python3 dev.py demo   # set up, then run the main job on the embedded default
    python3 dev.py test   # set up, then lint, type-check and run the whole test suite

Only the standard library is used here: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
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


def ensure_venv(extras: str) -> None:
    """Create .venv and install the package with `extras`; reinstall only when pyproject changes."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs on whatever python3 is
        sys.exit(f"Python 3.11+ is required, this is {sys.version.split()[0]}")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extras}-{digest}"
    # The dev extra includes the emulator extra: a venv set up for tests also runs the demo.
    if stamp.exists() or (VENV / f".installed-dev-{digest}").exists():
        return
    if not PY.exists():
        print(f"Creating virtualenv in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PY, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()


def cmd_test(args: list[str]) -> int:
    ensure_venv("dev")
    _run(BIN / "ruff", "check", "reconciler", "tests", "bench", "dev.py")
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
