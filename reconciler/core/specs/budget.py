"""What one load of a spec tree may expand to, summed over its files and Deployments.

Each file is bounded on its own (`SpecLimits.max_nodes`, `max_characters`), but a tree of many
small files could still expand without bound: every file an alias bomb just under the limit, or
thousands of small Deployments each `extends` a large base and changes one key. A load therefore
charges what YAML aliases add and what the resolved Deployments hold to one `ExpansionBudget`,
before any of it is built, and stops with a problem once the tree's limit is reached.
"""

from __future__ import annotations

from reconciler.core.specs.located import JsonValue
from reconciler.core.specs.tree import SpecLimits


class ExpansionLimitError(Exception):
    """The tree as a whole expands to more than its limit; the message says which one."""


class ExpansionBudget:
    """The expansion a load has spent so far (one instance per load)."""

    def __init__(self, limits: SpecLimits) -> None:
        self.limits = limits
        self.alias_values = 0
        self.alias_characters = 0
        self.resolved_characters = 0

    def charge_alias(self, values: int, characters: int) -> None:
        """Charge one alias's expansion; raises `ExpansionLimitError` past the tree's limit."""
        self.alias_values += values
        self.alias_characters += characters
        if self.alias_values > self.limits.max_alias_values:
            raise ExpansionLimitError(
                f"YAML aliases in the spec tree add more than {self.limits.max_alias_values:,} "
                "values in all (counting every expansion, over every file): write the values "
                "out, or share them with `extends`"
            )
        if self.alias_characters > self.limits.max_alias_characters:
            raise ExpansionLimitError(
                "YAML aliases in the spec tree add more than "
                f"{self.limits.max_alias_characters:,} characters in all (counting every "
                "expansion, over every file)"
            )

    def charge_resolved(self, characters: int) -> None:
        """Charge a distinct value a resolved Deployment holds (its JSON text's length)."""
        if self.resolved_characters + characters > self.limits.max_resolved_characters:
            raise ExpansionLimitError(
                "the resolved Deployments would hold more than "
                f"{self.limits.max_resolved_characters:,} characters of distinct configuration and "
                "tags in all (each Deployment a copy of what it extends with a change): move "
                "large data into artifacts"
            )
        self.resolved_characters += characters

    @property
    def aliases_used(self) -> bool:
        return bool(self.alias_values or self.alias_characters)


def oversized(value: JsonValue, limits: SpecLimits) -> str | None:
    """Why `value` (a document merged with what it `extends`) is too large, or None.

    The same bounds as for one file: `max_nodes` values and `max_characters` characters of keys
    and strings. Stops counting as soon as one is passed.
    """
    values = characters = 0
    stack: list[JsonValue] = [value]
    while stack:
        item = stack.pop()
        values += 1
        if isinstance(item, dict | list):
            # Strings inside are counted here rather than pushed one by one: a large base is
            # measured again for every Deployment that extends it.
            children = item.values() if isinstance(item, dict) else item
            if isinstance(item, dict):
                characters += sum(map(len, item))
            for child in children:
                if isinstance(child, str):
                    values += 1
                    characters += len(child)
                else:
                    stack.append(child)
        elif isinstance(item, str):
            characters += len(item)
        if values > limits.max_nodes:
            return f"more than {limits.max_nodes:,} values"
        if characters > limits.max_characters:
            return f"more than {limits.max_characters:,} characters of keys and strings"
    return None
