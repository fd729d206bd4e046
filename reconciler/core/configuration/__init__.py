"""Component configuration updates: plan them, simulate devices applying them, preview them.

Pure: only the standard library and jsonpointer. See docs/configuration-updates.md.
"""

from __future__ import annotations

from reconciler.core.configuration.device import (
    apply_configuration_update,
    deep_merge,
    desired_configuration,
    device_defaults,
    effective_configuration,
    kind_changes,
)
from reconciler.core.configuration.documents import JsonObject, JsonValue, canonical_json
from reconciler.core.configuration.errors import (
    ConfigurationError,
    ConfigurationLimitError,
    ConflictingResetError,
    IndexSegmentResetError,
    InvalidConfigurationError,
    InvalidPointerError,
    PointerIntoListError,
)
from reconciler.core.configuration.keys import KeyProblem, key_problems, reads_as_index
from reconciler.core.configuration.model import (
    ConfigurationChange,
    ConfigurationUpdate,
    ConfigurationUpdateApi,
)
from reconciler.core.configuration.planning import (
    RESET_POLICIES,
    ConfigurationPreview,
    ResetPolicy,
    plan_configuration_update,
    preview_configuration_update,
)
from reconciler.core.configuration.redaction import (
    REDACTED,
    redact,
    redact_change,
    redact_pointers,
    redact_update,
)

__all__ = [
    "REDACTED",
    "RESET_POLICIES",
    "ConfigurationChange",
    "ConfigurationError",
    "ConfigurationLimitError",
    "ConfigurationPreview",
    "ConfigurationUpdate",
    "ConfigurationUpdateApi",
    "ConflictingResetError",
    "IndexSegmentResetError",
    "InvalidConfigurationError",
    "InvalidPointerError",
    "JsonObject",
    "JsonValue",
    "KeyProblem",
    "PointerIntoListError",
    "ResetPolicy",
    "apply_configuration_update",
    "canonical_json",
    "deep_merge",
    "desired_configuration",
    "device_defaults",
    "effective_configuration",
    "key_problems",
    "kind_changes",
    "plan_configuration_update",
    "preview_configuration_update",
    "reads_as_index",
    "redact",
    "redact_change",
    "redact_pointers",
    "redact_update",
]
