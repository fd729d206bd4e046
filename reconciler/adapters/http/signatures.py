"""Webhook authentication: GitHub's HMAC signature and GitLab's shared token.

Both comparisons run in constant time (`hmac.compare_digest`) so that the time an answer takes
says nothing about how much of a guessed signature or token was right.
"""

from __future__ import annotations

import hashlib
import hmac

GITHUB_SIGNATURE_PREFIX = "sha256="


def github_signature(secret: bytes, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body`: sha256=<hex HMAC-SHA256>."""
    return GITHUB_SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def github_signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether `header` (X-Hub-Signature-256) signs `body` with `secret`."""
    if not header:
        return False
    expected = github_signature(secret, body).encode("ascii")
    # Compare as bytes: compare_digest refuses non-ASCII str, and a header is attacker-chosen.
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))


def gitlab_token_valid(secret: bytes, header: str | None) -> bool:
    """Whether `header` (X-Gitlab-Token) is the shared secret."""
    if not header:
        return False
    return hmac.compare_digest(secret, header.encode("utf-8", "replace"))
