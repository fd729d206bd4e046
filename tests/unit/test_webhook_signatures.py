"""Webhook authentication and push reading, without a server."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.adapters.http.push_events import (
    PayloadError,
    PushEvent,
    decode_body,
    ignore_reason,
    push_from_document,
)
from reconciler.adapters.http.signatures import (
    github_signature,
    github_signature_valid,
    gitlab_token_valid,
)

SECRET = b"It's a Secret to Everybody"


def test_the_signature_matches_github_s_documented_example() -> None:
    # The example of GitHub's "Validating webhook deliveries" page.
    assert github_signature(SECRET, b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


@given(secret=st.binary(min_size=1, max_size=64), body=st.binary(max_size=512))
def test_a_signature_made_with_the_secret_is_valid(secret: bytes, body: bytes) -> None:
    header = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()

    assert github_signature_valid(secret, body, header)


@given(body=st.binary(max_size=256), flipped=st.integers(min_value=0, max_value=63))
def test_any_changed_digit_makes_the_signature_invalid(body: bytes, flipped: int) -> None:
    digest = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    changed = "1" if digest[flipped] != "1" else "2"
    header = "sha256=" + digest[:flipped] + changed + digest[flipped + 1 :]

    assert not github_signature_valid(SECRET, body, header)


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha512=abc", "sha256=ünïcödé", "sha256=" + "0" * 64],
)
def test_malformed_signatures_are_invalid_without_raising(header: str | None) -> None:
    assert not github_signature_valid(SECRET, b"{}", header)


def test_the_gitlab_token_must_equal_the_secret() -> None:
    assert gitlab_token_valid(SECRET, SECRET.decode())
    assert not gitlab_token_valid(SECRET, None)
    assert not gitlab_token_valid(SECRET, "")
    assert not gitlab_token_valid(SECRET, SECRET.decode()[:-1])
    assert not gitlab_token_valid(SECRET, SECRET.decode() + " ")
    assert not gitlab_token_valid(SECRET, "sécret")


def test_a_form_encoded_body_is_read_from_its_payload_field() -> None:
    body = urlencode({"payload": '{"ref": "refs/heads/main"}'}).encode()

    assert decode_body(body, "application/x-www-form-urlencoded; charset=utf-8") == {
        "ref": "refs/heads/main"
    }
    with pytest.raises(PayloadError, match="payload"):
        decode_body(b"other=1", "application/x-www-form-urlencoded")


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b"[1,"])
def test_bodies_that_are_not_json_are_payload_errors(body: bytes) -> None:
    with pytest.raises(PayloadError):
        decode_body(body, "application/json")


def test_an_empty_body_is_an_empty_document_only_where_optional() -> None:
    assert decode_body(b"", None, optional=True) == {}


def test_a_push_needs_a_ref_unless_the_sender_is_generic() -> None:
    with pytest.raises(PayloadError, match="ref"):
        push_from_document({"after": "abc"}, provider="github", delivery=None)
    with pytest.raises(PayloadError, match="object"):
        push_from_document(["ref"], provider="gitlab", delivery=None)
    with pytest.raises(PayloadError, match="after"):
        push_from_document({"ref": "refs/heads/main", "after": 7}, provider="github", delivery=None)

    generic = push_from_document({}, provider="generic", delivery="d", ref_required=False)
    assert generic == PushEvent(provider="generic", ref="", after=None, delivery="d")


@pytest.mark.parametrize(
    ("ref", "after", "branch", "ignored"),
    [
        ("refs/heads/main", "abc", "main", False),
        ("refs/heads/main", None, "main", False),
        ("refs/heads/mainline", "abc", "main", True),
        ("refs/tags/main", "abc", "main", True),
        ("refs/heads/main", "0" * 40, "main", True),
        ("refs/heads/any", "abc", None, False),
        ("", None, "main", False),  # a generic sender naming no ref: resync what we follow
    ],
)
def test_pushes_that_need_no_reconcile_say_why(
    ref: str, after: str | None, branch: str | None, ignored: bool
) -> None:
    event = PushEvent(provider="github", ref=ref, after=after, delivery=None)

    reason = ignore_reason(event, branch)

    assert (reason is not None) is ignored
    if reason is not None:
        assert ref in reason
