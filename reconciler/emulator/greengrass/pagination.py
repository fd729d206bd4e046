"""`nextToken` pagination that stays stable while items are added between pages.

A token records the sort key of the last item returned; the next page starts after that key,
so creating a deployment between two pages neither repeats nor skips one. Tokens are opaque
(base64url JSON) and a token that does not decode is the service's ValidationException.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from reconciler.emulator.greengrass.exceptions import ValidationError

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 50


def paginate(
    items: Iterable[T],
    sort_key: Callable[[T], Any],
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[T], str | None]:
    """One page of `items` (in ascending `sort_key` order) and the next token, if any.

    `items` is consumed lazily: a page costs the items before it plus one, not the whole list.
    """
    after = _decode(next_token) if next_token else None
    size = max_results or DEFAULT_PAGE_SIZE
    page: list[T] = []
    for item in items:
        if after is not None and _comparable(sort_key(item)) <= after:
            continue
        if len(page) == size:
            return page, _encode(sort_key(page[-1]))
        page.append(item)
    return page, None


def _encode(key: Any) -> str:
    raw = json.dumps({"after": key}, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode(token: str) -> Any:
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        return _comparable(document["after"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError) as error:
        raise ValidationError(
            "The nextToken is not valid: pass the token from the previous response unchanged",
            reason="FIELD_VALIDATION_FAILED",
        ) from error


def _comparable(key: Any) -> Any:
    # JSON turns tuples into lists; compare them as tuples again.
    if isinstance(key, list | tuple):
        return tuple(_comparable(part) for part in key)
    return key
