"""docs/controller.md's table of settings names exactly the fields of `ReconcilerSettings`."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.settings import ReconcilerSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "controller.md"


def documented_variables() -> set[str]:
    """The variables of the settings table: `RECONCILER_X`, and `_Y` short for RECONCILER_Y."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names: set[str] = set()
    for row in rows:
        first_cell = row.split("|")[1]
        for name in re.findall(r"`(RECONCILER_\w+|_\w+)`", first_cell):
            names.add(name if name.startswith("RECONCILER_") else "RECONCILER" + name)
    return names


def test_every_setting_is_documented_and_every_documented_one_exists() -> None:
    fields = {f"RECONCILER_{name.upper()}" for name in ReconcilerSettings.model_fields}
    documented = documented_variables()
    assert documented, "no settings table found in docs/controller.md"
    assert sorted(fields - documented) == [], "settings missing from docs/controller.md"
    assert sorted(documented - fields) == [], "docs/controller.md names settings that do not exist"
