"""The template renderer the chart tests rely on behaves as Go's text/template and Sprig do.

Expected outputs are what `helm template` prints for the same input (Go semantics: trim markers,
variable scope, map iteration in key order, Sprig's nindent/quote/default/required).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.helmlite import (
    TemplateRenderError,
    TemplateSyntaxError,
    merge_values,
    render_template_text,
)


def render(source: str, data: Any = None, helpers: str = "") -> str:
    return render_template_text(source, data if data is not None else {}, helpers=helpers)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a  {{- 1 }}  b", "a1  b"),
        ("a  {{ 1 -}}  \n  b", "a  1b"),
        ("{{- /* a comment */ -}}\n  x", "x"),
        ("{{-3}}", "-3"),  # no space after the dash: a negative number, not a trim marker
        ('{{ "}}" }}', "}}"),
        ("{{ `raw \\n` }}", "raw \\n"),
    ],
)
def test_trim_markers_comments_and_literals(source: str, expected: str) -> None:
    assert render(source) == expected


def test_fields_variables_and_scopes() -> None:
    data = {"a": {"b": "B"}, "list": ["x", "y"], "map": {"z": 26, "k": 11}}
    assert render("{{ .a.b }}{{ $v := .a }}{{ with .a }}{{ .b }}{{ $v.b }}{{ end }}", data) == "BBB"
    assert render("{{ range $i, $e := .list }}{{ $i }}={{ $e }};{{ end }}", data) == "0=x;1=y;"
    # Maps are visited in key order, as Go does.
    assert render("{{ range $k, $v := .map }}{{ $k }}{{ $v }} {{ end }}", data) == "k11 z26 "
    assert render("{{ range .missing }}x{{ else }}empty{{ end }}", data) == "empty"
    with pytest.raises(TemplateRenderError, match="undefined variable"):
        render("{{ with .a }}{{ $inner := 1 }}{{ end }}{{ $inner }}", data)


def test_missing_keys_are_nil_but_fields_of_nil_fail() -> None:
    assert render("[{{ .nothing }}]", {}) == "[]"
    with pytest.raises(TemplateRenderError, match="nil pointer"):
        render("{{ .nothing.deeper }}", {})


def test_if_else_if_and_truth() -> None:
    template = "{{ if gt (int .n) 1 }}many{{ else if eq (int .n) 1 }}one{{ else }}none{{ end }}"
    assert [render(template, {"n": n}) for n in (3, 1, 0)] == ["many", "one", "none"]
    assert render("{{ if .e }}y{{ else }}n{{ end }}", {"e": {}}) == "n"
    assert render("{{ and .a .b }}|{{ or .a .b }}|{{ not .a }}", {"a": 0, "b": "x"}) == "0|x|true"


def test_comparing_different_kinds_fails_as_in_go() -> None:
    with pytest.raises(TemplateRenderError, match="incompatible types"):
        render('{{ eq .n "1" }}', {"n": 1})


def test_sprig_functions() -> None:
    data = {"m": {"b": [1, 2], "a": "x"}, "s": "release-name-", "n": 60, "f": 0.5}
    assert render("k:{{ toYaml .m | nindent 2 }}", data) == "k:\n  a: x\n  b:\n  - 1\n  - 2"
    assert render("{{ .n | quote }} {{ .f | quote }} {{ quote .s }}", data) == (
        '"60" "0.5" "release-name-"'
    )
    assert render('{{ .s | trunc 12 | trimSuffix "-" }}', data) == "release-name"
    assert render('{{ .missing | default "d" }} {{ default "d" .s }}', data) == "d release-name-"
    assert render('{{ printf "%s-%d" "a" 7 | replace "-" "_" }}', data) == "a_7"
    assert render('{{ indent 2 "a\\nb" }}', data) == "  a\n  b"
    assert len(render("{{ sha256sum .s }}", data)) == 64


def test_required_and_fail_stop_rendering_with_their_message() -> None:
    with pytest.raises(TemplateRenderError, match=r"source\.url is required"):
        render('{{ required "source.url is required" .source }}', {"source": ""})
    with pytest.raises(TemplateRenderError, match="no way"):
        render('{{ fail "no way" }}')


def test_include_passes_its_argument_as_dot_and_root() -> None:
    helpers = '{{- define "t" -}}{{ .x }}/{{ $.x }}{{- end }}'
    assert render('[{{ include "t" .inner }}]', {"inner": {"x": 1}}, helpers) == "[1/1]"
    assert render('{{ template "t" .inner }}', {"inner": {"x": 2}}, helpers) == "2/2"
    with pytest.raises(TemplateRenderError, match='no template named "u"'):
        render('{{ include "u" . }}')


def test_constructs_outside_the_subset_fail_loudly() -> None:
    with pytest.raises(TemplateRenderError, match='"tpl" is not in the supported subset'):
        render('{{ tpl "x" . }}')
    with pytest.raises(TemplateSyntaxError, match="never closed"):
        render("{{ if .a }}x")
    with pytest.raises(TemplateSyntaxError, match="end without"):
        render("{{ end }}")
    with pytest.raises(TemplateRenderError, match="cannot print a dict"):
        render("{{ .m }}", {"m": {"a": 1}})


def test_values_merge_like_helm() -> None:
    defaults = {"a": {"b": 1, "c": 2}, "l": [1, 2], "gone": {"x": 1}}
    merged = merge_values(defaults, {"a": {"c": 3}, "l": [9], "gone": None})
    assert merged == {"a": {"b": 1, "c": 3}, "l": [9]}
    assert defaults["a"] == {"b": 1, "c": 2}  # defaults untouched
