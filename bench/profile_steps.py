#!/usr/bin/env python3
"""Where the time and the memory of the reconcile steps go (cProfile, tracemalloc).

    .venv/bin/python bench/profile_steps.py --groups 1000
    .venv/bin/python bench/profile_steps.py --groups 1000 --top 40 --memory

Runs, against an emulator subprocess, the steps of bench_reconcile.py that matter for the
targets — load the specs, apply from empty, plan after the apply (the revisions' status moved),
warm no-op, fresh plan — each under cProfile, and prints each step's functions by cumulative
time (our code and the libraries it calls). `--memory` also measures, with tracemalloc, the
live heap each long-lived structure keeps per thing group (specs, the planner's memo, the
gateway's deployment cache). Profiling slows the code down (cProfile by about 1.5-2x,
tracemalloc more): compare shares, not absolute times, with bench_reconcile.py's figures.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import ACCOUNT, REGION, running_emulator, seed_fleet  # noqa: E402
from bench.workload import write_fleet  # noqa: E402

T = TypeVar("T")


def profiled(label: str, work: Callable[[], T], *, top: int) -> T:
    profile = cProfile.Profile()
    started = time.perf_counter()
    result = profile.runcall(work)
    seconds = time.perf_counter() - started
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"\n===== {label}: {seconds:.2f} s under cProfile")
    table = text.getvalue()
    print(table[max(0, table.find("   ncalls")) :])  # the table, without pstats' preamble
    return result


def heap_mb() -> float:
    gc.collect()
    return tracemalloc.get_traced_memory()[0] / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--top", type=int, default=30, help="Functions shown per step.")
    parser.add_argument("--memory", action="store_true", help="Live heap per structure.")
    args = parser.parse_args()

    from reconciler.adapters.spec_files import load_spec_set
    from reconciler.engine.applying import ApplyOptions
    from reconciler.engine.runtime import build_runtime
    from reconciler.settings import ReconcilerSettings

    heap: dict[str, float] = {}
    with running_emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        # A fact cache of the run's own (the user's cache directory is left alone): the
        # controller's, and a CI runner's that the fresh plan fills and the next one reads.
        settings = ReconcilerSettings(
            rate_limit=1000.0, rate_burst=1000, concurrency=16, cache_dir=Path(tmp) / "cache"
        )
        ci_settings = settings.model_copy(update={"cache_dir": Path(tmp) / "ci-cache"})
        root = write_fleet(Path(tmp) / "specs", args.groups)
        seed_fleet(emulator.endpoint, args.groups)
        runtime = build_runtime(settings, region=REGION, account=ACCOUNT)
        options = ApplyOptions(instance=settings.instance, specs_root=root, concurrency=16)
        if args.memory:
            tracemalloc.start()
            heap["start"] = heap_mb()
        spec_set = profiled("load the specs", lambda: load_spec_set(root), top=args.top)
        if args.memory:
            heap["specs"] = heap_mb()

        def apply() -> Any:
            plan = runtime.plan(spec_set, commit="profile", specs_path=None)
            return runtime.applier().apply(plan, options)

        profiled("apply from empty (plan + create)", apply, top=args.top)
        if args.memory:
            heap["after apply"] = heap_mb()

        def plan(rt: Any) -> Any:
            return rt.plan(spec_set, commit="profile", specs_path=None)

        profiled("plan after the apply", lambda: plan(runtime), top=args.top)
        profiled("warm no-op", lambda: plan(runtime), top=args.top)
        if args.memory:
            heap["after warm no-op"] = heap_mb()
        fresh = build_runtime(ci_settings, region=REGION, account=ACCOUNT)
        profiled("fresh plan (cold caches)", lambda: plan(fresh), top=args.top)
        cached = build_runtime(ci_settings, region=REGION, account=ACCOUNT)
        profiled("fresh plan, fact cache kept (CI cache)", lambda: plan(cached), top=args.top)
        if args.memory:
            del fresh
            report_heap(heap, runtime, args.groups)


def report_heap(heap: dict[str, float], runtime: Any, groups: int) -> None:
    """Print the live heap of each long-lived structure, found by dropping it (destructive:
    call last)."""
    steady = heap_mb()
    memo_plans = len(runtime.memo)
    runtime.memo.clear()
    without_memo = heap_mb()
    cached = runtime.gateway.cached_deployment_count()
    runtime.gateway.forget_deployments_except([])
    without_deployments = heap_mb()
    rows = [
        ("specs (SpecSet)", heap["specs"] - heap["start"]),
        ("planner memo", steady - without_memo),
        ("gateway deployment cache", without_memo - without_deployments),
        ("everything kept after the warm no-op", steady - heap["start"]),
    ]
    print(f"\n===== live heap (tracemalloc): {memo_plans} memoized target plans, "
          f"{cached} cached deployments")  # fmt: skip
    for label, megabytes in rows:
        print(f"{label:40} {megabytes:7.1f} MB  {megabytes * 1024 / groups:6.1f} KB per group")


if __name__ == "__main__":
    main()
