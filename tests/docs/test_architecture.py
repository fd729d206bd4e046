"""ARCHITECTURE.md matches the code: the places it names exist, the import-linter contracts it
states are the ones in pyproject.toml, and the two rules it says tests keep are kept."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "ARCHITECTURE.md"
CONTRACTS_HEADING = "## The rules import-linter enforces"


def _text() -> str:
    return PAGE.read_text(encoding="utf-8")


def _contracts_section() -> str:
    return _text().split(CONTRACTS_HEADING, 1)[1].split("\n## ", 1)[0]


def _pyproject_contracts() -> list[dict[str, Any]]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        contracts: list[dict[str, Any]] = tomllib.load(file)["tool"]["importlinter"]["contracts"]
    return contracts


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_the_readme_links_to_the_page() -> None:
    assert "(ARCHITECTURE.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_path_the_page_names_exists() -> None:
    named = set(re.findall(r"`((?:reconciler|tests|docs|bench)/[^`\s]*)`", _text()))
    assert len(named) > 20, "the page names almost no paths: did its format change?"
    assert sorted(path for path in named if not (ROOT / path).exists()) == []


def test_every_package_the_page_names_exists() -> None:
    dotted = set(re.findall(r"`(reconciler(?:\.\w+)*)`", _text()))
    assert dotted, "the page names no package"
    assert sorted(name for name in dotted if not _is_module(name)) == []


def test_the_contracts_stated_are_the_contracts_kept() -> None:
    stated = dict(re.findall(r"^- \*\*(.+?)\*\* \((\w+)[,)]", _contracts_section(), re.MULTILINE))
    kept = {str(c["name"]): str(c["type"]) for c in _pyproject_contracts()}
    assert stated == kept


def test_each_contract_names_the_modules_it_constrains() -> None:
    section = _contracts_section()
    bullets = re.split(r"^- ", section, flags=re.MULTILINE)[1:]
    for contract in _pyproject_contracts():
        bullet = next(b for b in bullets if b.startswith(f"**{contract['name']}**"))
        text = " ".join(bullet.split())
        named = set(re.findall(r"`(reconciler(?:\.\w+)*)`", text))
        modules = [
            *contract.get("source_modules", []),
            *contract.get("ancestors", []),
            *contract.get("forbidden_modules", []),
        ]
        constrained = {str(m) for m in modules if str(m).startswith("reconciler")}
        assert sorted(constrained - named) == [], contract["name"]


def test_no_module_imports_another_modules_private_name() -> None:
    found = []
    for path in sorted((ROOT / "reconciler").rglob("*.py")) + sorted(
        (ROOT / "tests").rglob("*.py")
    ):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reconciler"):
                private = [a.name for a in node.names if re.match(r"_[^_]", a.name)]
                found += [f"{path.relative_to(ROOT)}: {node.module}.{name}" for name in private]
    assert found == []


# Reads of RECONCILER_* variables outside settings.py, each for a reason: the demo's ports are
# its own options (the demo is not a process that runs in production, and its emulator port is
# no setting). Git's credential helper gets its values through the environment of the Git
# process (written, not read, by git_environment.py).
ALLOWED_OWN_READS = {"reconciler/cli/demo.py"}
_OWN_READ = re.compile(r"""(envvar=|environ\.get\(|environ\[|getenv\()\s*["']RECONCILER_""")


def test_no_setting_is_read_from_the_environment_outside_the_settings() -> None:
    readers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "reconciler").rglob("*.py")
        if _OWN_READ.search(path.read_text(encoding="utf-8"))
    }
    assert readers == ALLOWED_OWN_READS
