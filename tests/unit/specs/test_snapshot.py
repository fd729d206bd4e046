"""Loading again from a snapshot gives exactly what a full load gives, edit after edit.

`load_specs(tree, previous=snapshot)` reuses the Deployments whose files did not change and
parses the others (reconciler/core/specs/snapshot.py). Whatever the edit (a Deployment changed,
added, removed or broken, a base or the Settings changed, nothing changed), its answer must be
the full load's: the same SpecSet, or the same problems.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reconciler.core.specs import (
    InMemorySpecTree,
    InvalidSpecsError,
    SpecSet,
    SpecSnapshot,
    load_specs,
    parse_spec_tree,
)
from tests.unit.specs.test_deferred import document, layer, trees

Files = dict[str, bytes]


def full(files: Files) -> SpecSet | list[str]:
    try:
        return parse_spec_tree(InMemorySpecTree(files))
    except InvalidSpecsError as error:
        return [problem.render() for problem in error.problems]


def again(files: Files, previous: SpecSnapshot | None) -> SpecSnapshot | list[str]:
    try:
        return load_specs(InMemorySpecTree(files), previous=previous)
    except InvalidSpecsError as error:
        return [problem.render() for problem in error.problems]


@st.composite
def edits(draw: st.DrawFn, files: Files) -> Files:
    """One edit of the kind a pull request makes."""
    groups = sorted(p for p in files if p.startswith("groups/"))
    kind = draw(
        st.sampled_from(["change", "change", "add", "remove", "break", "base", "settings", "none"])
    )
    edited = dict(files)
    if kind == "change" and groups:
        path = draw(st.sampled_from(groups))
        body = _readable(files[path])
        if body is not None:
            spec = body["spec"] | layer(draw)
            if draw(st.integers(0, 4)) == 0:
                spec["thingGroup"] = "G0"  # may collide with another group's target
            name = body["metadata"]["name"]
            if draw(st.integers(0, 4)) == 0:
                name = "group-0"  # may collide with another Deployment's name
            edited[path] = document("Deployment", name, spec).encode()
    elif kind == "add":
        index = len(groups) + draw(st.integers(0, 3))
        spec = layer(draw) | {"thingGroup": f"G{index}", "extends": "base-a"}
        edited[f"groups/{index}.yaml"] = document("Deployment", f"group-{index}", spec).encode()
    elif kind == "remove" and groups:
        del edited[draw(st.sampled_from(groups))]
    elif kind == "break" and groups:
        edited[draw(st.sampled_from(groups))] += b"\n  - : [unclosed\n"
    elif kind == "base":
        edited["bases/base-c.yaml"] = document("DeploymentBase", "base-c", layer(draw)).encode()
    elif kind == "settings":
        body = yaml.safe_load(files["reconciler.yaml"])
        body["spec"]["defaults"] = layer(draw)
        edited["reconciler.yaml"] = yaml.safe_dump(body).encode()
    event(kind)
    return edited


def _readable(content: bytes) -> Any:
    try:
        return yaml.safe_load(content)
    except yaml.YAMLError:
        return None  # broken by an earlier edit


# Start from trees that load: edits then break them, or not.
valid_trees = trees().filter(lambda files: isinstance(full(files), SpecSet))


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(start=valid_trees, data=st.data())
def test_loading_from_a_snapshot_equals_a_full_load(start: Files, data: st.DataObject) -> None:
    files = start
    snapshot: SpecSnapshot | None = None
    for _ in range(data.draw(st.integers(1, 5))):
        result = again(files, snapshot)
        expected = full(files)
        if isinstance(result, SpecSnapshot):
            assert result.spec_set == expected
            # Where a Deployment and its components were written, too (not part of equality).
            assert isinstance(expected, SpecSet)
            pairs = zip(result.spec_set.deployments, expected.deployments, strict=True)
            for ours, reference in pairs:
                assert ours.source == reference.source
                assert [c.source for c in ours.components.values()] == [
                    c.source for c in reference.components.values()
                ]
            if snapshot is not None:
                old = {id(d) for d in snapshot.spec_set.deployments}
                reused = sum(id(d) in old for d in result.spec_set.deployments)
                event("some Deployments reused" if reused else "loaded in full")
            snapshot = result  # the controller keeps the last good load
        else:
            assert result == expected
        files = data.draw(edits(files))


def test_an_unchanged_tree_reuses_every_deployment() -> None:
    files = _fleet(5)
    first = load_specs(InMemorySpecTree(files))
    second = load_specs(InMemorySpecTree(files), previous=first)
    assert second.spec_set == first.spec_set
    assert all(map(_same, second.spec_set.deployments, first.spec_set.deployments))


def test_one_changed_deployment_is_the_only_one_resolved_again() -> None:
    files = _fleet(5)
    first = load_specs(InMemorySpecTree(files))
    files["groups/2.yaml"] = files["groups/2.yaml"].replace(b"site: x", b"site: y")
    second = load_specs(InMemorySpecTree(files), previous=first)
    assert second.spec_set == parse_spec_tree(InMemorySpecTree(files))
    same = list(map(_same, second.spec_set.deployments, first.spec_set.deployments))
    assert same == [True, True, False, True, True]


def test_a_changed_base_loads_everything_again() -> None:
    files = _fleet(3)
    first = load_specs(InMemorySpecTree(files))
    base = document("DeploymentBase", "base-a", {"tags": {"env": "y"}})
    files["bases/base-a.yaml"] = base.encode()
    second = load_specs(InMemorySpecTree(files), previous=first)
    assert second.spec_set == parse_spec_tree(InMemorySpecTree(files))
    assert not any(map(_same, second.spec_set.deployments, first.spec_set.deployments))
    assert all(d.tags["env"] == "y" for d in second.spec_set.deployments)


def _same(a: object, b: object) -> bool:
    return a is b


def _fleet(groups: int) -> dict[str, Any]:
    files: dict[str, Any] = {
        "reconciler.yaml": document(
            "Settings",
            "s",
            {"region": "us-east-1", "accountId": "123456789012", "artifacts": {"bucket": "b-1"}},
        ),
        "bases/base-a.yaml": document(
            "DeploymentBase",
            "base-a",
            {"components": {"aws.greengrass.Nucleus": {"version": "2.0.0"}}, "tags": {"env": "x"}},
        ),
    }
    for index in range(groups):
        spec = {"extends": "base-a", "thingGroup": f"G{index}", "tags": {"site": "x"}}
        files[f"groups/{index}.yaml"] = document("Deployment", f"group-{index}", spec)
    return {path: text.encode() for path, text in files.items()}
