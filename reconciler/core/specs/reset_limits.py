"""Every configuration key the specs set must stay removable.

The planner removes a key the specs stop setting with a `reset` JSON pointer, and CreateDeployment
takes pointers of at most 256 characters (botocore: ComponentConfigurationPath). A key whose
pointer is longer can be deployed, but never removed again: every later plan would fail. So the
pointer of every key is checked when the specs are validated, before anything is applied. Keys
inside lists need no pointer of their own (Greengrass resets a list only as a whole).
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.core.configuration.model import MAX_RESET_POINTER_CHARS
from reconciler.core.specs.located import FieldPath, JsonValue
from reconciler.core.specs.problems import quoted


def unremovable_keys(configuration: JsonValue) -> Iterator[tuple[FieldPath, str]]:
    """(path of the key below `configuration`, message) of each key too long to reset."""
    stack: list[tuple[JsonValue, tuple[str, ...], int]] = [(configuration, (), 0)]
    while stack:
        value, path, length = stack.pop()
        if not isinstance(value, dict):
            continue
        for key, child in value.items():
            # len(format_pointer((key,))) without building it: a slash, and "~" and "/" take
            # two characters each (RFC 6901). Checked for every key of every Deployment, so
            # that a large shared base costs little per Deployment.
            pointer_length = length + 1 + len(key) + key.count("~") + key.count("/")
            if pointer_length > MAX_RESET_POINTER_CHARS:
                yield (
                    (*path, key),
                    f"the key {quoted(key)} could never be removed again: its reset pointer "
                    f"would be {pointer_length} characters long, and Greengrass takes at most "
                    f"{MAX_RESET_POINTER_CHARS} (the keys above it count too); use shorter keys",
                )
                continue  # the keys below it are reported through it
            if isinstance(child, dict):  # a leaf has no keys below it: not stacked
                stack.append((child, (*path, key), pointer_length))
