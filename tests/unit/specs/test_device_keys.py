"""Configuration a device cannot hold as written is a spec problem with file, line and field.

The rules are aws-greengrass-nucleus's (docs/configuration-updates.md): keys are case-insensitive,
keys beginning with `_` are dropped, and a reset pointer with a segment that reads as an array
index is skipped.
"""

from __future__ import annotations

from tests.unit.specs.support import document, load, only_settings, rendered

COMPONENT = 'spec.components["com.example.A"]'


def deployment(components: str, extends: str = "") -> str:
    return document("Deployment", "group", f"{extends}thingGroup: Group\ncomponents:\n{components}")


def test_a_configuration_key_beginning_with_an_underscore_is_reported_at_its_line() -> None:
    files = only_settings(
        group=deployment(
            "  com.example.A:\n"
            "    version: 1.0.0\n"
            "    configuration:\n"
            "      Interval: 5\n"
            "      Model:\n"
            "        _cache: /tmp\n"
        )
    )
    [message] = rendered(files)
    assert message.startswith(f"group.yaml:13: {COMPONENT}.configuration.Model._cache: ")
    assert "'_cache' begins with '_': the nucleus drops such keys" in message


def test_configuration_keys_that_differ_only_by_case_are_reported_at_the_later_one() -> None:
    files = only_settings(
        group=deployment(
            "  com.example.A:\n"
            "    version: 1.0.0\n"
            "    configuration:\n"
            "      Port: 1\n"
            "      port: 2\n"
        )
    )
    assert rendered(files) == [
        f"group.yaml:12: {COMPONENT}.configuration.port: the configuration key 'port' differs "
        "from 'Port' only by case: the nucleus reads keys case-insensitively "
        "(CaseInsensitiveString), so a device would hold one key for both; keep one spelling"
    ]


def test_a_case_duplicate_made_by_extends_points_at_the_deployment_that_adds_it() -> None:
    base = document(
        "DeploymentBase",
        "base",
        "components:\n  com.example.A:\n    version: 1.0.0\n    configuration: {Port: 1}",
    )
    files = only_settings(
        base=base,
        group=deployment("  com.example.A:\n    configuration: {PORT: 2}\n", "extends: base\n"),
    )
    [message] = rendered(files)
    assert message.startswith(f"group.yaml:10: {COMPONENT}.configuration.PORT: ")
    assert "differs from 'Port' only by case" in message


def test_a_reset_pointer_with_a_number_like_segment_is_reported_with_what_to_reset() -> None:
    files = only_settings(
        group=deployment(
            "  com.example.A:\n    version: 1.0.0\n    reset:\n      - /ok\n      - /portMap/8443\n"
        )
    )
    [message] = rendered(files)
    assert message.startswith(f"group.yaml:12: {COMPONENT}.reset[1]: the reset pointer ")
    assert "'8443', which reads as a number" in message
    assert "reset '/portMap' instead" in message


def test_keys_inside_lists_and_number_like_keys_in_configuration_are_accepted() -> None:
    files = only_settings(
        group=deployment(
            "  com.example.A:\n"
            "    version: 1.0.0\n"
            "    configuration:\n"
            "      portMap: {'8443': 443}\n"
            "      items: [{_a: 1, B: 1, b: 2}]\n"
            "    reset: [/portMap/08443, /items]\n"
        )
    )
    [group] = load(files).deployments
    assert group.components["com.example.A"].configuration["portMap"] == {"8443": 443}
