"""Component configuration updates: plan them, simulate devices applying them, preview them.

Pure: only the standard library and jsonpatch/jsonpointer. See docs/configuration-updates.md.
"""

from __future__ import annotations

from reconciler.core.configuration.device import (
    apply_configuration_update,
    deep_merge,
    effective_configuration,
)
from reconciler.core.configuration.documents import JsonObject, JsonValue, canonical_json
from reconciler.core.configuration.errors import (
    ConfigurationError,
    ConfigurationLimitError,
    ConflictingResetError,
    InvalidConfigurationError,
    InvalidPointerError,
    PointerIntoListError,
)
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
    "InvalidConfigurationError",
    "InvalidPointerError",
    "JsonObject",
    "JsonValue",
    "PointerIntoListError",
    "ResetPolicy",
    "apply_configuration_update",
    "canonical_json",
    "deep_merge",
    "effective_configuration",
    "plan_configuration_update",
    "preview_configuration_update",
    "redact",
    "redact_change",
    "redact_pointers",
    "redact_update",
]
