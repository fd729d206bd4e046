"""bench/scaling.png: wall time and API calls against the number of thing groups, log scales."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# (label, where the figure lives: "steps" or "naive", step name, line style)
SERIES = (
    ("no-op (warm)", "steps", "noop-warm", "o-"),
    ("fresh plan", "steps", "plan-fresh", "s-"),
    ("fresh plan, fact cache kept", "steps", "plan-cached", "d-"),
    ("apply from empty", "steps", "apply-from-empty", "^-"),
    ("naive no-op", "naive", "naive-noop", "o--"),
    ("naive apply from empty", "naive", "naive-apply", "^--"),
)


def _figure(report: Mapping[str, Any], where: str, step: str, key: str) -> float | None:
    for item in report[where]:
        if item["step"] == step:
            return float(item[key])
    return None


def draw_scaling(reports: Sequence[Mapping[str, Any]], path: Path, *, subtitle: str) -> None:
    """Draw the two log-log panels for every size in `reports` into `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a build machine
    import matplotlib.pyplot as plt

    ordered = sorted(reports, key=lambda r: r["groups"])
    sizes = [r["groups"] for r in ordered]
    figure, (time_axes, calls_axes) = plt.subplots(1, 2, figsize=(12, 4.8))
    for label, where, step, style in SERIES:
        for axes, key in ((time_axes, "seconds"), (calls_axes, "calls")):
            points = [
                (n, value)
                for n, report in zip(sizes, ordered, strict=True)
                if (value := _figure(report, where, step, key)) is not None and value > 0
            ]
            if points:
                axes.plot([p[0] for p in points], [p[1] for p in points], style, label=label)
    for axes, title, unit in (
        (time_axes, "Wall time", "seconds"),
        (calls_axes, "AWS API calls", "calls"),
    ):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xticks(sizes, [f"{n:,}" for n in sizes])
        axes.set_xlabel("thing groups (x 5 components)")
        axes.set_ylabel(unit)
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
    calls_axes.legend(loc="upper left", fontsize="small")
    figure.suptitle(f"greengrass-reconciler against the local emulator — {subtitle}")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
