"""Deployments resolved on plain values keep where each value was written.

The loader keeps Deployment documents as plain values and resolves them so (memory: see
reconciler/core/specs/deployments.py); a problem is worded against the document parsed again
with locations. Every message is pinned by test_problem_reference.py; here, on random chains of
bases, each resolved component is located in the nearest layer that writes it (the rule of
`merge_patch`), and a Deployment's problems name its own file or a base's.
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


def nearest_writers(files: dict[str, bytes], deployment: str) -> dict[str, str]:
    """The oracle: by component, the file of the nearest layer that writes it not null (the
    Deployment, the bases it extends in order, then Settings.defaults)."""
    documents = {path: yaml.safe_load(data) for path, data in files.items()}
    bases = {
        d["metadata"]["name"]: p for p, d in documents.items() if d["kind"] == "DeploymentBase"
    }
    layers = [(deployment, documents[deployment]["spec"])]
    seen = set()
    extends = documents[deployment]["spec"].get("extends")
    while isinstance(extends, str) and extends in bases and extends not in seen:
        seen.add(extends)
        spec = documents[bases[extends]]["spec"]
        layers.append((bases[extends], spec))
        extends = spec.get("extends")
    layers.append(("reconciler.yaml", documents["reconciler.yaml"]["spec"].get("defaults") or {}))
    writers: dict[str, str] = {}
    for path, spec in reversed(layers):
        if "components" in spec and spec["components"] is None:
            writers.clear()  # a null deletes what the layers below wrote
        for name, entry in (spec.get("components") or {}).items():
            if entry is None:
                writers.pop(name, None)
            else:
                writers[name] = path
    return writers


def check(files: dict[str, bytes]) -> SpecSet | None:
    """Load `files`: each resolved component located in its nearest writer's file, each problem
    in a file of the tree."""
    try:
        spec_set = parse_spec_tree(InMemorySpecTree(files))
    except InvalidSpecsError as error:
        assert all(problem.file in files for problem in error.problems)
        return None
    for deployment in spec_set.deployments:
        sources = {name: c.source.file for name, c in deployment.components.items()}
        assert sources == nearest_writers(files, deployment.source.file)
    return spec_set


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=trees())
def test_components_are_located_in_their_nearest_writer(files: dict[str, bytes]) -> None:
    result = check(files)
    # Both kinds of tree are drawn: problems are worded against a view parsed again.
    event("valid" if isinstance(result, SpecSet) else "invalid")


def test_the_sample_and_every_fixture_load_or_report_problems_in_the_tree() -> None:
    sample = read_tree(SAMPLE)
    spec_set = parse_spec_tree(InMemorySpecTree(sample))
    assert {c.source.file for d in spec_set.deployments for c in d.components.values()} <= set(
        sample
    )
    fixtures = [path for path in FIXTURES.iterdir() if path.is_dir()]
    assert fixtures
    for root in fixtures:
        files = read_tree(root)
        try:
            parse_spec_tree(InMemorySpecTree(files))
        except InvalidSpecsError as error:
            assert all(p.file == "" or p.file in files for p in error.problems)


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
    spec_set = check({path: text.encode() for path, text in files.items()})
    assert isinstance(spec_set, SpecSet)
    sources = {n: c.source.file for n, c in spec_set.deployments[0].components.items()}
    assert sources == {
        "aws.greengrass.Cli": "reconciler.yaml",
        "aws.greengrass.Nucleus": "base.yaml",
        "com.acme.App": "group.yaml",
    }
