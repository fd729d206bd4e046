"""The spec of kind: Rollout (reconciler/core/specs/rollout_models.py), checked with file, line
and field, and turned into the Rollout the pure wave rules take."""

from __future__ import annotations

from reconciler.core.specs import SpecLimits
from reconciler.core.specs.located import Node
from reconciler.core.specs.parsing import parse_file
from reconciler.core.specs.rollout_models import RolloutSpec, check_rollouts
from reconciler.core.specs.validation import validate_node
from reconciler.core.waves import Canary, Gate, OnFailure, Rollout, Wave

CAMERA_MODELS = """\
waves:
  - name: canary
    canary: {parent: CameraFleetProd, group: CameraFleetCanary}
    gate: {minDevices: 3, successRatio: 1.0, bake: 10m}
  - name: staging
    targets: [CameraFleetStaging]
    gate: {successRatio: 0.98, bake: 30m, maxFailedDevices: 2, approval: true}
  - name: production
    targets: [CameraFleetProd]
onFailure: revert
"""
DEPLOYED = {"CameraFleetProd", "CameraFleetStaging"}


def spec_node(text: str, file: str = "rollout.yaml") -> Node:
    root = parse_file(file, text.encode(), SpecLimits())
    assert root is not None
    return root


def rendered(text: str, deployed: set[str] = DEPLOYED, *more: str) -> list[str]:
    documents = []
    problems = []
    for number, source in enumerate((text, *more)):
        node = spec_node(source, f"r{number}.yaml")
        spec, found = validate_node(RolloutSpec, node)
        problems += found
        if spec is not None:
            documents.append((f"r{number}", node, spec))
    _, across = check_rollouts(documents, deployed)
    return [p.render() for p in [*problems, *across]]


def test_the_issue_example_becomes_its_rollout() -> None:
    node = spec_node(CAMERA_MODELS)
    spec, problems = validate_node(RolloutSpec, node)
    assert problems == [] and spec is not None
    rollouts, across = check_rollouts([("camera-models", node, spec)], DEPLOYED)
    assert across == []
    assert rollouts == [
        Rollout(
            name="camera-models",
            waves=(
                Wave(
                    "canary",
                    canary=Canary("CameraFleetProd", "CameraFleetCanary"),
                    gate=Gate(min_devices=3, success_ratio=1.0, bake_seconds=600.0),
                ),
                Wave(
                    "staging",
                    targets=("CameraFleetStaging",),
                    gate=Gate(
                        success_ratio=0.98,
                        bake_seconds=1800.0,
                        max_failed_devices=2,
                        approval=True,
                    ),
                ),
                Wave("production", targets=("CameraFleetProd",)),
            ),
            on_failure=OnFailure.REVERT,
        )
    ]


def test_a_document_s_own_rules_have_file_line_and_field() -> None:
    text = """\
waves:
  - name: a
    canary: {parent: G, group: G}
  - name: b
    targets: [G]
    canary: {parent: G, group: H}
  - name: c
    gate: {bake: soon, successRatio: 1.5}
"""
    problems = rendered(text)
    assert "r0.yaml:3: waves[0].canary: the canary group 'G' is its own parent" in problems[0]
    assert any(
        p.startswith("r0.yaml:4: waves[1]:") and "either targets or canary" in p for p in problems
    )
    assert any(p.startswith("r0.yaml:8: waves[2].gate") and "'soon'" in p for p in problems)
    assert any(p.startswith("r0.yaml:8: waves[2].gate.successRatio") for p in problems)


def test_no_waves_is_a_problem() -> None:
    assert rendered("waves: []\n") == ["r0.yaml:1: waves: expected at least 1 item, got 0"]


def test_rules_across_documents() -> None:
    text = """\
waves:
  - name: canary
    canary: {parent: Nowhere, group: CameraFleetStaging}
  - name: canary
    targets: [Unknown, CameraFleetProd]
"""
    other = "waves:\n  - name: prod\n    targets: [CameraFleetProd]\n"
    assert rendered(text, DEPLOYED, other) == [
        "r0.yaml:2: waves[0].canary.parent: the canary's parent 'Nowhere' has no Deployment",
        "r0.yaml:2: waves[0].canary.group: the canary group 'CameraFleetStaging' has its own "
        "Deployment; a canary takes its parent's revision (remove one of them)",
        "r0.yaml:4: waves[1].name: a second wave named 'canary'",
        "r0.yaml:4: waves[1].targets: the thing group 'Unknown' has no Deployment document",
        "r1.yaml:2: waves[0]: the thing group 'CameraFleetProd' is already in rollout r0 wave "
        "canary",
    ]
