"""Spec trees of at most 1 MiB built to make the loader expand as much as it can, and the peak
memory of a command that reads one.

Each tree attacks one bound of `SpecLimits`: a long string aliased many times (the characters
of one file), thousands of small alias bombs (the aliases of the whole tree), thousands of small
Deployments each a copy of a large base with one key changed (what the resolved Deployments
hold), and the same just under that bound (valid: resolved in full). Run it on its own to print
the figures: `.venv/bin/python -m tests.reliability.hostile_memory`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

MIB = 1024 * 1024
SETTINGS = """\
apiVersion: greengrass-reconciler/v1
kind: Settings
metadata: {name: hostile}
spec:
  region: us-east-1
  accountId: "123456789012"
  artifacts: {bucket: acme-greengrass-artifacts}
  allowEmpty: true
"""
COMPONENT = "aws.greengrass.DLRImageClassification"


def _deployment(name: str, configuration: str, extends: str | None = None) -> str:
    head = f"  extends: {extends}\n" if extends else ""
    body = "".join(f"        {line}\n" for line in configuration.splitlines())
    return (
        f"apiVersion: greengrass-reconciler/v1\nkind: Deployment\nmetadata: {{name: {name}}}\n"
        f"spec:\n{head}  thingGroup: {name}\n  components:\n    {COMPONENT}:\n"
        f"      version: 2.1.10\n      configuration:\n{body}"
    )


def string_bomb(root: Path) -> None:
    """One file: a 500,000-character string anchored once and aliased 90,000 times (~45 GB)."""
    aliases = ", ".join(["*big"] * 90_000)
    (root / "bomb.yaml").write_text(
        _deployment("bomb", f"Big: &big {'x' * 500_000}\nMany: [{aliases}]")
    )


def alias_swarm(root: Path) -> None:
    """2,900 files of ~360 bytes, each an alias bomb of 1,000 values: far under the limit of a
    file, 2.9 million values in all."""
    bomb = (
        "A: &a [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n"
        "B: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "C: [*b, *b, *b, *b, *b, *b, *b, *b, *b]"
    )
    for index in range(2_900):
        (root / f"g{index:04d}.yaml").write_text(_deployment(f"g{index:04d}", bomb))


def _fat_base(root: Path) -> None:
    keys = "".join(f"        Key{i:04d}: {'v' * 90}\n" for i in range(4_000))  # ~400 KB
    (root / "fat.yaml").write_text(
        "apiVersion: greengrass-reconciler/v1\nkind: DeploymentBase\nmetadata: {name: fat}\n"
        f"spec:\n  components:\n    {COMPONENT}:\n      version: 2.1.10\n"
        f"      configuration:\n{keys}"
    )


def base_copies(root: Path) -> None:
    """A 400 KB base and 2,500 Deployments of ~250 bytes, each changing one of its keys: 2,500
    distinct copies of the base (1 GB) if nothing bounded them."""
    _fat_base(root)
    for index in range(2_500):
        name = f"g{index:04d}"
        (root / f"{name}.yaml").write_text(_deployment(name, f"Key0000: {index}", "fat"))


def base_copies_under_the_limit(root: Path) -> None:
    """As `base_copies`, with as many Deployments as the bound lets resolve (valid)."""
    _fat_base(root)
    for index in range(70):
        name = f"g{index:04d}"
        (root / f"{name}.yaml").write_text(_deployment(name, f"Key0000: {index}", "fat"))


TREES: dict[str, Callable[[Path], None]] = {
    "string-bomb": string_bomb,
    "alias-swarm": alias_swarm,
    "base-copies": base_copies,
    "base-copies-valid": base_copies_under_the_limit,
}

_CONTROLLER_LOAD = """
import sys
from pathlib import Path
from reconciler.adapters.spec_files import SpecDirectoryLoader
from reconciler.errors import SpecError
try:
    spec_set = SpecDirectoryLoader().load(Path(sys.argv[1]))
    print("loaded", len(spec_set.deployments))
except SpecError as error:
    print("refused", len(error.problems))
"""


def write_tree(build: Callable[[Path], None], root: Path) -> int:
    """Build a tree under `root` (Settings and what `build` adds); its size in bytes."""
    root.mkdir(parents=True)
    (root / "reconciler.yaml").write_text(SETTINGS)
    build(root)
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


# A fresh, small process starts the command and reports its child's peak memory. Measured from
# the test process itself, ru_maxrss would include the pytest worker's own resident set: Linux
# carries the high-water mark of the forked image across exec, and a worker that already ran
# other tests can hold more than the bound being checked.
_MEASURE = """\
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss_mb(command: list[str]) -> tuple[float, int, str]:
    """Run `command`; its peak resident memory in MB, exit code and output."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "maxrss"
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(report), *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        maxrss_kib = int(report.read_text())  # ru_maxrss is in KiB on Linux
    return maxrss_kib / 1024, done.returncode, done.stdout


def commands(root: Path) -> dict[str, list[str]]:
    """The three ways a tree is read: validate, plan, and the controller's load of one cycle."""
    reconciler = [str(Path(sys.executable).with_name("reconciler"))]
    return {
        "validate": [*reconciler, "validate", str(root)],
        "plan": [*reconciler, "plan", "--specs", str(root)],
        "controller load": [sys.executable, "-c", _CONTROLLER_LOAD, str(root)],
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        for name, build in TREES.items():
            root = Path(scratch) / name
            size = write_tree(build, root)
            for what, command in commands(root).items():
                if what == "plan" and "AWS_ENDPOINT_URL" not in os.environ:
                    continue
                peak, code, output = peak_rss_mb(command)
                last = output.strip().splitlines()[-1][:100] if output.strip() else ""
                print(
                    f"{name:18} {size / MIB:4.2f} MiB {what:15} exit {code} {peak:6.1f} MB  {last}"
                )


if __name__ == "__main__":
    main()
