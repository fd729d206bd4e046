"""Tags the reconciler puts on what it creates, and how it recognises its own work.

Tags say who made a revision and from what; they are never trusted for *content*: the planner
always compares the live content itself, so a revision changed in the console (which keeps the
deployment name and may copy tags) is never mistaken for the desired one.
"""

from __future__ import annotations

from collections.abc import Mapping

PREFIX = "greengrass-reconciler/"
MANAGED_BY = PREFIX + "managed-by"  # value: the reconciler instance name
CONTENT_HASH = PREFIX + "content-hash"
COMMIT = PREFIX + "commit"
SPEC = PREFIX + "spec"
# Digests of the spec's explicit resets already sent (see core/planning/resets.py).
RESETS_SENT = PREFIX + "resets-sent"

# On the empty revision `prune: uninstall` deploys before cancelling (value: "uninstall"): a
# later cycle, or a restarted controller, knows the group is being pruned, not deployed.
PRUNE_STEP = PREFIX + "prune-step"
UNINSTALL_STEP = "uninstall"

DEFAULT_INSTANCE = "greengrass-reconciler"
_MAX_TAG_VALUE = 256

OWN_TAG_KEYS = (MANAGED_BY, CONTENT_HASH, COMMIT, SPEC)
"""Every tag `provenance_tags` may put on a deployment."""
MAX_RESOURCE_TAGS = 200  # botocore greengrassv2 model: TagMap, max 200
MAX_USER_TAGS = MAX_RESOURCE_TAGS - len(OWN_TAG_KEYS)
"""How many tags a Deployment document may set: CreateDeployment counts ours too."""


def provenance_tags(
    *,
    instance: str,
    content_hash: str,
    commit: str | None,
    spec: str | None,
    resets_sent: str = "",
) -> dict[str, str]:
    tags = {MANAGED_BY: instance, CONTENT_HASH: content_hash, COMMIT: commit or "uncommitted"}
    if spec:
        tags[SPEC] = spec[-_MAX_TAG_VALUE:]
    if resets_sent:
        tags[RESETS_SENT] = resets_sent[:_MAX_TAG_VALUE]
    return tags


def is_managed(tags: Mapping[str, str], instance: str) -> bool:
    return tags.get(MANAGED_BY) == instance


def is_uninstall_step(tags: Mapping[str, str]) -> bool:
    return tags.get(PRUNE_STEP) == UNINSTALL_STEP


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags a team set in its specs: everything but the reconciler's own."""
    return {k: v for k, v in sorted(tags.items()) if not k.startswith(PREFIX)}
