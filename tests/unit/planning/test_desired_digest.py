"""`desired_state_digest`: what the specs ask of a group, not where or how it is written."""

from __future__ import annotations

from pathlib import Path

from reconciler.adapters.spec_files import load_spec_set
from reconciler.core.planning.targets import desired_state_digest

PROD = "groups/camera-prod.yaml"


def _digest(specs: Path, group: str = "CameraFleetProd", **versions: str) -> bytes:
    spec = load_spec_set(specs).deployment_for(group)
    assert spec is not None
    resolved = {name: c.version or "" for name, c in spec.components.items()}
    return desired_state_digest(spec, {**resolved, **versions})


def _edit(specs: Path, relative: str, old: str, new: str) -> None:
    path = specs / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_moving_lines_and_comments_and_sync_policy_change_nothing(specs: Path) -> None:
    before = _digest(specs)
    text = (specs / PROD).read_text(encoding="utf-8")
    (specs / PROD).write_text("# a comment moves every line\n\n" + text, encoding="utf-8")
    _edit(specs, "bases/camera-fleet.yaml", "selfHeal: true", "selfHeal: false")
    assert _digest(specs) == before


def test_a_configuration_value_or_a_version_changes_it(specs: Path) -> None:
    before = _digest(specs)
    staging = _digest(specs, "CameraFleetStaging")
    assert _digest(specs, **{"aws.greengrass.DLRImageClassification": "9.9.9"}) != before
    _edit(specs, PROD, "InferenceInterval: 300", "InferenceInterval: 120")
    assert _digest(specs) != before
    assert _digest(specs, "CameraFleetStaging") == staging  # the other group asks the same
