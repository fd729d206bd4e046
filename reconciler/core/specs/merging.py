"""Reuse by `extends`: the one RFC 7386 JSON Merge Patch, and the chain of bases.

The effective spec of a Deployment is

    Settings.defaults ⊕ base_n ⊕ … ⊕ base_1 ⊕ deployment

where base_1 is the base the deployment names in `extends`, base_2 the one base_1 names, and so on,
and `a ⊕ b` is `b` applied to `a` as a JSON Merge Patch: mappings merge key by key, recursively; a
scalar or a list in `b` replaces the value in `a` whole; `null` in `b` deletes the key. The rule
is written once (`_merge`) and applied to located values (`merge_patch`: every value keeps the file
and line it was written at, so problems found after merging point at their source) and to plain
values (`merge_plain`: how a valid Deployment is resolved, see `deployments`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from reconciler.core.specs.located import JsonValue, Node

Value = TypeVar("Value")


def _merge(
    target: Value | None,
    patch: Value,
    entries: Callable[[Value], Mapping[str, Value] | None],
    is_null: Callable[[Value], bool],
    mapping: Callable[[dict[str, Value], Value], Value],
) -> Value:
    """RFC 7386's MergePatch(Target, Patch), the one copy of its rules, over any representation
    of JSON: `entries` reads a value's entries (None when it is not a mapping), `is_null` tells a
    null, and `mapping(entries, patch)` builds the merged mapping that `patch` produced.

    A patch that is not a mapping replaces the target whole (a list is not looked into, so a null
    in a list stays); a null entry deletes the key; any other entry is merged into the target's.
    Neither input is changed; the subtrees of both are shared by the result.
    """
    patch_entries = entries(patch)
    if patch_entries is None:
        return patch
    target_entries = entries(target) if target is not None else None
    merged: dict[str, Value] = dict(target_entries or {})
    for key, value in patch_entries.items():
        if is_null(value):
            merged.pop(key, None)
        else:
            merged[key] = _merge(merged.get(key), value, entries, is_null, mapping)
    return mapping(merged, patch)


def merge_patch(target: Node | None, patch: Node) -> Node:
    """`patch` applied to `target` (RFC 7386), keeping where every value was written.

    A merged mapping takes the location of the patch (the later document): a field missing from
    the result is reported at the most specific document. Every other value keeps its own node.
    """
    return _merge(target, patch, Node.mapping, _is_null_node, _located_mapping)


def merge_plain(target: JsonValue, patch: JsonValue) -> JsonValue:
    """`merge_patch` on plain values (the same rules, the same code):
    `merge_patch(t, p).plain() == merge_plain(t.plain(), p.plain())`."""
    return _merge(target, patch, _plain_entries, _is_null_plain, _plain_mapping)


def _is_null_node(node: Node) -> bool:
    return node.value is None


def _located_mapping(entries: dict[str, Node], patch: Node) -> Node:
    return Node(entries, patch.location, patch.path)


def _plain_entries(value: JsonValue) -> dict[str, JsonValue] | None:
    return value if isinstance(value, dict) else None


def _is_null_plain(value: JsonValue) -> bool:
    return value is None


def _plain_mapping(entries: dict[str, JsonValue], patch: JsonValue) -> JsonValue:
    return entries


@dataclass(frozen=True)
class Layered:
    """A document that may `extends` a base: its name, its spec and the `extends` node if any."""

    name: str
    spec: Node
    extends: Node | None


def chain_of_bases(
    name: str,
    extends: object,
    bases: Mapping[str, Layered],
    other_kinds: Mapping[str, str],
    max_depth: int,
) -> tuple[list[Layered], tuple[Layered | None, str] | None]:
    """The bases the document `name` extends (its `extends` holds the plain value `extends`),
    nearest first, and where the chain breaks if it does (a missing base, a cycle, or more than
    `max_depth` bases: each document checks its own chain, so depth d costs d² over a tree), as
    (the base whose `extends` is wrong, or None for the document itself; what is wrong).
    A value that is not a string ends the chain: the model check reports its type.

    `other_kinds` maps names of documents of other kinds to their kind, for a better message
    when someone `extends` a Deployment.
    """
    chain: list[Layered] = []
    seen = [name]
    seen_names = {name}
    current: Layered | None = None  # the document itself
    current_name = name
    while isinstance(extends, str):
        base = bases.get(extends)
        if base is None:
            return chain, (current, _missing_base(extends, bases, other_kinds))
        if extends in seen_names:
            # Told from the document whose `extends` closes the cycle: "a -> b -> a" at a.
            members = seen[seen.index(extends) :]
            first = members.index(current_name)
            cycle = " -> ".join([*members[first:], *members[:first], current_name])
            return chain, (current, f"extends cycle: {cycle}")
        if len(chain) == max_depth:
            return chain, (
                None,
                f"the extends chain is more than {max_depth} bases deep ({name} -> "
                f"{' -> '.join(b.name for b in chain[:3])} -> ... -> {chain[-1].name} -> "
                f"{extends}); merge some of the bases",
            )
        chain.append(base)
        seen.append(extends)
        seen_names.add(extends)
        current, current_name = base, base.name
        extends = base.extends.value if base.extends is not None else None
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
    return merge_patch(merged_bases(defaults, chain), top)


def merged_bases(defaults: Node | None, chain: Sequence[Layered]) -> Node | None:
    """`defaults ⊕ base_n ⊕ … ⊕ base_1`: what the document on top of `chain` is merged into
    (None when there is nothing under it)."""
    merged: Node | None = None
    if defaults is not None:
        merged = merge_patch(None, defaults)
    for base in reversed(chain):
        merged = merge_patch(merged, base.spec.without("extends"))
    return merged
