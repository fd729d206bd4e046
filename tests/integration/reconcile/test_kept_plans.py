"""No-op plans kept between processes (engine/kept_plans.py), against the emulator over HTTP:
a second `reconciler plan` takes every unchanged group from them and prints the same plan, a
changed group is planned again, JSON never uses them, and a damaged entry changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from reconciler.adapters.cache import FactCache
from reconciler.adapters.cache.plans import KIND
from reconciler.adapters.spec_files import load_spec_set
from reconciler.cli import main
from reconciler.engine.runtime import build_runtime
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext

KEY = "us-east-1/123456789012/greengrass-reconciler"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _plan(specs: Path, *options: str) -> str:
    code, output = _run("plan", "--specs", str(specs), "--commit", "c1", *options)
    assert code in (0, 2), output
    return output


def _converged(specs: Path) -> None:
    code, output = _run(
        "apply", "--specs", str(specs), "--auto-approve", "--commit", "c1", "--no-cache"
    )
    assert code == 0, output


def _kept(cache_dir: Path) -> dict[str, dict[str, object]]:
    value = FactCache(cache_dir / "facts").get(KIND, KEY)
    assert isinstance(value, dict)
    records: dict[str, dict[str, object]] = value["records"]
    return records


def _hits(specs: Path, cache_dir: Path) -> int:
    """A new runtime (as a new process has) plans the specs; how many groups it took kept."""
    spec_set = load_spec_set(specs)
    runtime = build_runtime(
        ReconcilerSettings(cache_dir=cache_dir),
        region=spec_set.settings.region,
        account=spec_set.settings.account_id,
        remember_plans=False,
        keep_plans=True,
    )
    runtime.plan(spec_set, commit="c1", specs_path=str(specs))
    return runtime.kept_plan_hits


def test_a_second_plan_takes_every_unchanged_group_from_the_first(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    _converged(specs)
    cache = tmp_path / "cache"
    truth = _plan(specs, "--no-cache", "--show-unchanged")
    assert not (cache / "facts").exists()
    assert _plan(specs, "--cache-dir", str(cache), "--show-unchanged") == truth
    groups = {str(record["thing_group"]) for record in _kept(cache).values()}
    assert groups == {"CameraFleetProd", "CameraFleetStaging"}
    assert _hits(specs, cache) == 2
    assert _plan(specs, "--cache-dir", str(cache), "--show-unchanged") == truth
    markdown = _plan(specs, "--no-cache", "--format", "markdown")
    assert _plan(specs, "--cache-dir", str(cache), "--format", "markdown") == markdown


def test_a_changed_group_is_planned_again(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    _converged(specs)
    cache = tmp_path / "cache"
    _plan(specs, "--cache-dir", str(cache))
    staging = specs / "groups" / "camera-staging.yaml"
    text = staging.read_text()
    staging.write_text(text.replace("InferenceInterval: 15", "InferenceInterval: 20"))
    truth = _plan(specs, "--no-cache")
    assert "CameraFleetStaging" in truth  # the change is shown...
    assert _plan(specs, "--cache-dir", str(cache)) == truth  # ...with the kept plans too
    assert _hits(specs, cache) == 1  # production's, unchanged


def test_a_json_plan_never_uses_kept_plans(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    _converged(specs)
    cache = tmp_path / "cache"
    _plan(specs, "--cache-dir", str(cache))
    assert _kept(cache)
    full = _plan(specs, "--no-cache", "--format", "json")
    kept = _plan(specs, "--cache-dir", str(cache), "--format", "json")
    assert kept == full
    documents = json.loads(full[full.index("{") :])
    assert any("effectiveConfiguration" in json.dumps(t) for t in documents["targets"])


def test_a_damaged_entry_is_discarded_and_changes_nothing(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    _converged(specs)
    cache = tmp_path / "cache"
    truth = _plan(specs, "--cache-dir", str(cache), "--show-unchanged")
    path = FactCache(cache / "facts").path_of(KIND, KEY)
    path.write_bytes(path.read_bytes().replace(b"CameraFleetProd", b"CameraFleetProx"))
    assert _hits(specs, cache) == 0  # the checksum failed: every group planned
    assert _plan(specs, "--cache-dir", str(cache), "--show-unchanged") == truth
    assert _hits(specs, cache) == 2  # written anew by the plans since


def test_kept_plans_are_found_by_a_process_with_another_hash_seed(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    """Keys are digests of the specs' reprs: nothing in them may depend on the process
    (string hashing is randomized per process, so set order would be)."""
    _converged(specs)
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "reconciler", "plan", "--specs", str(specs)]
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [*command, "--commit", "c1", "--cache-dir", str(cache)],
            env=environment,
            check=True,
            capture_output=True,
        )
        if seed == "1":
            first = set(_kept(cache))
    assert set(_kept(cache)) == first  # the second process found them all: nothing new kept
    assert _hits(specs, cache) == 2


def test_apply_takes_unchanged_groups_from_kept_plans_and_applies_the_rest(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    _converged(specs)
    cache = tmp_path / "cache"
    _plan(specs, "--cache-dir", str(cache))
    staging = specs / "groups" / "camera-staging.yaml"
    text = staging.read_text()
    staging.write_text(text.replace("InferenceInterval: 15", "InferenceInterval: 20"))
    seeded.admin.clear_requests()
    apply = ("apply", "--specs", str(specs), "--auto-approve", "--commit", "c2")
    code, output = _run(*apply, "--cache-dir", str(cache))
    assert code == 0, output
    assert "CameraFleetStaging: applied" in output
    assert "CameraFleetProd: unchanged" in output
    created = [r for r in seeded.admin.requests() if r.operation == "CreateDeployment"]
    assert len(created) == 1
    # Applying again changes nothing, with the kept plans or without them.
    code, again = _run(*apply, "--cache-dir", str(cache))
    assert code == 0 and "No changes" in again, again
    assert _run(*apply, "--no-cache")[1] == again
    assert _hits(specs, cache) == 2  # both groups unchanged since the last apply's plan
