"""Reuse by `extends`: RFC 7386 JSON Merge Patch over located values, and the chain of bases.

The effective spec of a Deployment is

    Settings.defaults ⊕ base_n ⊕ … ⊕ base_1 ⊕ deployment

where base_1 is the base the deployment names in `extends`, base_2 the one base_1 names, and so on,
and `a ⊕ b` is `b` applied to `a` as a JSON Merge Patch: mappings merge key by key, recursively; a
scalar or a list in `b` replaces the value in `a` whole; `null` in `b` deletes the key. Every value
keeps the file and line it was written at, so problems found after merging point at their source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.core.specs.located import JsonValue, Node
from reconciler.core.specs.problems import SpecProblem


def merge_patch(target: Node | None, patch: Node) -> Node:
    """`patch` applied to `target` (RFC 7386). Neither is changed; subtrees are shared.

    A merged mapping takes the location of the patch (the later document): a field missing from
    the result is reported at the most specific document. A list is replaced as it is (RFC 7386
    does not look inside lists, so a null in a list stays).
    """
    patch_entries = patch.mapping()
    if patch_entries is None:
        return patch
    target_entries = target.mapping() if target is not None else None
    merged: dict[str, Node] = dict(target_entries or {})
    for key, value in patch_entries.items():
        if value.value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return Node(merged, patch.location, patch.path)


def merge_plain(target: JsonValue, patch: JsonValue) -> JsonValue:
    """`merge_patch` on plain values: `merge_patch(t, p).plain() == merge_plain(t.plain(),
    p.plain())`. Neither input is changed; subtrees are shared."""
    if not isinstance(patch, dict):
        return patch
    merged: dict[str, JsonValue] = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_plain(merged.get(key), value)
    return merged


@dataclass(frozen=True)
class Layered:
    """A document that may `extends` a base: its name, its spec and the `extends` node if any."""

    name: str
    spec: Node
    extends: Node | None


def base_chain(
    start: Layered,
    bases: Mapping[str, Layered],
    other_kinds: Mapping[str, str],
    max_depth: int,
) -> tuple[Sequence[Layered], SpecProblem | None]:
    """The bases `start` extends, nearest first, or a problem (missing base, cycle, or more than
    `max_depth` bases: each document checks its own chain, so depth d costs d² over a tree).

    `other_kinds` maps names of documents of other kinds to their kind, for a better message when
    someone `extends` a Deployment.
    """
    chain: list[Layered] = []
    seen = [start.name]
    seen_names = {start.name}
    current = start
    while current.extends is not None:
        name = current.extends.value
        if not isinstance(name, str):  # the model check reports the wrong type
            return chain, None
        base = bases.get(name)
        if base is None:
            return chain, SpecProblem.on(current.extends, _missing_base(name, bases, other_kinds))
        if name in seen_names:
            # Told from the document whose `extends` closes the cycle: "a -> b -> a" at a.
            members = seen[seen.index(name) :]
            first = members.index(current.name)
            cycle = " -> ".join([*members[first:], *members[:first], current.name])
            return chain, SpecProblem.on(current.extends, f"extends cycle: {cycle}")
        if len(chain) == max_depth:
            return chain, SpecProblem.on(
                start.extends or current.extends,
                f"the extends chain is more than {max_depth} bases deep ({start.name} -> "
                f"{' -> '.join(b.name for b in chain[:3])} -> ... -> {chain[-1].name} -> "
                f"{name}); merge some of the bases",
            )
        chain.append(base)
        seen.append(name)
        seen_names.add(name)
        current = base
    return chain, None


def _missing_base(name: str, bases: Mapping[str, Layered], other_kinds: Mapping[str, str]) -> str:
    if name in other_kinds:
        return (
            f"{name!r} is a {other_kinds[name]}; only a DeploymentBase can be extended (move the "
            "shared part into a DeploymentBase)"
        )
    known = ", ".join(sorted(bases)) or "none in this repository"
    return f"no DeploymentBase named {name!r} (known bases: {known})"


def effective_spec(defaults: Node | None, chain: Sequence[Layered], top: Node) -> Node:
    """`defaults ⊕ base_n ⊕ … ⊕ base_1 ⊕ top`, each base without its own `extends`.

    `top` keeps its `extends` so the model still checks its type.
    """
    merged: Node | None = None
    if defaults is not None:
        merged = merge_patch(None, defaults)
    for base in reversed(chain):
        merged = merge_patch(merged, base.spec.without("extends"))
    return merge_patch(merged, top)
