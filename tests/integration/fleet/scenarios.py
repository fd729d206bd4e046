"""Random revision sequences of the sample components, and the fleet that receives them.

A scenario is what one example of the convergence property plays (see
test_device_convergence.py): one or two fresh thing groups, each deploying its own sample
components (the repository's `com.acme.ImageUploader`, in three versions whose defaults differ,
and the public `aws.greengrass.DLRImageClassification`), a sequence of revisions of their
configuration overlays and versions, and a few simulated devices that are offline for some of
those revisions or join a group late.

Configuration keys are drawn from small pools so that revisions and recipe versions collide on
purpose: keys spelled differently from the defaults or from an earlier revision (`Endpoint`,
`endpoint`, `ENDPOINT`), keys that read as numbers to the nucleus (`8443`, `0`) or nearly
(`08443`, `-1`), keys that change kind between versions (a string becoming an object). Now and
then a revision is broken on purpose: a key beginning with `_`, or two keys of one object that
differ only by case; the specs must refuse it with a clear error, and nothing is deployed.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

SAMPLE_SPECS = Path(__file__).resolve().parents[3] / "deploy-specs"
UPLOADER = "com.acme.ImageUploader"
CLASSIFIER = "aws.greengrass.DLRImageClassification"
UPLOADER_DIR = f"components/{UPLOADER}"
UPLOADER_ARTIFACT = f"{UPLOADER_DIR}/artifacts/upload_results.py"
CLASSIFIER_VERSIONS = ("2.1.9", "2.1.10")

# Virtual seconds between two revisions: every online device applies a revision well within it
# (the fleet's timing below), so a device misses a revision only while it is offline.
STEP = 100
APPLY_SECONDS = 2
JITTER_SECONDS = 3
FLEET_TIMING = {"timing": {"applySeconds": APPLY_SECONDS, "jitterSeconds": JITTER_SECONDS}}


def _uploader_defaults() -> dict[str, dict[str, Any]]:
    """DefaultConfiguration of each version of the sample uploader. 1.0.0 is the sample recipe's;
    the later ones respell keys (`Endpoint` → `endpoint` → `ENDPOINT`), turn a string into an
    object and back (`ResultsTopic`, `portMap`), and use keys that read as numbers."""
    sample = yaml.safe_load((SAMPLE_SPECS / UPLOADER_DIR / "recipe.yaml").read_text())
    first = sample["ComponentConfiguration"]["DefaultConfiguration"]
    access = first["accessControl"]
    return {
        "1.0.0": first,
        "1.1.0": {
            "ResultsTopic": {"topic": "ml/dlr/image-classification", "qos": 1},
            "endpoint": "https://results-v2.acme.example/v1/inferences",
            "credentials": {"Token": "", "clientId": "uploader"},
            "portMap": {"8443": "https", "0": "admin", "08443": "alt", "-1": "none"},
            "retries": [1, 2, 4],
            "accessControl": access,
        },
        "1.2.0": {
            "ResultsTopic": "ml/dlr/image-classification",
            "ENDPOINT": "https://results.acme.example/v1/inferences",
            "Credentials": {"token": "", "0": "zero"},
            "portMap": "https",
            "8443": {"port": 8443},
            "retries": 3,
            "accessControl": access,
        },
    }


def _uploader_recipes() -> dict[str, str]:
    sample = yaml.safe_load((SAMPLE_SPECS / UPLOADER_DIR / "recipe.yaml").read_text())
    recipes: dict[str, str] = {}
    for version, defaults in _uploader_defaults().items():
        recipe = copy.deepcopy(sample)
        recipe["ComponentVersion"] = version
        recipe["ComponentConfiguration"]["DefaultConfiguration"] = defaults
        recipes[version] = yaml.safe_dump(recipe, sort_keys=False)
    return recipes


UPLOADER_RECIPES = _uploader_recipes()
UPLOADER_VERSIONS = tuple(UPLOADER_RECIPES)
SETTINGS_TEXT = (SAMPLE_SPECS / "reconciler.yaml").read_bytes()
ARTIFACT_BYTES = (SAMPLE_SPECS / UPLOADER_ARTIFACT).read_bytes()

# -- configuration overlays ------------------------------------------------------------------

NUMBER_LIKE = ["8443", "0", "08443", "-1"]
TOP_KEYS = {
    UPLOADER: [
        "ResultsTopic",
        "resultsTopic",
        "Endpoint",
        "endpoint",
        "ENDPOINT",
        "credentials",
        "Credentials",
        "portMap",
        "PortMap",
        "retries",
        *NUMBER_LIKE,
    ],
    CLASSIFIER: [
        "InferenceInterval",
        "inferenceInterval",
        "ImageName",
        "ModelResourceKey",
        "modelresourcekey",
        "Accelerator",
        *NUMBER_LIKE,
    ],
}
NESTED_KEYS = ["token", "Token", "clientId", "topic", "qos", "x86_64", "X86_64", *NUMBER_LIKE]
DROPPED_KEYS = ["_private", "_Endpoint", "_8443"]

scalars = st.one_of(
    st.sampled_from([0, 1, 8443, -1]),
    st.sampled_from(["", "a", "https", "ml/x"]),
    st.booleans(),
)
leaves = st.one_of(scalars, st.lists(scalars, max_size=2))


def _objects(keys: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are distinct case-insensitively, as valid specs require."""
    pairs = st.lists(
        st.tuples(st.sampled_from(keys), values), max_size=3, unique_by=lambda kv: kv[0].lower()
    )
    return pairs.map(dict)


