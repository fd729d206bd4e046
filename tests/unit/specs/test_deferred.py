"""Deployments resolved on plain values give what resolving them with locations gives.

The loader keeps Deployment documents as plain values and resolves them so (memory: see
reconciler/core/specs/deployments.py); only a document with a problem is parsed again and
resolved with locations. `parse_spec_tree(..., located=True)` resolves every document the
located way: both must agree on every tree, valid or not, down to each component's location and
each problem's wording.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reconciler.core.specs import InMemorySpecTree, InvalidSpecsError, SpecSet, parse_spec_tree
from tests.unit.specs.support import FIXTURES, SAMPLE, read_tree

NAMES = ["aws.greengrass.Nucleus", "aws.greengrass.Cli", "com.acme.App"]
BASES = ["base-a", "base-b", "base-c"]

configurations = st.dictionaries(
    st.sampled_from(["a", "b", "c"]), st.integers(0, 3) | st.none(), max_size=2
)
# Mostly valid entries (a version and maybe a configuration), some null (deletes the component
# a lower layer wrote), a few without a version (a problem: not declared in the repository).
entries = st.one_of(
    st.fixed_dictionaries(
        {"version": st.sampled_from(["2.0.0", "2.1.0"])},
        optional={"configuration": configurations},
    ),
    st.none(),
    st.fixed_dictionaries({"configuration": configurations}),
)
components = st.dictionaries(st.sampled_from(NAMES), entries, max_size=3) | st.none()
tags = st.dictionaries(st.sampled_from(["env", "site"]), st.sampled_from(["x", "y"]))


def document(kind: str, name: str, spec: dict[str, Any]) -> str:
    body = {
        "apiVersion": "greengrass-reconciler/v1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": spec,
    }
    return yaml.safe_dump(body, sort_keys=False)


def layer(draw: st.DrawFn) -> dict[str, Any]:
    return draw(st.fixed_dictionaries({}, optional={"components": components, "tags": tags}))


@st.composite
def trees(draw: st.DrawFn) -> dict[str, bytes]:
    """Settings (maybe with default components), a chain of bases base-a -> base-b -> base-c
    (sometimes broken: a missing base, a cycle, a number), 1-4 Deployments on it."""
    settings_spec: dict[str, Any] = {
        "region": "us-east-1",
        "accountId": "123456789012",
        "artifacts": {"bucket": "test-artifacts"},
        "allowEmpty": True,
    }
    if draw(st.booleans()):
        settings_spec["defaults"] = layer(draw)
    files = {"reconciler.yaml": document("Settings", "s", settings_spec)}
    odd_extends = st.sampled_from(["missing", "group-0", "base-a"]) | st.integers(0, 2)
    for index, name in enumerate(BASES):
        spec = layer(draw)
        if index + 1 < len(BASES):
            spec["extends"] = BASES[index + 1]
        if draw(st.integers(0, 9)) == 0:
            spec["extends"] = draw(odd_extends)
        files[f"bases/{name}.yaml"] = document("DeploymentBase", name, spec)
    for index in range(draw(st.integers(1, 4))):
        spec = layer(draw)
        extends = draw(st.sampled_from([*BASES, None]))
        if extends is not None:
            spec["extends"] = extends
        spec["thingGroup"] = f"G{index}"
        if draw(st.integers(0, 9)) == 0:  # a duplicate target or name
            spec["thingGroup"] = "G0"
        files[f"groups/{index}.yaml"] = document("Deployment", f"group-{index}", spec)
    return {path: text.encode() for path, text in files.items()}


def outcome(files: dict[str, bytes], *, located: bool) -> SpecSet | list[str]:
    try:
        return parse_spec_tree(InMemorySpecTree(files), located=located)
    except InvalidSpecsError as error:
        return [problem.render() for problem in error.problems]


def assert_same(files: dict[str, bytes]) -> SpecSet | list[str]:
    plain = outcome(files, located=False)
    assert plain == outcome(files, located=True)
    if isinstance(plain, SpecSet):
        located = parse_spec_tree(InMemorySpecTree(files), located=True)
        for ours, reference in zip(plain.deployments, located.deployments, strict=True):
            assert ours.source == reference.source
            assert [c.source for c in ours.components.values()] == [
                c.source for c in reference.components.values()
            ]
    return plain


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=trees())
def test_plain_and_located_resolution_agree(files: dict[str, bytes]) -> None:
    result = assert_same(files)
    # Both kinds of tree are drawn: the plain path is only taken for valid documents.
    event("valid" if isinstance(result, SpecSet) else "invalid")


def test_they_agree_on_the_sample_and_on_every_fixture() -> None:
    assert isinstance(assert_same(read_tree(SAMPLE)), SpecSet)
    fixtures = [path for path in FIXTURES.iterdir() if path.is_dir()]
    assert fixtures
    for root in fixtures:
        assert_same(read_tree(root))


def test_a_component_is_located_where_the_nearest_layer_writes_it() -> None:
    files = {
        "reconciler.yaml": document(
            "Settings",
            "s",
            {
                "region": "us-east-1",
                "accountId": "123456789012",
                "artifacts": {"bucket": "test-artifacts"},
                "defaults": {"components": {"aws.greengrass.Cli": {"version": "2.0.0"}}},
            },
        ),
        "base.yaml": document(
            "DeploymentBase",
            "fleet",
            {"components": {"aws.greengrass.Nucleus": {"version": "2.0.0"}}},
        ),
        "group.yaml": document(
            "Deployment",
            "group",
            {
                "extends": "fleet",
                "thingGroup": "G",
                "components": {"com.acme.App": {"version": "1.0.0"}},
            },
        ),
    }
    spec_set = assert_same({path: text.encode() for path, text in files.items()})
    assert isinstance(spec_set, SpecSet)
    sources = {n: c.source.file for n, c in spec_set.deployments[0].components.items()}
    assert sources == {
        "aws.greengrass.Cli": "reconciler.yaml",
        "aws.greengrass.Nucleus": "base.yaml",
        "com.acme.App": "group.yaml",
    }
