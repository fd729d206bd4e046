"""The persistent fact cache through `reconciler plan`/`apply`, against the emulator over HTTP:
a second process reads no immutable fact again, only immutable facts are kept, and an entry
that lies (damaged, or well-formed but not what the service lists) never changes a plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.adapters.aws.greengrass import DEPLOYMENT_FACT, RECIPE_FACT
from reconciler.adapters.cache import FactCache
from reconciler.cli import main
from tests.conftest import AwsTestContext

REGION_ACCOUNT = "us-east-1/123456789012"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _plan(specs: Path, *options: str) -> dict[str, Any]:
    code, output = _run(
        "plan", "--specs", str(specs), "--format", "json", "--commit", "c1", *options
    )
    assert code in (0, 2), output
    plan: dict[str, Any] = json.loads(output[output.index("{") :])
    return plan


def _calls(aws: AwsTestContext, operation: str) -> int:
    return sum(1 for r in aws.admin.requests() if r.operation == operation)


def _converged(aws: AwsTestContext, specs: Path) -> None:
    """Both sample groups deployed by an apply that keeps no cache (nothing remembered)."""
    code, output = _run(
        "apply", "--specs", str(specs), "--auto-approve", "--commit", "c1", "--no-cache"
    )
    assert code == 0, output
    aws.admin.clear_requests()


def _latest_ids(aws: AwsTestContext) -> dict[str, str]:
    listed = aws.client("greengrassv2").list_deployments(historyFilter="LATEST_ONLY")
    return {d["targetArn"].rsplit("/", 1)[1]: d["deploymentId"] for d in listed["deployments"]}


def test_a_second_process_reads_no_document_and_no_public_recipe_again(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    _converged(seeded, specs)
    cache = tmp_path / "cache"
    uncached = _plan(specs, "--no-cache")
    assert _calls(seeded, "GetDeployment") == 2
    assert not (cache / "facts").exists()

    seeded.admin.clear_requests()
    first = _plan(specs, "--cache-dir", str(cache))
    assert _calls(seeded, "GetDeployment") == 2
    recipes_read = _calls(seeded, "GetComponent")

    seeded.admin.clear_requests()
    second = _plan(specs, "--cache-dir", str(cache))
    assert first == second == uncached
    assert _calls(seeded, "GetDeployment") == 0
    assert _calls(seeded, "GetComponent") < recipes_read  # public recipes came from disk
    assert _calls(seeded, "ListDeployments") >= 1  # which revision is latest is never cached


def test_only_immutable_facts_are_kept(seeded: AwsTestContext, specs: Path, tmp_path: Path) -> None:
    _converged(seeded, specs)
    cache_dir = tmp_path / "cache"
    _plan(specs, "--cache-dir", str(cache_dir))
    cache = FactCache(cache_dir / "facts")
    for group, deployment_id in _latest_ids(seeded).items():
        document = cache.get(DEPLOYMENT_FACT, f"{REGION_ACCOUNT}/{deployment_id}")
        assert document is not None, group
        assert document["targetArn"].endswith(f"/{group}")
        assert not {"deploymentStatus", "isLatestForTarget", "iotJobId"} & set(document)
    files = [p for p in (cache_dir / "facts").rglob("*") if p.is_file()]
    kinds = {p.relative_to(cache_dir / "facts").parts[0] for p in files}
    assert kinds <= {DEPLOYMENT_FACT, RECIPE_FACT}
    recipes = [p for p in (cache_dir / "facts" / RECIPE_FACT).rglob("*") if p.is_file()]
    assert recipes, "the public recipes the plan read are kept"
    for path in recipes:
        key = json.loads(path.read_bytes().partition(b"\n")[2])["key"]
        assert key.split(":")[4] == "aws", key  # the public catalog's, never a private version


def test_a_new_revision_is_read_and_a_status_change_is_seen(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    _converged(seeded, specs)
    cache = tmp_path / "cache"
    _plan(specs, "--cache-dir", str(cache))
    staging = _latest_ids(seeded)["CameraFleetStaging"]
    seeded.client("greengrassv2").cancel_deployment(deploymentId=staging)
    seeded.admin.clear_requests()
    plan = _plan(specs, "--cache-dir", str(cache))
    actions = {t["thingGroup"]: t["action"] for t in plan["targets"]}
    assert actions["CameraFleetStaging"] != "no-op"  # a CANCELED revision is deployed again
    assert _calls(seeded, "GetDeployment") == 0
    code, output = _run(
        "apply",
        "--specs",
        str(specs),
        "--auto-approve",
        "--commit",
        "c1",
        "--cache-dir",
        str(cache),
    )
    assert code == 0, output
    seeded.admin.clear_requests()
    after = _plan(specs, "--cache-dir", str(cache))
    assert {t["action"] for t in after["targets"]} == {"no-op"}
    # The revision the apply created was remembered from its request: not read back either.
    assert _calls(seeded, "GetDeployment") == 0


def test_an_entry_that_lies_never_changes_the_plan(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    _converged(seeded, specs)
    truth = _plan(specs, "--no-cache")
    cache_dir = tmp_path / "cache"
    _plan(specs, "--cache-dir", str(cache_dir))
    cache = FactCache(cache_dir / "facts")
    ids = _latest_ids(seeded)
    prod_key = f"{REGION_ACCOUNT}/{ids['CameraFleetProd']}"
    staging_key = f"{REGION_ACCOUNT}/{ids['CameraFleetStaging']}"
    # Damaged on disk: the checksum fails.
    prod_path = cache.path_of(DEPLOYMENT_FACT, prod_key)
    prod_path.write_bytes(prod_path.read_bytes().replace(b"CameraFleetProd", b"CameraFleetProx"))
    # Well-formed, valid checksum, but another revision's document: staging's entry now holds
    # prod's deployment (as a poisoned shared copy could).
    fresh = seeded.client("greengrassv2").get_deployment(deploymentId=ids["CameraFleetProd"])
    lie = {k: fresh[k] for k in ("targetArn", "deploymentName", "components", "tags")}
    cache.put(DEPLOYMENT_FACT, staging_key, {**lie, "deploymentId": ids["CameraFleetStaging"]})
    seeded.admin.clear_requests()
    assert _plan(specs, "--cache-dir", str(cache_dir)) == truth
    assert _calls(seeded, "GetDeployment") == 2  # both read from the service again
    seeded.admin.clear_requests()
    assert _plan(specs, "--cache-dir", str(cache_dir)) == truth
    assert _calls(seeded, "GetDeployment") == 0  # and the entries were repaired


def test_a_restarted_controller_reads_no_revision_it_created_or_read_before(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "controller-cache"
    source = str(specs.parent)  # `run` reads the specs at --path (deploy-specs) inside it
    once = ("run", "--once", "--source", source, "--lock", "none", "--cache-dir", str(cache))
    code, output = _run(*once)
    assert code == 0, output
    assert _calls(seeded, "CreateDeployment") == 2
    seeded.admin.clear_requests()
    code, output = _run(*once)  # a new process: nothing in memory, the cache volume kept
    assert code == 0, output
    assert "0 revision(s) created" in output
    assert _calls(seeded, "GetDeployment") == 0
    assert _calls(seeded, "CreateDeployment") == 0
