"""A small Helm: render a chart's templates with the Go-template/Sprig subset the chart uses.

There is no `helm` binary on our machines. This renders `helm/greengrass-reconciler` the way
`helm template` would, for the constructs the chart uses (see lexing.py and functions.py); any
construct outside the subset fails loudly instead of rendering something else.

    chart = load_chart(path)
    release = render_chart(chart, overrides={"replicaCount": 3}, release="gr", namespace="iot")
    release.manifests   # list of dicts, one per YAML document
    release.notes       # NOTES.txt as rendered
"""

from tests.chart.helmlite.charts import (
    Chart,
    RenderedRelease,
    load_chart,
    merge_values,
    render_chart,
)
from tests.chart.helmlite.functions import TemplateRenderError
from tests.chart.helmlite.lexing import TemplateSyntaxError
from tests.chart.helmlite.templates import render_template_text

__all__ = [
    "Chart",
    "RenderedRelease",
    "TemplateRenderError",
    "TemplateSyntaxError",
    "load_chart",
    "merge_values",
    "render_chart",
    "render_template_text",
]
