"""The bookkeeping of one-off explicit resets (core/planning/resets.py)."""

from __future__ import annotations

from reconciler.core.configuration import ConfigurationUpdate
from reconciler.core.live import LiveDeployment
from reconciler.core.planning.resets import (
    recorded_resets,
    reset_digest,
    resets_sent_tag,
    sent_resets,
    unsent,
    without_sent,
)
from reconciler.core.provenance import MANAGED_BY, RESETS_SENT

INSTANCE = "greengrass-reconciler"


def _live(tags: dict[str, str]) -> LiveDeployment:
    return LiveDeployment(
        deployment_id="d",
        target_arn="arn:aws:iot:us-east-1:123456789012:thinggroup/G",
        revision_id="1",
        deployment_name="g",
        components={},
        tags=tags,
    )


def test_a_pointer_near_a_computed_reset_is_not_recorded() -> None:
    computed = ["/a/b", "/c"]
    explicit = ["/a", "/a/b/c", "/c", "/d", "/cc"]
    recorded = recorded_resets("comp", explicit, computed)
    # "/a" is above, "/a/b/c" below and "/c" at a computed pointer; "/cc" merely shares a prefix.
    assert recorded == [reset_digest("comp", "/d"), reset_digest("comp", "/cc")]


def test_only_the_revisions_of_this_instance_count() -> None:
    digest = reset_digest("comp", "/d")
    ours = _live({MANAGED_BY: INSTANCE, RESETS_SENT: digest})
    theirs = _live({MANAGED_BY: "someone-else", RESETS_SENT: digest})
    assert sent_resets(ours, INSTANCE) == {digest}
    assert sent_resets(theirs, INSTANCE) == frozenset()
    assert sent_resets(None, INSTANCE) == frozenset()


def test_sent_pointers_are_neither_sent_nor_carried_again() -> None:
    sent = frozenset({reset_digest("comp", "/d")})
    assert unsent("comp", ["/d", "/e"], sent) == ("/e",)
    assert unsent("other", ["/d"], sent) == ("/d",)  # per component
    update = ConfigurationUpdate(merge={"x": 1}, reset=("/d", "/f"))
    stripped = without_sent("comp", update, sent)
    assert stripped is not None and stripped.reset == ("/f",) and stripped.merge == {"x": 1}
    assert without_sent("comp", update, frozenset()) is update


def test_the_tag_value_fits_a_tag() -> None:
    digests = [reset_digest("comp", f"/k{i}") for i in range(100)]
    value = resets_sent_tag(digests)
    assert len(value) <= 256
    assert value.split() == sorted(value.split())
    assert resets_sent_tag([]) == ""
