"""`clientToken` idempotency: the same token and request answer the same resource again.

The service caches successful responses of idempotent requests for up to 8 hours; the same
token with a different request is a conflict. The emulator remembers which resource a token
created and a fingerprint of the request that created it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from reconciler.emulator.greengrass.exceptions import ConflictError

TOKEN_LIFETIME_SECONDS = 8 * 3600


@dataclass
class Remembered:
    operation: str
    token: str
    fingerprint: str
    resource: str  # the id or ARN of what the first request created
    created: float

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


def fingerprint(params: dict[str, Any]) -> str:
    """A digest of the request parameters other than the token itself."""
    relevant = {k: v for k, v in params.items() if k != "clientToken"}
    canonical = json.dumps(relevant, sort_keys=True, default=_encode_bytes, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class IdempotencyStore:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], Remembered] = {}

    def lookup(self, operation: str, token: str, digest: str, now: float) -> str | None:
        """The resource created earlier with this token, or None; a conflict if misused."""
        entry = self._entries.get((operation, token))
        if entry is None or now - entry.created > TOKEN_LIFETIME_SECONDS:
            return None
        if entry.fingerprint != digest:
            raise ConflictError(
                f"The clientToken {token} was already used with a different {operation} "
                "request; use a new token for a different request",
                resource_id=token,
                resource_type="clientToken",
            )
        return entry.resource

    def remember(self, entry: Remembered) -> None:
        self._entries[(entry.operation, entry.token)] = entry

    def all(self) -> list[Remembered]:
        return list(self._entries.values())

    def clear(self) -> None:
        self._entries.clear()


def _encode_bytes(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot fingerprint {type(value).__name__}")
