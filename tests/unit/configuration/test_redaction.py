"""Secrets never leak into printed configurations."""

from __future__ import annotations

import copy

from reconciler.core.configuration import (
    REDACTED,
    ConfigurationChange,
    ConfigurationUpdate,
    JsonObject,
    canonical_json,
    preview_configuration_update,
    redact,
    redact_change,
    redact_update,
)
from reconciler.core.configuration.redaction import redact_pointer

CONFIG: JsonObject = {
    "endpoint": "https://example.invalid",
    "credentials": {"user": "svc", "password": "hunter2", "keys": {"a": "k1", "b": "k2"}},
    "proxy": '{"password": "in-a-string"}',
    "tokens": ["t1", "t2"],
    "a/b~c": "escaped-secret",
}


def test_a_nested_secret_is_replaced() -> None:
    redacted = redact(CONFIG, ["/credentials/password"])

    assert redacted["credentials"] == {
        "user": "svc",
        "password": REDACTED,
        "keys": {"a": "k1", "b": "k2"},
    }


def test_a_secret_object_is_replaced_whole() -> None:
    redacted = redact(CONFIG, ["/credentials/keys"])

    assert redacted["credentials"] == {"user": "svc", "password": "hunter2", "keys": REDACTED}
    assert "k1" not in canonical_json(redacted)


def test_a_secret_inside_a_string_or_a_list_hides_that_whole_value() -> None:
    redacted = redact(CONFIG, ["/proxy/password", "/tokens/0"])

    assert redacted["proxy"] == REDACTED
    assert redacted["tokens"] == REDACTED


def test_escaped_keys_and_missing_paths() -> None:
    redacted = redact(CONFIG, ["/a~1b~0c", "/not/there"], placeholder="***")

    assert redacted["a/b~c"] == "***"
    assert {key: value for key, value in redacted.items() if key != "a/b~c"} == {
        key: value for key, value in CONFIG.items() if key != "a/b~c"
    }


def test_the_root_pointer_hides_everything_keys_included() -> None:
    assert redact(CONFIG, [""]) == {REDACTED: REDACTED}
    assert redact({}, [""]) == {}


def test_names_below_a_secret_path_are_hidden_in_pointers() -> None:
    secret_paths = ["/credentials/keys", "/tokens"]
    assert redact_pointer("/credentials/keys/alice", secret_paths) == "/credentials/keys/<redacted>"
    assert redact_pointer("/credentials/keys/a/b", secret_paths) == "/credentials/keys/<redacted>"
    assert redact_pointer("/tokens/0", secret_paths) == "/tokens/<redacted>"
    # At a secret path or beside it, a pointer is shown as it is: its name is in the specs.
    assert redact_pointer("/credentials/keys", secret_paths) == "/credentials/keys"
    assert redact_pointer("/credentials/user", secret_paths) == "/credentials/user"
    assert redact_pointer("/tokensX/a", secret_paths) == "/tokensX/a"
    assert redact_pointer("/a", [""]) == "/<redacted>"
    # A name holding "/" or "~" is hidden whole, not cut at an escaped separator.
    assert redact_pointer("/tokens/a~1b~0c", secret_paths) == "/tokens/<redacted>"
    # A secret path below another: the outer one decides.
    assert redact_pointer("/x/y/z", ["/x/y", "/x"]) == "/x/<redacted>"


def test_a_change_keeps_what_happened_below_a_secret_path_but_not_the_names() -> None:
    change = ConfigurationChange(
        added=("/keys/new-name", "/plain"),
        changed=("/keys/changed-name",),
        removed=("/keys/old-name", "/keys/older-name"),
        reset_to_default=("/keys/default-name",),
    )

    redacted = redact_change(change, ["/keys"])

    assert redacted == ConfigurationChange(
        added=("/keys/<redacted>", "/plain"),
        changed=("/keys/<redacted>",),
        removed=("/keys/<redacted>",),
        reset_to_default=("/keys/<redacted>",),
    )


def test_the_input_is_not_modified() -> None:
    before = copy.deepcopy(CONFIG)

    redact(CONFIG, ["/credentials", "/proxy"])

    assert before == CONFIG


def test_an_update_is_redacted_in_its_merge_and_its_resets_below_secret_paths() -> None:
    update = ConfigurationUpdate(
        merge={"credentials": {"password": "hunter2"}},
        reset=("/x", "/users/alice", "/users/bob"),
    )

    redacted = redact_update(update, ["/credentials/password", "/users"])

    assert redacted.to_api() == {
        "merge": '{"credentials":{"password":"<redacted>"}}',
        "reset": ["/users/<redacted>", "/x"],
    }
    assert redact_update(ConfigurationUpdate(reset=("/x",)), ["/x"]) == ConfigurationUpdate(
        reset=("/x",)
    )


def test_a_redacted_preview_leaks_the_secret_nowhere() -> None:
    defaults: JsonObject = {"credentials": {"password": "default-secret"}, "interval": 1}
    preview = preview_configuration_update(
        live_defaults=defaults,
        live_update=ConfigurationUpdate(merge={"credentials": {"password": "old-secret"}}),
        desired_defaults=defaults,
        overlay={"credentials": {"password": "new-secret"}, "interval": 2},
    )

    redacted = preview.redacted(["/credentials"])

    printed = " ".join(
        [
            canonical_json(redacted.live),
            canonical_json(redacted.desired),
            redacted.update.merge_text or "",
        ]
    )
    assert "secret" not in printed
    assert redacted.desired["interval"] == 2
    assert preview.change.changed == ("/credentials/password", "/interval")
    # Not even the secret key's name is shown.
    assert redacted.change.changed == ("/credentials/<redacted>", "/interval")
    assert preview.desired["credentials"] == {"password": "new-secret"}  # the original is intact