nested_values = st.one_of(
    leaves, _objects(NESTED_KEYS, st.one_of(leaves, _objects(NESTED_KEYS, leaves)))
)


def overlays(component: str) -> st.SearchStrategy[dict[str, Any]]:
    return _objects(TOP_KEYS[component], nested_values)


@dataclass(frozen=True)
class Breakage:
    """How a revision is broken on purpose: `kind` is "underscore" or "case"."""

    kind: str
    key: str


@st.composite
def breakages(draw: st.DrawFn) -> Breakage:
    if draw(st.booleans()):
        return Breakage("underscore", draw(st.sampled_from(DROPPED_KEYS)))
    return Breakage("case", draw(st.sampled_from(["Endpoint", "portMap", "token", "qos"])))


def broken(overlay: dict[str, Any], breakage: Breakage) -> dict[str, Any]:
    """`overlay` with a key the specs must refuse: one beginning with `_`, or the twin of a key
    that differs only by case (both spellings present in one object)."""
    result = copy.deepcopy(overlay)
    target = next((v for v in result.values() if isinstance(v, dict) and v), result)
    if breakage.kind == "underscore":
        target[breakage.key] = 1
        return result
    twin = next((k for k in target if k.lower() != k.upper()), None)
    if twin is None:
        target[breakage.key] = "one"
        twin = breakage.key
    other = twin.swapcase()
    target[other] = "twin"
    return result


# -- revisions, groups, devices --------------------------------------------------------------


@dataclass(frozen=True)
class ComponentState:
    version: str
    overlay: dict[str, Any]
    replace: bool = False  # configurationPolicy: replace


@dataclass(frozen=True)
class Revision:
    """The desired state of every group at one step (group index → component → state), and
    the breakage that makes the specs invalid, if any."""

    groups: tuple[dict[str, ComponentState], ...]
    breakage: Breakage | None = None


@dataclass(frozen=True)
class DeviceScenario:
    groups: tuple[int, ...]  # indexes of the groups it is in when it joins
    joins_at: int  # added before revision `joins_at` is planned (len(revisions): after all)
    also_joins: tuple[int, int] | None  # (group, before revision): joins one more group later
    offline: tuple[tuple[int, int], ...]  # windows in seconds after the first revision


@dataclass(frozen=True)
class Scenario:
    components: tuple[tuple[str, ...], ...]  # per group
    revisions: tuple[Revision, ...]
    devices: tuple[DeviceScenario, ...]


