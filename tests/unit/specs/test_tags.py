"""A Deployment's tags leave room for the reconciler's own: CreateDeployment takes at most 200
(botocore's greengrassv2 model, TagMap) and counts them all."""

from __future__ import annotations

from reconciler.core.provenance import MAX_USER_TAGS, OWN_TAG_KEYS, provenance_tags
from tests.unit.specs.support import document, load, only_settings, rendered


def tags(count: int, prefix: str = "k") -> str:
    return "{" + ", ".join(f"{prefix}{i}: v" for i in range(count)) + "}"


def test_the_limit_counts_every_tag_the_reconciler_adds() -> None:
    own = provenance_tags(instance="i", content_hash="h", commit="c", spec="deployments/a.yaml")
    assert set(own) == set(OWN_TAG_KEYS)
    assert MAX_USER_TAGS + len(own) == 200


def test_as_many_tags_as_leave_room_for_the_reconciler_s_own_are_accepted() -> None:
    files = only_settings(d=document("Deployment", "d", f"thingGroup: G\ntags: {tags(196)}"))
    [deployment] = load(files).deployments
    assert len(deployment.tags) == MAX_USER_TAGS == 196


def test_one_more_is_reported_with_the_reason_and_the_number_to_keep() -> None:
    files = only_settings(d=document("Deployment", "d", f"thingGroup: G\ntags: {tags(197)}"))
    assert rendered(files) == [
        "d.yaml:7: spec.tags: 197 tags (after extends): CreateDeployment accepts at most 200, "
        "and the reconciler adds its own 4 (greengrass-reconciler/managed-by, "
        "greengrass-reconciler/content-hash, greengrass-reconciler/commit, "
        "greengrass-reconciler/spec), so keep at most 196"
    ]


def test_tags_a_base_adds_count_too() -> None:
    base = document("DeploymentBase", "base", f"tags: {tags(100, 'base')}")
    files = only_settings(
        base=base,
        d=document("Deployment", "d", f"extends: base\nthingGroup: G\ntags: {tags(97)}"),
    )
    [message] = rendered(files)
    assert message.startswith("d.yaml:8: spec.tags: 197 tags (after extends)")


def test_a_tag_key_with_the_reconciler_s_own_prefix_is_reported() -> None:
    spec = "thingGroup: G\ntags: {team: a, greengrass-reconciler/commit: abc}"
    files = only_settings(d=document("Deployment", "d", spec))
    assert rendered(files) == [
        "d.yaml:7: spec.tags: tag key 'greengrass-reconciler/commit' begins with "
        "'greengrass-reconciler/', which the reconciler reserves for the tags it sets itself "
        "(who made a revision, from which commit): rename it"
    ]
