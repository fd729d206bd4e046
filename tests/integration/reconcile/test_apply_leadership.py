"""A replica that loses its lease in the middle of an apply stops writing at once."""

from __future__ import annotations

from pathlib import Path

from reconciler.adapters.spec_files import load_spec_set
from reconciler.engine.applying import ApplyOptions, Outcome
from reconciler.engine.runtime import build_runtime
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls


def test_writes_stop_when_the_lease_is_lost(seeded: AwsTestContext, specs: Path) -> None:
    spec_set = load_spec_set(specs)
    runtime = build_runtime(
        ReconcilerSettings(concurrency=1), region=seeded.region, account=seeded.account_id
    )
    plan = runtime.plan(spec_set, commit="c1", specs_path=None)
    answers = iter([True])  # leader for the first write only
    applier = runtime.applier(may_write=lambda: next(answers, False))
    report = applier.apply(plan, ApplyOptions(instance="greengrass-reconciler", specs_root=specs))

    writes = [w for w in mutating_calls(seeded) if w.startswith("greengrassv2:")]
    assert writes == ["greengrassv2:CreateComponentVersion"]
    assert [v.outcome for v in report.versions] == [Outcome.APPLIED, Outcome.SKIPPED]
    assert {t.outcome for t in report.targets} == {Outcome.SKIPPED}
    assert all("no longer the leader" in (t.reason or "") for t in report.targets)
