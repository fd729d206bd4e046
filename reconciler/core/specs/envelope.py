"""The envelope of a spec document (apiVersion, kind, metadata, spec), checked before its spec."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.core.specs.documents import KINDS, DocumentEnvelope
from reconciler.core.specs.located import Node, SourceLocation
from reconciler.core.specs.problems import SpecProblem
from reconciler.core.specs.validation import describe_value, validate_node


@dataclass(frozen=True)
class ParsedDocument:
    """A document whose kind is known and whose spec is a mapping (the spec is not yet checked).

    `name` falls back to the file path when metadata.name is unusable (already reported), so
    that the rest of the document can still be checked.
    """

    file: str
    kind: str
    name: str
    root: Node
    name_node: Node | None
    spec: Node

    @property
    def location(self) -> SourceLocation:
        return self.root.location


def read_envelope(root: Node) -> tuple[ParsedDocument | None, list[SpecProblem]]:
    """Check the envelope; return the document when its spec can be checked further."""
    file = root.location.file
    if root.mapping() is None:
        message = (
            f"a spec document must be a mapping with apiVersion, kind, metadata and spec, "
            f"not {describe_value(root)}"
        )
        return None, [SpecProblem(file, root.location.line, "", message)]
    keys = {key.lower() for key in root.mapping() or {}}
    if "recipeformatversion" in keys and "apiversion" not in keys:
        message = (
            "this looks like a component recipe, but no Component document names it in "
            "spec.recipe (a recipe is not a spec document)"
        )
        return None, [SpecProblem(file, root.location.line, "", message)]
    _, problems = validate_node(DocumentEnvelope, root)
    kind = root.child("kind")
    spec = root.child("spec")
    if kind is None or kind.value not in KINDS or spec is None or spec.mapping() is None:
        return None, problems
    metadata = root.child("metadata")
    name_node = metadata.child("name") if metadata is not None else None
    name = name_node.value if name_node is not None and isinstance(name_node.value, str) else file
    return ParsedDocument(file, str(kind.value), name, root, name_node, spec), problems
