"""Errors of configuration planning: invalid documents, pointers, and API limits.

They are `PlanError`s (the specs cannot be turned into a configuration update: permanent, a retry
gives the same answer) and `ValueError`s (the input value is wrong), so callers may catch either.
"""

from __future__ import annotations

from reconciler.errors import PlanError


class ConfigurationError(PlanError, ValueError):
    """A configuration document, pointer or update cannot be used."""


class InvalidConfigurationError(ConfigurationError):
    """A document is not the JSON it must be (not an object, a null in an overlay, NaN...)."""


class InvalidPointerError(ConfigurationError):
    """A string is not an RFC 6901 JSON pointer (must be "" or start with "/"; "~" escapes)."""


class PointerIntoListError(ConfigurationError):
    """A reset pointer leads into a list: Greengrass resets lists only as a whole."""


class IndexSegmentResetError(ConfigurationError):
    """A reset pointer has a segment that reads as a number ("/portMap/8443"): the nucleus takes
    it for an array index and skips the pointer (KernelConfigResolver), so no device resets it."""


class ConflictingResetError(ConfigurationError):
    """An explicit reset points below a value that the overlay replaces as a whole."""


class ConfigurationLimitError(ConfigurationError):
    """An update exceeds a CreateDeployment limit (merge length, reset pointer length)."""
