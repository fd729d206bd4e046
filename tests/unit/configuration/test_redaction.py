"""Secrets never leak into printed configurations."""

from __future__ import annotations

import copy

from reconciler.core.configuration import (
    REDACTED,
    ConfigurationUpdate,
    JsonObject,
    canonical_json,
    preview_configuration_update,
    redact,
    redact_update,
)

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


def test_the_root_pointer_hides_every_value() -> None:
    assert redact(CONFIG, [""]) == {key: REDACTED for key in CONFIG}


def test_the_input_is_not_modified() -> None:
    before = copy.deepcopy(CONFIG)

    redact(CONFIG, ["/credentials", "/proxy"])

    assert before == CONFIG


def test_an_update_is_redacted_in_its_merge_only() -> None:
    update = ConfigurationUpdate(merge={"credentials": {"password": "hunter2"}}, reset=("/x",))

    redacted = redact_update(update, ["/credentials/password"])

    assert redacted.to_api() == {
        "merge": '{"credentials":{"password":"<redacted>"}}',
        "reset": ["/x"],
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
    assert redacted.change == preview.change  # pointers only, no values
    assert preview.desired["credentials"] == {"password": "new-secret"}  # the original is intact
