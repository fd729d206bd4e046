"""bench/results.md from the figures of one `run_all.py` run (and the hand-written analysis).

Every figure is printed as measured, next to the conditions it was measured in (load average
before and after each benchmark), with its ratio to the physical floor and to the naive baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.bench_reconcile import NAIVE_COUNTERPART
from bench.targets import (
    Judgement,
    judge_ci_plan,
    judge_emulator,
    judge_fleet,
    judge_latency,
    judge_memory,
    judge_reconcile,
    judge_rollouts,
)

STEP_MEANING = {
    "apply-from-empty": "plan + create every revision, empty account",
    "plan-after-apply": "first reconcile after that apply (same runtime)",
    "noop-warm": "steady-state reconcile, nothing changed (controller, warm caches)",
    "plan-fresh": "plan with cold caches, fact cache empty (CI on a pull request)",
    "plan-cached": "plan in a new process, the fact cache of the plan above kept (CI cache)",
    "restart-noop": "restarted controller's first cycle, its fact cache volume kept",
    "plan-one-changed": "pull request changing one group: `--changed-since`, CI cache kept",
    "plan-10pct": "plan, 10% of the groups changed (warm)",
    "apply-10pct": "plan + create those 10% revisions (warm)",
    "naive-apply": "per group: ListDeployments + CreateDeployment",
    "naive-noop": "per group: ListDeployments + GetDeployment, compare",
    "naive-10pct": "the same + CreateDeployment for each changed group",
}


def _load(report: Mapping[str, Any]) -> str:
    before, after = report.get("load_before"), report.get("load_after")
    if not before or not after:
        return "load average: not recorded"
    return f"load average (1/5/15 min) {_triple(before)} before, {_triple(after)} after"


def _remeasured(entries: Sequence[Mapping[str, str]]) -> str:
    if not entries:
        return ""
    sections = ", ".join(
        f"{e['section']} on {e['date']}"
        + (f" (code `{e['commit'][:12]}`)" if "commit" in e else "")
        for e in entries
    )
    return f" Sections measured again later with `--only` (each gives its own load): {sections}."


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _triple(values: Sequence[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def _targets_table(judgements: Sequence[Judgement]) -> list[str]:
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {j.target} | {j.measured} | {j.verdict} |" for j in judgements]
    return lines


def _reconcile_section(report: Mapping[str, Any]) -> list[str]:
    n = report["groups"]
    rtt = report["round_trip_ms"]
    naive = {item["step"]: item for item in report["naive"]}
    lines = [
        f"### {n:,} thing groups x 5 components",
        "",
        f"Emulator round trip (median, one boto3 client): **{rtt:.2f} ms**. Specs loaded in "
        f"{report['spec_load_seconds']:.2f} s, and again in "
        f"{report.get('spec_reload_seconds', float('nan')):.2f} s after one file changed (the "
        f"controller parses only that one); neither is part of the steps below. "
        f"{_load(report)}.",
        "",
        _default_rate_note(report),
        "",
        "| step | what | API calls | floor calls | wall time s | at 20 calls/s s | emulator s "
        "| floor s | x floor | calls / naive | time / naive |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in report["steps"]:
        counterpart = naive[NAIVE_COUNTERPART[step["step"]]]
        lines.append(
            f"| {step['step']} | {STEP_MEANING[step['step']]} | {step['calls']:,} "
            f"| {step['floor_calls']:,} | {step['seconds']:.3f} | {_at_default_rate(report, step)} "
            f"| {step['emulator_seconds']:.3f} | {step['floor_seconds']:.3f} "
            f"| {step['seconds'] / step['floor_seconds']:.2f} "
            f"| {step['calls'] / counterpart['calls']:.4f} ({counterpart['step']}) "
            f"| {step['seconds'] / counterpart['seconds']:.3f} |"
        )
    for item in report["naive"]:
        lines.append(
            f"| {item['step']} | {STEP_MEANING[item['step']]} | {item['calls']:,} | "
            f"| {item['seconds']:.3f} | | {item['emulator_seconds']:.3f} | | | | |"
        )
    return [*lines, ""]


def _default_rate_note(report: Mapping[str, Any]) -> str:
    slow = report.get("default_rate")
    if not slow:
        return (
            "*At 20 calls/s*: projected from the step's calls and unthrottled time (the first "
            "40 calls at once, then one per 50 ms, the step's own work added on top); not "
            "measured at this size."
        )
    return (
        f"*At 20 calls/s*: the same steps measured again on a new emulator at the default client "
        f"rate ({slow['rate_limit']:g} calls/s, burst {slow['burst']}), with their calls there "
        "where they differ, and the projection from the unthrottled row in brackets (what the "
        f"10,000-group rows show alone); {_load(slow)}."
    )


def _at_default_rate(report: Mapping[str, Any], step: Mapping[str, Any]) -> str:
    projected = step.get("projected_default_rate_seconds")
    slow = report.get("default_rate")
    measured = next((s for s in slow["steps"] if s["step"] == step["step"]), None) if slow else None
    if measured is None:
        return "—" if projected is None else f"≈ {projected:.2f} (projected)"
    text = f"{measured['seconds']:.2f}"
    if measured["calls"] != step["calls"]:
        text += f", {measured['calls']:,} calls"
    return text + (f" ({projected:.2f})" if projected is not None else "")


def _latency_section(report: Mapping[str, Any] | None) -> list[str]:
    if report is None:
        return ["Not measured in this run.", ""]
    lines = [
        f"{report['groups']:,} thing groups, {report['samples_per_mode']} commits per mode, each "
        "changing one group, after a first commit that is reported apart (*1st commit*): the "
        "first cycle after a controller's first sync plans every group again, because every "
        "revision's status or revision id moved since it last planned. The first controller "
        "(watch) starts on an empty account and creates every revision in its first sync; the "
        f"next two start on the converged fleet. {_load(report)}.",
        "",
        "| mode | how the controller learns of the commit | median s | min s | max s "
        "| cycle (median) s | 1st commit s | first full sync s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    how = {
        "watch": "local repository, branch ref watched (inotify, 0.3 s debounce); no polling",
        "webhook": "remote (`git://`), signed `POST /webhook` after the commit; poll every hour",
        "poll": "remote (`git://`), fetched every 1 s",
    }
    for mode in report["modes"]:
        lines.append(
            f"| {mode['mode']} | {how[mode['mode']]} | {mode['median_s']:.3f} "
            f"| {mode['min_s']:.3f} | {mode['max_s']:.3f} "
            f"| {_seconds(mode.get('cycle_median_s'))} | {mode['first_commit_s']:.3f} "
            f"| {mode['first_sync_seconds']:.1f} |"
        )
        lines += [
            f"| | controller error: `{e[:160]}` | | | | | | |" for e in mode["controller_errors"]
        ]
    return [*lines, ""]


def _memory_section(report: Mapping[str, Any] | None) -> list[str]:
    if report is None:
        return ["Not measured in this run.", ""]
    lines = [
        f"`reconciler run` following a local repository of {report['groups']:,} thing groups, "
        f"started against an empty account. {_load(report)}.",
        "",
        "| phase | took s | controller VmRSS MB | controller VmHWM (peak) MB "
        "| controller CPU s (cumulative) | emulator VmRSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for phase in report["phases"]:
        mb = phase["controller_mb"]
        lines.append(
            f"| {phase['phase']} | {phase['seconds']:.1f} | {mb['VmRSS']:.0f} | {mb['VmHWM']:.0f} "
            f"| {phase['controller_cpu_s']:.1f} | {phase['emulator_mb']['VmRSS']:.0f} |"
        )
    lines += [f"\nController error: `{e[:200]}`" for e in report["controller_errors"]]
    return [*lines, ""]


def _emulator_section(reports: Sequence[Mapping[str, Any]]) -> list[str]:
    if not reports:
        return ["Not measured in this run.", ""]
    lines = [
        "| clients | phase | req/s | client median ms | client p95 ms | emulator in-app "
        "median ms | emulator CPU ms/request | errors | load before → after |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for report in reports:
        clients = f"{report['processes']} x {report['threads']} {report['client']}"
        for phase in report["phases"]:
            cpu = phase["emulator_cpu_ms_per_request"]
            lines.append(
                f"| {clients} | {phase['phase']} | {phase['requests_per_second']:,.0f} "
                f"| {phase['client_median_ms']:.2f} | {phase['client_p95_ms']:.2f} "
                f"| {phase['emulator_median_ms']:.2f} | {cpu:.2f} | {phase['errors']} "
                f"| {report['load_before'][0]:.2f} → {report['load_after'][0]:.2f} |"
            )
    return [*lines, ""]


def _fleet_section(report: Mapping[str, Any] | None) -> list[str]:
    if report is None:
        return ["Not measured in this run.", ""]
    mb, before = report["emulator_mb"], report["emulator_mb_before"]
    return [
        f"`reconciler emulator --fleet` with {report['devices']:,} simulated core devices in "
        f"{report['groups']} thing groups (`bench/bench_fleet.py`), on the virtual clock: one "
        "revision per group (CreateDeployment), one virtual minute advanced (every device "
        "notified, applying and reporting), then a DescribeJob per revision to check the "
        f"executions. {_load(report)}.",
        "",
        "| step | wall s |",
        "|---|---:|",
        f"| emulator start-up with the fleet (things, groups) | {report['startup_s']:.1f} |",
        f"| {report['groups']} CreateDeployment | {report['create_s']:.1f} |",
        f"| advance the clock a minute ({report['events']:,} events) | {report['advance_s']:.1f} |",
        f"| {report['groups']} DescribeJob ({report['succeeded']:,} SUCCEEDED) "
        f"| {report['check_s']:.1f} |",
        f"| **rollout** (the three above) | **{report['rollout_s']:.1f}** |",
        "",
        f"Emulator memory: VmRSS {before['VmRSS']:.0f} MB with the fleet loaded, "
        f"{mb['VmRSS']:.0f} MB after the rollout (peak VmHWM {mb['VmHWM']:.0f} MB).",
        "",
    ]


def _rollouts_section(report: Mapping[str, Any] | None) -> list[str]:
    if report is None:
        return ["Not measured in this run.", ""]
    rate, share = report["rate"], report["share"]
    calls_per_s = rate * share
    operations = ", ".join(f"{op} {n:,}" for op, n in sorted(report["operations"].items()))
    return [
        f"`bench/bench_rollouts.py`: {report['groups']:,} thing groups with an ACTIVE "
        f"deployment each, {report['in_flight']} of them with a rollout in flight (two "
        f"simulated devices, one offline for {report['offline_minutes']} minutes), followed by "
        "the controller's rollout follower at the default client rate of "
        f"{rate:.0f} calls/s and follow-up share of {share:.0%} ({calls_per_s:.0f} calls/s, "
        f"{calls_per_s * 60:.0f} a minute), on a simulated clock in step with the emulator's "
        "virtual one; the emulator's request log counts the calls of every minute. "
        f"{_load(report)}.",
        "",
        "| rollouts' age | follow-up calls per minute | share of the 20 calls/s client rate |",
        "|---|---:|---:|",
        f"| 0-5 min (polled every 15 s; held back by the share) | {report['mean_0_5']:.0f} "
        f"| {report['mean_0_5'] / 60 / rate:.0%} |",
        f"| 5-30 min (every 30 s) | {report['mean_5_30']:.0f} "
        f"| {report['mean_5_30'] / 60 / rate:.0%} |",
        f"| 30 min to the end (every 60 s) | {report['mean_30_end']:.0f} "
        f"| {report['mean_30_end'] / 60 / rate:.0%} |",
        f"| after every rollout ended (minute {report['ended_minute']}) "
        f"| {max(report['after_end'], default=0)} | 0% |",
        "",
        f"Peak minute {report['peak_per_minute']} calls (ceiling "
        f"{report['ceiling_per_minute']:.0f}: the share's rate, its burst, and one second for "
        f"the window's edge). Calls: {operations}. Final states: {report['states']}; "
        f"{report['active_deployments']:,} deployments still ACTIVE. Wall time "
        f"{report['wall_s']:.0f} s.",
        "",
    ]


def _ci_plan_section(reports: Sequence[Mapping[str, Any]] | None) -> list[str]:
    if not reports:
        return ["Not measured in this run.", ""]
    lines = [
        "`bench/bench_ci_plan.py`: `reconciler plan --format markdown` in a new process, as a "
        "pull request's job runs it (interpreter start, imports, spec load, reads, plan, "
        "rendering), at the default client rate (20 calls/s, burst 40), with the cache "
        "directory a first plan filled (the nightly plan's, restored by CI; filled at a raised "
        "rate). *Same plan*: the run printed what a plan without any cache printed. Calls: the "
        "emulator's request log, the account check included.",
        "",
        "| groups | filling plan (raised rate) | run | calls | wall | CPU | load | same plan |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for report in sorted(reports, key=lambda r: r["groups"]):
        fill = report["fill"]
        filled = f"{fill['calls']:,} calls, {fill['wall_s']:.2f} s"
        for index, run in enumerate(report["runs"], start=1):
            lines.append(
                f"| {report['groups']:,} | {filled if index == 1 else ''} | {index} "
                f"| {run['calls']:,} | {run['wall_s']:.2f} s | {run['cpu_s']:.2f} s "
                f"| {run['load']:.2f} | {'yes' if run['same_plan'] else '**no**'} |"
            )
    return [*lines, ""]


def render_results(data: Mapping[str, Any], analysis: str) -> str:
    machine = data["machine"]
    judgements = [
        *judge_reconcile(data["reconcile"]),
        *judge_ci_plan(data.get("ci-plan")),
        *judge_latency(data.get("latency")),
        judge_memory(data.get("memory")),
        *judge_emulator(data.get("emulator", [])),
        *judge_fleet(data.get("fleet")),
        *judge_rollouts(data.get("rollouts")),
    ]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `.venv/bin/python bench/run_all.py{' --quick' if data['quick'] else ''}` "
        f"on {machine['date']} in {data['duration_s'] / 60:.1f} min. Raw figures: "
        "[results.json](results.json); plot: [scaling.png](scaling.png). Every figure comes "
        "from one run against the bundled emulator (a local process, no network), so it "
        "measures the reconciler and the emulator on this machine, not AWS."
        + _remeasured(data.get("remeasured", [])),
        "",
        "## Machine",
        "",
        f"- {machine['cores']} cores, {machine['cpu_model']}, {machine['memory_gb']} GB RAM; "
        f"{machine['platform']}; Python {machine['python']}",
        f"- Code: commit `{machine.get('commit', 'unknown')[:12]}`"
        + (
            " with uncommitted changes in `reconciler/`"
            if machine.get("reconciler_changed")
            else ""
        ),
        f"- Load average (1/5/15 min): {_triple(data['load_start'])} at the start, "
        f"{_triple(data['load_end'])} at the end. The machine is shared with other jobs (test "
        "suites); each section gives the load around its own measurement. With a load above "
        "the core count, wall times are inflated by waiting for a core.",
        "",
        "## Targets",
        "",
        *_targets_table(judgements),
        "",
        "## Reconcile at scale",
        "",
        "*Emulator s*: the time the emulator spent answering the step's requests (its request "
        "log's own processing time, summed over requests, so concurrent requests add up). "
        "*Floor*: the emulator's median round trip (one GetDeployment) x the fewest calls the "
        "step needs (one LATEST_ONLY ListDeployments sweep of 100 per page, a single page for an "
        "empty account; a GetDeployment per "
        "revision not seen before, a CreateDeployment per revision to create), made one after "
        "the other. Our "
        "applies run 16 calls at a time, so they can beat a serial floor (x floor below 1). "
        "*Naive*: the hand-written per-group loop (`bench/naive.py`), sequential, on an emulator "
        "of its own; it replays our plan's requests, so it does no planning work at all. "
        "*Wall time* is measured with the client rate limit raised to 1,000 calls/s; *at 20 "
        "calls/s* is what a user sees with the default rate limit, which a real account "
        "tolerates (see each size's note). The fact cache: each runtime has the persistent "
        "cache of its kind of process (docs/cache.md); *fresh* means an empty one. The tables "
        "count the client's calls; the targets count the emulator's request log (the two agree: "
        "bench/tests checks it). "
        "`reconciler plan` and a controller's first cycle make one more call than these steps "
        "(GetCallerIdentity, the account check): the targets above count it.",
        "",
    ]
    for report in sorted(data["reconcile"], key=lambda r: r["groups"]):
        lines += _reconcile_section(report)
    lines += [
        "![scaling](scaling.png)",
        "",
        "## The fresh CI plan, as a process",
        "",
        *_ci_plan_section(data.get("ci-plan")),
        "## Commit → CreateDeployment latency",
        "",
        "From the moment `git commit` returned to the arrival of the CreateDeployment at the "
        "emulator (its request log), for a commit changing one group's InferenceInterval; each "
        "new revision was checked to hold the committed value. *Cycle*: how long the "
        "controller's cycle that applied the commit took, by its own `cycle` log line (fetch, "
        "load the specs (parsing the changed file), plan, apply, record; it ends just after the "
        "CreateDeployment); "
        "latency minus cycle is about the time it took to notice the commit (debounce, wait "
        "for the next poll, webhook delivery). Each mode is its own `reconciler run` "
        "subprocess; the three share one emulator and one repository.",
        "",
        *_latency_section(data.get("latency")),
        "## Controller memory",
        "",
        *_memory_section(data.get("memory")),
        "## Emulator throughput",
        "",
        "ListDeployments of one thing group (reads) and CreateDeployment (writes), 50 groups. "
        "*boto3* clients are what users run; *raw* clients send the same signed request over "
        "keep-alive `http.client` connections, so the client's own CPU no longer caps the rate "
        "on this 2-core machine (see `bench/load_clients.py`).",
        "",
        *_emulator_section(data.get("emulator", [])),
        "## Rollout to a simulated fleet",
        "",
        *_fleet_section(data.get("fleet")),
        "## Following rollouts: the follow-up budget",
        "",
        *_rollouts_section(data.get("rollouts")),
        analysis.strip(),
        "",
    ]
    return "\n".join(lines)
