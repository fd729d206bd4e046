"""Explicit resets are one-off: a spec's `reset` pointer is sent with the revision that
introduced it, not repeated in every later revision (each would wipe the runtime state a
component keeps there again).

The revision's `configurationUpdate` cannot say which of its pointers came from the spec's
`reset` list and which the planner computed (and must carry forward, see
docs/configuration-updates.md), so the revision records it in a provenance tag,
`greengrass-reconciler/resets-sent`: one short digest per (component, pointer) of an explicit
reset that was sent, by this revision or an earlier one, and that the spec still lists. Only
pointers that nothing else asked to reset are recorded: a pointer the planner needs anyway (or
one above or below such a pointer) is carried like any computed reset, and never dropped here.

Planning from a live revision with that tag:

- an explicit reset whose digest is recorded is not sent again (while the spec lists it);
- a live reset pointer whose digest is recorded is not carried forward (its one revision is over);
- removing a pointer from the spec forgets it; listing it again later resets once more.

A revision is never made only to drop such a pointer: when the group would otherwise be
unchanged, the live revision stays (`plan_target` plans it both ways).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from reconciler.core.configuration import ConfigurationUpdate
from reconciler.core.configuration.pointers import Path, is_within, parse_pointer
from reconciler.core.live import LiveDeployment
from reconciler.core.provenance import RESETS_SENT, is_managed

_DIGEST_CHARS = 8
# A tag value holds at most 256 characters: 28 digests and their separators. Resets beyond those
# are not recorded, and so are sent again with every revision (the behaviour before the tag).
_MAX_RECORDED = 28

NOTHING_SENT: frozenset[str] = frozenset()


def reset_digest(component: str, pointer: str) -> str:
    return hashlib.sha256(f"{component}\n{pointer}".encode()).hexdigest()[:_DIGEST_CHARS]


def sent_resets(live: LiveDeployment | None, instance: str) -> frozenset[str]:
    """The digests the live revision records, when this reconciler made it."""
    if live is None or not is_managed(live.tags, instance):
        return NOTHING_SENT
    return frozenset(live.tags.get(RESETS_SENT, "").split())


def unsent(component: str, explicit: Sequence[str], sent: frozenset[str]) -> tuple[str, ...]:
    """The explicit resets to send now: those no earlier revision sent."""
    return tuple(p for p in explicit if reset_digest(component, p) not in sent)


def without_sent(
    component: str, update: ConfigurationUpdate | None, sent: frozenset[str]
) -> ConfigurationUpdate | None:
    """The live update without the one-off resets it sent, so they are not carried forward."""
    if update is None or not sent:
        return update
    kept = tuple(p for p in update.reset if reset_digest(component, p) not in sent)
    if len(kept) == len(update.reset):
        return update
    return ConfigurationUpdate(merge=update.merge, reset=kept)


def recorded_resets(component: str, explicit: Sequence[str], computed: Sequence[str]) -> list[str]:
    """The digests the next revision records for `component`: explicit resets sent now or
    before that lie at, above and below no pointer the planner computed (`computed`, the reset
    set planned without the explicit ones)."""
    needed: list[Path] = [parse_pointer(p) for p in computed]
    recorded = []
    for pointer in explicit:
        path = parse_pointer(pointer)
        if any(is_within(path, other) or is_within(other, path) for other in needed):
            continue
        recorded.append(reset_digest(component, pointer))
    return recorded


def resets_sent_tag(digests: Iterable[str]) -> str:
    """The tag value: sorted digests, space-separated, as many as fit."""
    return " ".join(sorted(set(digests))[:_MAX_RECORDED])