def _state(component: str) -> st.SearchStrategy[ComponentState]:
    versions = UPLOADER_VERSIONS if component == UPLOADER else CLASSIFIER_VERSIONS
    return st.builds(
        ComponentState,
        version=st.sampled_from(versions),
        overlay=overlays(component),
        replace=st.sampled_from([False, False, False, True]),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    if draw(st.booleans()):
        components: tuple[tuple[str, ...], ...] = (
            tuple(draw(st.sampled_from([(UPLOADER,), (CLASSIFIER,), (UPLOADER, CLASSIFIER)]))),
        )
    else:  # two groups with their own components: a device in both runs the union
        components = ((UPLOADER,), (CLASSIFIER,))
    count = draw(st.integers(1, 4))
    revisions: list[Revision] = []
    for _ in range(count):
        groups: list[dict[str, ComponentState]] = []
        for index, names in enumerate(components):
            previous = revisions[-1].groups[index] if revisions else None
            if previous is not None and draw(st.integers(0, 3)) == 0:
                groups.append(previous)  # this group does not change
                continue
            groups.append({name: draw(_state(name)) for name in names})
        breakage = draw(st.none() | breakages()) if draw(st.integers(0, 7)) == 0 else None
        revisions.append(Revision(tuple(groups), breakage))
    horizon = count * STEP
    window = st.tuples(st.integers(0, horizon), st.integers(1, 2 * STEP)).map(
        lambda w: (w[0], w[0] + w[1])
    )
    group_sets = st.sampled_from([(0,)] if len(components) == 1 else [(0,), (1,), (0, 1)])
    device = st.builds(
        DeviceScenario,
        groups=group_sets,
        joins_at=st.integers(0, count) | st.just(0),
        also_joins=st.none()
        if len(components) == 1
        else st.none() | st.tuples(st.integers(0, 1), st.integers(0, count)),
        offline=st.lists(window, max_size=2).map(tuple),
    )
    devices = tuple(draw(st.lists(device, min_size=1, max_size=3)))
    return Scenario(components, tuple(revisions), devices)


# -- the specs of one revision ---------------------------------------------------------------


@dataclass
class SpecFiles:
    files: dict[str, bytes] = field(default_factory=dict)
    broken_file: str | None = None


def spec_files(scenario: Scenario, revision: Revision, group_names: list[str]) -> SpecFiles:
    """The deploy-specs tree of one revision: the sample Settings, the uploader's Component
    document at the revision's version (when a group deploys it), one Deployment per group."""
    out = SpecFiles({"reconciler.yaml": SETTINGS_TEXT})
    for index, (names, states) in enumerate(zip(scenario.components, revision.groups, strict=True)):
        components: dict[str, Any] = {}
        for name in names:
            state = states[name]
            overlay = state.overlay
            if revision.breakage is not None and index == 0 and name == names[0]:
                overlay = broken(overlay, revision.breakage)
                out.broken_file = f"groups/{group_names[index]}.yaml"
            entry: dict[str, Any] = {"configuration": overlay}
            if state.replace:
                entry["configurationPolicy"] = "replace"
            if name == UPLOADER:
                _add_uploader(out.files, state.version)
            else:
                entry["version"] = state.version
            components[name] = entry
        document = {
            "apiVersion": "greengrass-reconciler/v1",
            "kind": "Deployment",
            "metadata": {"name": group_names[index].lower()},
            "spec": {"thingGroup": group_names[index], "components": components},
        }
        # JSON is YAML: keys such as "8443" stay quoted strings, values keep their types.
        out.files[f"groups/{group_names[index]}.yaml"] = json.dumps(document, indent=1).encode()
    return out


def _add_uploader(files: dict[str, bytes], version: str) -> None:
    component = {
        "apiVersion": "greengrass-reconciler/v1",
        "kind": "Component",
        "metadata": {"name": UPLOADER},
        "spec": {"version": version, "recipe": "recipe.yaml"},
    }
    files[f"{UPLOADER_DIR}/component.yaml"] = json.dumps(component).encode()
    files[f"{UPLOADER_DIR}/recipe.yaml"] = UPLOADER_RECIPES[version].encode()
    files[UPLOADER_ARTIFACT] = ARTIFACT_BYTES
