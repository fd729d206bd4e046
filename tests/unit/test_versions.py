"""Choosing the version of a public-component override."""

from __future__ import annotations

import pytest

from reconciler.core.versions import (
    NoVersionFitsError,
    Requirement,
    next_override_version,
    satisfies,
)

DLR_NEEDS = Requirement("aws.greengrass.DLRImageClassification@2.1.10", "~2.1.0")
TFLITE_NEEDS = Requirement(
    "aws.greengrass.TensorFlowLiteImageClassification@2.1.8", ">=2.1.0 <2.2.0"
)


@pytest.mark.parametrize(
    ("version", "requirement", "expected"),
    [
        ("2.1.10", "~2.1.0", True),
        ("2.2.0", "~2.1.0", False),
        ("2.1.5", ">=2.1.0 <2.2.0", True),
        ("2.2.0", ">=2.1.0 <2.2.0", False),
        ("1.6.12", "^1.6.0", True),
    ],
)
def test_npm_style_ranges(version: str, requirement: str, expected: bool) -> None:
    assert satisfies(version, requirement) is expected


def test_patch_bump_goes_above_every_version_of_the_line() -> None:
    chosen = next_override_version(
        base_version="2.1.9",
        bump="patch",
        existing=["2.1.8", "2.1.9", "2.0.4", "3.0.0"],
        requirements=[DLR_NEEDS],
    )
    assert chosen == "2.1.10"


def test_patch_bump_skips_a_version_someone_already_published() -> None:
    chosen = next_override_version(
        base_version="2.1.9", bump="patch", existing=["2.1.9", "2.1.10"], requirements=[DLR_NEEDS]
    )
    assert chosen == "2.1.11"


def test_minor_bump_outside_a_dependants_range_is_refused_with_the_range_named() -> None:
    with pytest.raises(NoVersionFitsError) as raised:
        next_override_version(
            base_version="2.1.8", bump="minor", existing=["2.1.8"], requirements=[TFLITE_NEEDS]
        )
    message = str(raised.value)
    assert "2.2.0" in message
    assert "TensorFlowLiteImageClassification@2.1.8 requires '>=2.1.0 <2.2.0'" in message


def test_minor_bump_inside_every_range() -> None:
    chosen = next_override_version(
        base_version="2.1.8",
        bump="minor",
        existing=["2.1.8", "2.1.9"],
        requirements=[Requirement("x@1.0.0", "^2.0.0")],
    )
    assert chosen == "2.2.0"
