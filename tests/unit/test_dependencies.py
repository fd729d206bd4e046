"""Every library the product imports is installed with it: declared in pyproject.toml's
`dependencies`, or required by one of them. The container image installs only those (no
test extras), so a module that came in through a test-only package works in the suite and
fails in the image (jsonpointer did, when jsonpatch became test-only)."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
# The emulator is an optional extra (moto and what it brings); it is not checked here.
PRODUCT = [p for p in (ROOT / "reconciler").rglob("*.py") if "emulator" not in p.parts]


def _runtime_imports(path: Path) -> set[str]:
    """Top-level modules `path` imports at run time (not under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(child) for child in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.partition(".")[0])
    return found


def _installed_with_the_product() -> set[str]:
    """The declared dependencies and, transitively, what they require (without extras)."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pending = [Requirement(text) for text in declared]
    seen: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(requirement.name) or []:
            needed = Requirement(text)
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                pending.append(needed)
    return seen


def test_every_imported_library_is_installed_with_the_product() -> None:
    providers = metadata.packages_distributions()
    installed = _installed_with_the_product()
    missing: dict[str, set[str]] = {}
    for path in PRODUCT:
        for module in _runtime_imports(path):
            if module in sys.stdlib_module_names or module in ("reconciler", "__future__"):
                continue
            dists = {canonicalize_name(d) for d in providers.get(module, [module])}
            if not dists & installed:
                missing.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    assert missing == {}, f"imported but not a dependency (pyproject.toml): {missing}"
