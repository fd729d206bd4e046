"""A compiled, immutable view of botocore shapes, built once per shape for fast request handling.

botocore's `Shape` objects recompute their metadata dictionaries on access; the emulator walks
shapes on every request (parse, validate, serialize, check), so it compiles each one into a
`ShapeSpec` with the constraints already extracted and patterns already compiled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape


@dataclass(frozen=True)
class MemberSpec:
    """A structure member: its shape and where it travels on the wire."""

    name: str
    spec: ShapeSpec
    location: str  # "" (body), "uri", "querystring", "header", "headers", "statusCode"
    wire_name: str  # the label, query key, header name or JSON key


@dataclass(eq=False)
class ShapeSpec:
    """One shape with its constraints ready to check. Mutable only while being built."""

    name: str
    type_name: str
    required: frozenset[str] = frozenset()
    members: dict[str, MemberSpec] = field(default_factory=dict)
    member: ShapeSpec | None = None  # list element
    key: ShapeSpec | None = None  # map key
    value: ShapeSpec | None = None  # map value
    enum: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    pattern: re.Pattern[str] | None = None
    pattern_text: str = ""
    timestamp_format: str = ""
    error_status: int = 0  # HTTP status of an exception shape, else 0
    is_fault: bool = False

    def body_members(self) -> list[MemberSpec]:
        return [m for m in self.members.values() if not m.location]


class ShapeCompiler:
    """Compiles botocore shapes into `ShapeSpec`s, caching by shape name (handles recursion)."""

    def __init__(self) -> None:
        self._cache: dict[str, ShapeSpec] = {}

    def compile(self, shape: Shape) -> ShapeSpec:
        cached = self._cache.get(shape.name)
        if cached is not None:
            return cached
        metadata = shape.metadata
        spec = ShapeSpec(name=shape.name, type_name=shape.type_name)
        # Registered before recursing so that recursive shapes terminate.
        self._cache[shape.name] = spec
        spec.enum = tuple(metadata.get("enum", ()))
        spec.min = metadata.get("min")
        spec.max = metadata.get("max")
        if "pattern" in metadata:
            spec.pattern_text = metadata["pattern"]
            try:
                spec.pattern = re.compile(metadata["pattern"], re.DOTALL)
            except re.error:
                # Java-only syntax (IoT's `\p{...}` classes): left unchecked rather than guessed.
                spec.pattern = None
        spec.timestamp_format = shape.serialization.get("timestampFormat", "")
        error = metadata.get("error")
        if metadata.get("exception"):
            spec.error_status = int(error.get("httpStatusCode", 400)) if error else 400
            spec.is_fault = bool(metadata.get("fault"))
        if isinstance(shape, StructureShape):
            spec.required = frozenset(metadata.get("required", ()))
            for name, member in shape.members.items():
                serialization = member.serialization
                location = serialization.get("location", "")
                spec.members[name] = MemberSpec(
                    name=name,
                    spec=self.compile(member),
                    location=location,
                    wire_name=serialization.get("name", name),
                )
        elif isinstance(shape, ListShape):
            spec.member = self.compile(shape.member)
        elif isinstance(shape, MapShape):
            spec.key = self.compile(shape.key)
            spec.value = self.compile(shape.value)
        return spec


def describe_value(value: Any, limit: int = 80) -> str:
    """Render a value the way AWS quotes it in validation messages, shortened if long."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
