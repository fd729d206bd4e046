"""A replica that loses its lease in the middle of an apply stops writing at once; `reconciler
apply` takes the controller's lease, and refuses while a controller holds it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.adapters.leases import FileLease
from reconciler.adapters.spec_files import load_spec_set
from reconciler.cli import main
from reconciler.engine.applying import ApplyOptions, Outcome
from reconciler.engine.leadership import build_lease, writer_lease
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


# ---------------------------------------------------------------- apply and a controller's lease
def _apply(specs: Path, *extra: str) -> tuple[int, str]:
    args = ["apply", "--specs", str(specs), "--auto-approve", "--commit", "c1", *extra]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.output


def _controller_lease(settings: ReconcilerSettings) -> FileLease:
    """The lease a controller with these settings holds (lock=file, the default)."""
    lease = build_lease(settings)
    assert isinstance(lease, FileLease)
    lease.identity = "controller-on-this-host"
    return lease


def test_apply_refuses_while_a_controller_holds_the_lease_and_force_overrides(
    seeded: AwsTestContext, specs: Path
) -> None:
    controller = _controller_lease(ReconcilerSettings())
    assert controller.try_acquire()
    try:
        code, output = _apply(specs)
        assert code == 1, output
        assert "controller-on-this-host" in output and "--force" in output
        assert str(controller.path) in output
        assert "Traceback" not in output
        assert seeded.admin.requests() == []  # refused before reading anything

        code, output = _apply(specs, "--force")
        assert code == 0, output
        assert {w for w in mutating_calls(seeded) if w.startswith("greengrassv2:")} == {
            "greengrassv2:CreateComponentVersion",
            "greengrassv2:CreateDeployment",
        }
    finally:
        controller.release()


def test_apply_holds_the_lease_while_it_writes_and_gives_it_back(
    seeded: AwsTestContext, specs: Path
) -> None:
    settings = ReconcilerSettings()
    controller = _controller_lease(settings)
    seen_while_applying: list[bool] = []
    first = threading.Lock()  # groups are applied in parallel: only the first write tries

    def controller_tries(write: str) -> None:
        with first:
            if write.startswith("deployed") and not seen_while_applying:
                seen_while_applying.append(controller.try_acquire())

    spec_set = load_spec_set(specs)
    runtime = build_runtime(settings, region=seeded.region, account=seeded.account_id)
    with writer_lease(settings) as may_write:
        plan = runtime.plan(spec_set, commit="c1", specs_path=None)
        report = runtime.applier(progress=controller_tries, may_write=may_write).apply(
            plan, ApplyOptions(instance=settings.instance, specs_root=specs)
        )
    assert {t.outcome for t in report.targets} == {Outcome.APPLIED}
    assert seen_while_applying == [False]  # the controller could not take it mid-apply
    assert controller.try_acquire()  # released at the end, not left to expire
    controller.release()


def test_apply_with_lock_none_takes_no_lease(
    seeded: AwsTestContext, specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller = _controller_lease(ReconcilerSettings())
    assert controller.try_acquire()
    monkeypatch.setenv("RECONCILER_LOCK", "none")
    try:
        code, output = _apply(specs)
        assert code == 0, output
    finally:
        controller.release()
