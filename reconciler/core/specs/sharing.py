"""One object for equal values across a spec set (hash-consing of immutable spec values).

A fleet is mostly one base: thousands of Deployments whose policies, job configuration and most
component configurations are equal. Resolving each one separately gives every group its own
copies (about 3 KB per group of pydantic models alone); sharing one object per distinct value
keeps a 10,000-group spec set a fraction of that. Safe because what is shared is read-only:
the models are frozen, and configuration documents are read-only by contract (the
configuration planner copies its inputs).
"""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel

from reconciler.core.interning import InternTable
from reconciler.core.specs.budget import ExpansionBudget
from reconciler.core.specs.located import JsonValue
from reconciler.core.specs.spec_set import DeploymentComponent

M = TypeVar("M", bound=BaseModel)


class SharedValues:
    """Hands back the first equal value it saw. One instance per load: it keeps what it shares."""

    def __init__(self, budget: ExpansionBudget | None = None) -> None:
        """`budget` is charged with the JSON text of each distinct document and tags."""
        self._budget = budget
        self._models: InternTable[BaseModel] = InternTable()
        self._documents: InternTable[dict[str, JsonValue]] = InternTable()
        self._tags: InternTable[dict[str, str]] = InternTable()
        self._components: InternTable[DeploymentComponent] = InternTable()

    def model(self, value: M) -> M:
        key = (type(value), value.model_dump_json())
        shared = self._models.intern(key, value)
        assert isinstance(shared, type(value))
        return shared

    def document(self, value: dict[str, JsonValue]) -> dict[str, JsonValue]:
        # JSON text tells `1`, `1.0` and `true` apart, which `==` and `hash` do not; keys keep
        # their order, so what is shared is equal down to its repr (spec fingerprints use it).
        key = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        if key not in self._documents and self._budget is not None:
            self._budget.charge_resolved(len(key))
        return self._documents.intern(key, value)

    def tags(self, value: dict[str, str]) -> dict[str, str]:
        key = tuple(value.items())
        if key not in self._tags and self._budget is not None:
            self._budget.charge_resolved(sum(len(k) + len(v) for k, v in key))
        return self._tags.intern(key, value)

    def component(self, value: DeploymentComponent) -> DeploymentComponent:
        """A component a base gives many groups unchanged (same line of the same file too).
        Call it with a component whose documents and models came from this instance."""
        key = (
            value.name,
            value.version,
            id(value.configuration),
            value.configuration_policy,
            value.reset,
            value.secret_paths,
            id(value.run_with),
            value.source,
        )
        return self._components.intern(key, value)
