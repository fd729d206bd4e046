"""The value types: a component's `configurationUpdate`, and a readable summary of a change."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypedDict

from reconciler.core.configuration.documents import (
    JsonObject,
    JsonValue,
    canonical_json,
    json_object,
)
from reconciler.core.configuration.errors import (
    ConfigurationLimitError,
    InvalidConfigurationError,
)
from reconciler.core.configuration.pointers import parse_pointer

# CreateDeployment's limits (botocore model: ComponentConfigurationString, ...Path).
MAX_MERGE_CHARS = 10_485_760
MAX_RESET_POINTER_CHARS = 256


class ConfigurationUpdateApi(TypedDict, total=False):
    """`components[name].configurationUpdate` as the Greengrass v2 API carries it."""

    merge: str
    reset: list[str]


@dataclass(frozen=True, eq=False, repr=False)
class ConfigurationUpdate:
    """What a deployment revision asks a device to do to a component's configuration:
    reset the `reset` pointers to their defaults (or remove them), then merge `merge` in.

    Values are canonical: `merge` is a validated copy (an empty merge is `None`: it does
    nothing), `reset` is sorted without duplicates. Two updates are equal when they ask for the
    same thing, whatever the order their pointers were given in. Treat `merge` as read-only.
    """

    merge: Mapping[str, JsonValue] | None = None
    reset: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        merge = None
        if self.merge is not None:
            merge = json_object(self.merge, what="the configuration merge") or None
        if isinstance(self.reset, str):
            raise InvalidConfigurationError(
                f"reset must be a sequence of JSON pointers, not the string {self.reset!r}"
            )
        for pointer in self.reset:
            parse_pointer(pointer)
        object.__setattr__(self, "merge", merge)
        object.__setattr__(self, "reset", tuple(sorted(set(self.reset))))

    @property
    def merge_document(self) -> JsonObject:
        """A copy of the merge document (`{}` when there is none)."""
        return json_object(self.merge or {}, what="the configuration merge")

    @cached_property
    def merge_text(self) -> str | None:
        """The canonical JSON text of the merge, as sent to the API (computed once: `merge`
        is read-only, and plans key their memo on this text for every component)."""
        return None if self.merge is None else canonical_json(dict(self.merge))

    @property
    def is_empty(self) -> bool:
        """Whether the update changes nothing (no merge, no reset)."""
        return self.merge is None and not self.reset

    def to_api(self) -> ConfigurationUpdateApi:
        """The API form: `merge` as canonical JSON text; absent parts are omitted."""
        api: ConfigurationUpdateApi = {}
        text = self.merge_text
        if text is not None:
            api["merge"] = text
        if self.reset:
            api["reset"] = list(self.reset)
        return api

    @classmethod
    def from_api(cls, data: Mapping[str, Any] | None) -> ConfigurationUpdate:
        """Parse the API form (as GetDeployment returns it); `None` or `{}` is the empty update."""
        if data is None:
            return cls()
        merge_text = data.get("merge")
        merge = None
        if merge_text is not None:
            if not isinstance(merge_text, str):
                raise InvalidConfigurationError(
                    f"configurationUpdate.merge must be a JSON string, got a "
                    f"{type(merge_text).__name__}"
                )
            try:
                merge = json.loads(merge_text)
            except json.JSONDecodeError as error:
                raise InvalidConfigurationError(
                    f"configurationUpdate.merge is not valid JSON: {error}"
                ) from error
        reset = data.get("reset") or []
        if not isinstance(reset, list) or not all(isinstance(p, str) for p in reset):
            raise InvalidConfigurationError(
                "configurationUpdate.reset must be a list of JSON pointer strings"
            )
        return cls(merge=merge, reset=tuple(reset))

    def check_api_limits(self) -> None:
        """Raise `ConfigurationLimitError` when CreateDeployment would reject this update."""
        text = self.merge_text
        if text is not None and len(text) > MAX_MERGE_CHARS:
            raise ConfigurationLimitError(
                f"the configuration merge is {len(text):,} characters long; Greengrass accepts "
                f"at most {MAX_MERGE_CHARS:,}: move large data into an artifact"
            )
        for pointer in self.reset:
            if len(pointer) > MAX_RESET_POINTER_CHARS:
                raise ConfigurationLimitError(
                    f"the reset pointer {pointer[:60]!r}... is {len(pointer)} characters long; "
                    f"Greengrass accepts at most {MAX_RESET_POINTER_CHARS}: use shorter keys"
                )

    def _identity(self) -> tuple[str | None, tuple[str, ...]]:
        return self.merge_text, self.reset

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConfigurationUpdate):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        # Merge values may be secrets: a repr ends up in logs, so it shows only the shape.
        keys = "None" if self.merge is None else f"<{len(self.merge)} top-level keys>"
        return f"ConfigurationUpdate(merge={keys}, reset={self.reset!r})"


def _sorted_pointers(pointers: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(pointers)))


@dataclass(frozen=True, slots=True)
class ConfigurationChange:
    """Which configuration values differ between the live and the desired configuration.

    Pointers (sorted) name the outermost places that differ; a list counts as one value.
    `reset_to_default` holds values that both exist but return to the component's default (the
    overlay no longer sets them, or the default itself changed); `changed` all other values
    that exist on both sides. The four sets are disjoint.
    """

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reset_to_default: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("added", "changed", "removed", "reset_to_default"):
            object.__setattr__(self, name, _sorted_pointers(getattr(self, name)))

    @property
    def is_empty(self) -> bool:
        """Whether the live and desired configurations are the same."""
        return not (self.added or self.changed or self.removed or self.reset_to_default)

    def __bool__(self) -> bool:
        return not self.is_empty
