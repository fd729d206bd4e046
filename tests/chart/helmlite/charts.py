"""Load a chart directory and render it as `helm template` would: values, release, manifests.

Values are coalesced like Helm's: override maps merge into the defaults key by key, lists and
scalars replace, and a null override deletes the key. Every file under templates/ is parsed
first (named templates are shared across files); files whose name starts with `_` only define.
Rendered files are split into YAML documents; empty documents are dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.chart.helmlite.evaluating import Evaluator
from tests.chart.helmlite.parsing import Node
from tests.chart.helmlite.templates import parse_template


@dataclass(frozen=True)
class Chart:
    path: Path
    metadata: dict[str, Any]
    values: dict[str, Any]
    templates: dict[str, list[Node]]  # file name -> nodes
    defines: dict[str, list[Node]]


@dataclass(frozen=True)
class RenderedRelease:
    values: dict[str, Any]
    files: dict[str, str]  # template file name -> rendered text
    manifests: list[dict[str, Any]]
    notes: str

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.manifests if m.get("kind") == kind]

    def one(self, kind: str) -> dict[str, Any]:
        found = self.of_kind(kind)
        if len(found) != 1:
            raise AssertionError(f"expected one {kind}, rendered {len(found)}")
        return found[0]


def load_chart(path: Path) -> Chart:
    metadata = yaml.safe_load((path / "Chart.yaml").read_text(encoding="utf-8"))
    values = yaml.safe_load((path / "values.yaml").read_text(encoding="utf-8")) or {}
    templates: dict[str, list[Node]] = {}
    defines: dict[str, list[Node]] = {}
    for file in sorted((path / "templates").iterdir()):
        if not file.is_file():
            continue
        nodes, defined = parse_template(file.read_text(encoding="utf-8"), file.name)
        defines.update(defined)
        if not file.name.startswith("_"):
            templates[file.name] = nodes
    return Chart(path, metadata, values, templates, defines)


def merge_values(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(defaults))
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def render_chart(
    chart: Chart,
    overrides: Mapping[str, Any] | None = None,
    *,
    release: str = "gr",
    namespace: str = "greengrass",
) -> RenderedRelease:
    values = merge_values(chart.values, overrides or {})
    data = {
        "Values": values,
        "Release": {
            "Name": release,
            "Namespace": namespace,
            "Service": "Helm",
            "IsInstall": True,
            "IsUpgrade": False,
        },
        "Chart": {
            "Name": chart.metadata["name"],
            "Version": chart.metadata["version"],
            "AppVersion": chart.metadata.get("appVersion", ""),
        },
    }
    evaluator = Evaluator(chart.defines)
    files = {name: evaluator.render(nodes, data) for name, nodes in chart.templates.items()}
    manifests: list[dict[str, Any]] = []
    for name, text in files.items():
        if not name.endswith((".yaml", ".yml")):
            continue
        for document in yaml.safe_load_all(text):
            if document is None:
                continue
            if not isinstance(document, dict):
                raise AssertionError(f"{name} rendered a YAML document that is not a mapping")
            manifests.append(document)
    return RenderedRelease(values, files, manifests, files.get("NOTES.txt", ""))
