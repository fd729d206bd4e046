"""Properties of configuration planning, proved over random configurations.

Devices are simulated the way aws-greengrass-nucleus applies a revision (case-insensitive keys,
`_` keys dropped, reset pointers with a number-like segment skipped, defaults merged under the
device's values); D is `desired_configuration`, what a plan previews.

1. Convergence: a device holding the live configuration ends with the desired one.
2. Offline devices: a device that applied any earlier revision (or none) and then only the
   latest ends with the latest desired configuration.
3. Fixpoint: planning again from the planned update gives it back; no change, no new revision.
4. Bounded reset: the reset set is an antichain no larger than the set of keys ever used.
5. policy="replace" resets "" and converges from any device state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.core.configuration import (
    ConfigurationUpdate,
    ConflictingResetError,
    IndexSegmentResetError,
    JsonObject,
    PointerIntoListError,
    apply_configuration_update,
    desired_configuration,
    effective_configuration,
    plan_configuration_update,
    preview_configuration_update,
    reads_as_index,
)
from tests.unit.configuration.strategies import (
    DEFAULTS,
    LIVE_UPDATES,
    OVERLAYS,
    POINTERS,
    holdable,
    is_antichain,
    object_paths,
    parts,
    same_json,
)

# A few seconds by default; CONFIGURATION_EXAMPLES=5000 explores much further.
EXAMPLES = int(os.environ.get("CONFIGURATION_EXAMPLES", "100"))
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def plan_with_valid_resets(
    explicit: list[str], **inputs: object
) -> tuple[ConfigurationUpdate, list[str]]:
    """Plan with the explicit resets, or without them when they are invalid for these inputs
    (random pointers often lead into a list, below an overlay value, or through a key that reads
    as a number)."""
    try:
        return plan_configuration_update(explicit_reset=explicit, **inputs), explicit  # type: ignore[arg-type]
    except (PointerIntoListError, ConflictingResetError, IndexSegmentResetError):
        return plan_configuration_update(explicit_reset=[], **inputs), []  # type: ignore[arg-type]


@PROPERTY_SETTINGS
@given(
    live_defaults=DEFAULTS,
    live_update=LIVE_UPDATES,
    desired_defaults=DEFAULTS,
    overlay=OVERLAYS,
    explicit=st.lists(POINTERS, max_size=2),
)
def test_a_device_holding_the_live_configuration_converges(
    live_defaults: JsonObject,
    live_update: ConfigurationUpdate,
    desired_defaults: JsonObject,
    overlay: JsonObject,
    explicit: list[str],
) -> None:
    live = effective_configuration(live_defaults, live_update)
    update, _ = plan_with_valid_resets(
        explicit,
        live_defaults=live_defaults,
        live_update=live_update,
        desired_defaults=desired_defaults,
        overlay=overlay,
    )

    desired = desired_configuration(desired_defaults, overlay)
    assert same_json(apply_configuration_update(live, update, desired_defaults), desired)
    assert same_json(update.merge_document, overlay)  # every revision carries the whole overlay
    assert is_antichain(update.reset)


@PROPERTY_SETTINGS
@given(
    live_defaults=DEFAULTS,
    live_update=LIVE_UPDATES,
    desired_defaults=DEFAULTS,
    overlay=OVERLAYS,
)
def test_planning_again_from_the_planned_update_gives_it_back(
    live_defaults: JsonObject,
    live_update: ConfigurationUpdate,
    desired_defaults: JsonObject,
    overlay: JsonObject,
) -> None:
    first = plan_configuration_update(
        live_defaults=live_defaults,
        live_update=live_update,
        desired_defaults=desired_defaults,
        overlay=overlay,
    )
    # Once applied, the live revision is the planned one, on the desired component version.
    again = preview_configuration_update(
        live_defaults=desired_defaults,
        live_update=first,
        desired_defaults=desired_defaults,
        overlay=overlay,
    )
    assert again.update == first
    assert again.update.to_api() == first.to_api()
    assert again.change.is_empty
    assert same_json(again.live, again.desired)


@PROPERTY_SETTINGS
@given(current=DEFAULTS, live_update=LIVE_UPDATES, defaults=DEFAULTS, overlay=OVERLAYS)
def test_the_replace_policy_resets_everything_and_converges_from_any_state(
    current: JsonObject, live_update: ConfigurationUpdate, defaults: JsonObject, overlay: JsonObject
) -> None:
    update = plan_configuration_update(
        live_defaults=defaults,
        live_update=live_update,
        desired_defaults=defaults,
        overlay=overlay,
        policy="replace",
    )

    assert update.reset == ("",)
    # Whatever the device held (runtime state, missed revisions), it ends with exactly D.
    desired = desired_configuration(defaults, overlay)
    assert same_json(apply_configuration_update(current, update, defaults), desired)


@dataclass(frozen=True)
class Revision:
    version: int  # which of the drawn recipe versions this revision deploys
    overlay: JsonObject
    explicit_reset: list[str]


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[JsonObject], list[Revision]]:
    """Three recipe versions and a sequence of revisions deploying them.

    Overlays often copy values from some version's defaults, so that revisions set keys to
    their default value, drop them again, and change types where the defaults differ: the
    cases where a device that missed a revision could keep a stale value.
    """
    versions = draw(st.lists(DEFAULTS, min_size=3, max_size=3))
    revisions: list[Revision] = []
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        overlay = draw(OVERLAYS)
        source = versions[draw(st.integers(min_value=0, max_value=2))]
        for key in draw(st.lists(st.sampled_from(sorted(source)), max_size=3)) if source else []:
            if source[key] is not None and not _holds_null(source[key]):
                overlay[key] = source[key]
        revisions.append(
            Revision(
                version=draw(st.integers(min_value=0, max_value=2)),
                overlay=holdable(overlay),
                explicit_reset=draw(st.lists(POINTERS, max_size=1)),
            )
        )
    return versions, revisions


def _holds_null(value: object) -> bool:
    if isinstance(value, dict):
        return any(_holds_null(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_null(item) for item in value)
    return value is None


@PROPERTY_SETTINGS
@given(history=histories())
def test_any_device_that_missed_revisions_converges_on_the_latest(
    history: tuple[list[JsonObject], list[Revision]],
) -> None:
    versions, revisions = history
    live_defaults: JsonObject | None = None
    live_update: ConfigurationUpdate | None = None
    earlier_states: list[JsonObject] = []  # what a device holds after each revision
    paths_ever_used: set[tuple[str, ...]] = set()

    for revision in revisions:
        defaults = versions[revision.version]
        update, explicit = plan_with_valid_resets(
            revision.explicit_reset,
            live_defaults=live_defaults,
            live_update=live_update,
            desired_defaults=defaults,
            overlay=revision.overlay,
        )
        desired = desired_configuration(defaults, revision.overlay)

        # 2. A device that applied revision i (any i), or a new one that holds nothing yet, and
        #    then only this revision, ends with this revision's D.
        for state in [*earlier_states, {}]:
            assert same_json(apply_configuration_update(state, update, defaults), desired)

        # 3. Fixpoint: nothing left to do once this revision is live.
        again = preview_configuration_update(
            live_defaults=defaults,
            live_update=update,
            desired_defaults=defaults,
            overlay=revision.overlay,
            explicit_reset=explicit,
        )
        assert again.update == update
        assert again.change.is_empty

        # 4. Bounded reset: an antichain of paths that some document of the sequence used
        #    (spelled as any of them spelled it: keys are case-insensitive), or of their nearest
        #    ancestors a device can reset (lists, number-like segments), none with a segment that
        #    reads as a number.
        paths_ever_used |= object_paths(defaults) | object_paths(revision.overlay)
        paths_ever_used |= {parts(pointer) for pointer in explicit}
        assert is_antichain(update.reset)
        assert len(update.reset) <= len(paths_ever_used)
        folded_used = {tuple(key.lower() for key in used) for used in paths_ever_used}
        for pointer in update.reset:
            path = parts(pointer)
            folded = tuple(key.lower() for key in path)
            assert any(used[: len(path)] == folded for used in folded_used)
            assert not any(reads_as_index(key) for key in path)

        earlier_states.append(desired)
        live_defaults, live_update = defaults, update
