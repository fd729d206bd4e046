"""The chart under test, the values it is rendered with, and the Kubernetes versions checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.helmlite import Chart, RenderedRelease, load_chart, render_chart

ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = ROOT / "helm" / "greengrass-reconciler"
HA_VALUES_FILE = Path(__file__).with_name("values-ha.yaml")

# The only value without a usable default: where the specs are (the templates require it).
REQUIRED_VALUES: dict[str, Any] = {"source": {"url": "https://github.com/acme/fleet.git"}}


@pytest.fixture(scope="session")
def chart() -> Chart:
    return load_chart(CHART_DIR)


@pytest.fixture(scope="session")
def ha_values() -> dict[str, Any]:
    values = yaml.safe_load(HA_VALUES_FILE.read_text(encoding="utf-8"))
    assert isinstance(values, dict)
    return values


@pytest.fixture(scope="session")
def default_release(chart: Chart) -> RenderedRelease:
    return render_chart(chart, REQUIRED_VALUES)


@pytest.fixture(scope="session")
def ha_release(chart: Chart, ha_values: dict[str, Any]) -> RenderedRelease:
    return render_chart(chart, ha_values)
