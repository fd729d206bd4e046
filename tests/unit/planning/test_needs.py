"""Which version listings a plan needs: only dependencies no Deployment pins itself."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.adapters.spec_files import load_spec_set
from reconciler.core.planning import unpinned_dependencies

RECIPES: dict[tuple[str, str], dict[str, Any]] = {
    ("aws.greengrass.DLRImageClassification", "2.1.10"): {
        "ComponentDependencies": {
            "variant.DLR.ImageClassification.ModelStore": {"VersionRequirement": "~2.1.0"},
            "variant.DLR": {"VersionRequirement": "~1.6.0"},
            "aws.greengrass.Nucleus": {"VersionRequirement": ">=2.0.0 <2.13.0"},
        }
    },
}


def _recipe_of(name: str, version: str) -> Mapping[str, Any] | None:
    return RECIPES.get((name, version))


def test_only_dependencies_a_deployment_leaves_unpinned_are_listed(specs: Path) -> None:
    spec_set = load_spec_set(specs)
    staging = spec_set.deployment_for("CameraFleetStaging")
    prod = spec_set.deployment_for("CameraFleetProd")
    assert staging is not None and prod is not None
    # Both deploy the model store themselves (staging pins 2.1.9, prod takes the override's
    # version): it is checked against that, never listed. Neither pins variant.DLR or the
    # nucleus, so their versions are listed.
    store = "variant.DLR.ImageClassification.ModelStore"
    assert store in staging.components and store in prod.components
    assert unpinned_dependencies(spec_set, _recipe_of) == {"variant.DLR", "aws.greengrass.Nucleus"}
    (specs / "groups" / "camera-staging.yaml").write_text(
        (specs / "groups" / "camera-staging.yaml")
        .read_text()
        .replace("    variant.DLR.ImageClassification.ModelStore:\n      version: 2.1.9\n", "")
    )
    assert store not in load_spec_set(specs).deployment_for("CameraFleetStaging").components  # type: ignore[union-attr]
    assert store in unpinned_dependencies(load_spec_set(specs), _recipe_of)


def test_unknown_recipes_need_no_listing(specs: Path) -> None:
    assert unpinned_dependencies(load_spec_set(specs), lambda _n, _v: None) == frozenset()
