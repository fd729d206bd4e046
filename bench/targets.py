"""The performance targets, judged against measured figures.

Each judgement says met / not met with the number it was judged on, so results.md never claims
more than was measured. A target whose figure was not measured in a run (e.g. RSS at 10,000
groups in a --quick run) is reported as "not measured", never as met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MET = "met"
NOT_MET = "**not met**"
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Judgement:
    target: str
    measured: str
    verdict: str


def _step(reports: Sequence[Mapping[str, Any]], groups: int, step: str) -> Mapping[str, Any] | None:
    for report in reports:
        if report["groups"] == groups:
            for item in report["steps"]:
                if item["step"] == step:
                    found: Mapping[str, Any] = item
                    return found
    return None


def _verdict(ok: bool) -> str:
    return MET if ok else NOT_MET


def judge_reconcile(reports: Sequence[Mapping[str, Any]]) -> list[Judgement]:
    judgements = []
    noop = _step(reports, 1000, "noop-warm")
    if noop is None:
        judgements.append(
            Judgement("no-op (warm) at 1,000 groups ≤ 11 calls, ≤ 1 s", "—", NOT_MEASURED)
        )
    else:
        judgements.append(
            Judgement(
                "no-op (warm) at 1,000 groups ≤ 11 calls, ≤ 1 s",
                f"{noop['calls']} calls, {noop['seconds']:.3f} s",
                _verdict(noop["calls"] <= 11 and noop["seconds"] <= 1.0),
            )
        )
    for step, label in (
        ("plan-fresh", "fresh plan at 1,000 groups ≤ 5 s"),
        ("apply-from-empty", "full apply of 1,000 groups ≤ 5 s"),
    ):
        found = _step(reports, 1000, step)
        if found is None:
            judgements.append(Judgement(label, "—", NOT_MEASURED))
        else:
            judgements.append(
                Judgement(
                    label,
                    f"{found['seconds']:.2f} s ({found['calls']} calls)",
                    _verdict(found["seconds"] <= 5.0),
                )
            )
    return judgements


def judge_latency(report: Mapping[str, Any] | None) -> list[Judgement]:
    if report is None:
        return [Judgement("commit → revision ≤ 2 s", "—", NOT_MEASURED)]
    judgements = []
    for mode in report["modes"]:
        label = f"commit → revision ≤ 2 s ({mode['mode']}, {report['groups']:,} groups)"
        measured = f"median {mode['median_s']:.2f} s, max {mode['max_s']:.2f} s"
        if mode["max_s"] <= 2.0:
            verdict = f"{MET} (every sample)"
        elif mode["median_s"] <= 2.0:
            verdict = f"{MET} by the median; **not** by the slowest sample"
        else:
            verdict = NOT_MET
        judgements.append(Judgement(label, measured, verdict))
    return judgements


def judge_memory(report: Mapping[str, Any] | None, *, groups: int = 10000) -> Judgement:
    label = f"controller RSS at {groups:,} groups ≤ 200 MB"
    if report is None or report["groups"] != groups:
        return Judgement(label, "—", NOT_MEASURED)
    phases = report["phases"]
    peak = max(p["controller_mb"]["VmHWM"] for p in phases)
    last = phases[-1]["controller_mb"]["VmRSS"]
    return Judgement(
        label,
        f"peak (VmHWM) {peak:.0f} MB; after the last warm no-op {last:.0f} MB",
        _verdict(peak <= 200.0),
    )


def judge_emulator(reports: Sequence[Mapping[str, Any]]) -> list[Judgement]:
    judgements = []
    for report in reports:
        reads = next(p for p in report["phases"] if p["phase"] == "reads")
        rate = reads["requests_per_second"]
        judgements.append(
            Judgement(
                f"emulator reads ≥ 1,000 requests/s ({report['client']} clients)",
                f"{rate:,.0f} req/s",
                _verdict(rate >= 1000.0),
            )
        )
    if not judgements:
        judgements.append(Judgement("emulator reads ≥ 1,000 requests/s", "—", NOT_MEASURED))
    return judgements


def judge_fleet(report: Mapping[str, Any] | None) -> list[Judgement]:
    """A rollout to 10,000 simulated devices on the virtual clock: ≤ 30 s, emulator ≤ 500 MB."""
    wall = "fleet rollout of 10,000 devices in 100 groups ≤ 30 s (virtual clock)"
    rss = "emulator RSS during that rollout ≤ 500 MB"
    if report is None or report["devices"] < 10_000:
        return [Judgement(wall, "—", NOT_MEASURED), Judgement(rss, "—", NOT_MEASURED)]
    complete = report["succeeded"] == report["devices"]
    peak = report["emulator_mb"]["VmHWM"]
    seconds = report["rollout_s"]
    return [
        Judgement(
            wall,
            f"{seconds:.1f} s, {report['succeeded']:,} executions SUCCEEDED",
            _verdict(complete and seconds <= 30.0),
        ),
        Judgement(rss, f"peak (VmHWM) {peak:.0f} MB", _verdict(peak <= 500.0)),
    ]


def judge_rollouts(report: Mapping[str, Any] | None) -> list[Judgement]:
    """Following 100 rollouts at 1,000 groups: within the follow-up share of the client rate
    (25 % of 20 calls/s: 300 a minute, plus a burst), and no call once they all ended."""
    share = "rollout follow-ups (1,000 groups, 100 in flight) ≤ 25 % of 20 calls/s"
    idle = "rollout follow-ups once every rollout ended = 0 (deployments still ACTIVE)"
    if report is None:
        return [Judgement(share, "—", NOT_MEASURED), Judgement(idle, "—", NOT_MEASURED)]
    peak = report["peak_per_minute"]
    after = report["after_end"]
    return [
        Judgement(
            share,
            f"peak {peak}/min ({peak / 60:.1f} calls/s) vs ceiling "
            f"{report['ceiling_per_minute']:.0f}/min",
            _verdict(peak <= report["ceiling_per_minute"]),
        ),
        Judgement(
            idle,
            f"{sum(after)} calls in {len(after)} min; {report['active_deployments']:,} ACTIVE",
            _verdict(bool(after) and sum(after) == 0 and report["ended_minute"] is not None),
        ),
    ]
