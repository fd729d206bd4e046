"""`reconciler rollback --revert-pr` (issue 14 item 4), end to end: a revision that fails on the
emulator's devices, a rollback to the last good one, and a pull request (on a local fake GitHub)
whose branch, pushed to the repository's remote, reverts exactly the commit that changed the
group: Git then asks for what the devices run again."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from click.testing import CliRunner

from reconciler.adapters.github import GitHubClient, RepoRef
from reconciler.adapters.revert_branch import RevertBranchError, SpecCommit, SpecRepository
from reconciler.cli import main
from reconciler.engine.revert_pr import open_revert_pull_request, revert_branch_name
from tests.conftest import AwsTestContext
from tests.integration.github.fake_github import FakeGitHub
from tests.integration.reconcile.rollout_kit import (
    ManualClock,
    commit,
    fleet_repo,
    reconciler,
    run_until,
)

STAGING = "CameraFleetStaging"
REPO = "acme/fleet"
TOKEN = "ghs_revert-pr-token"
CLASSIFIER = "aws.greengrass.DLRImageClassification"
STAGING_FLEET = """
generate:
  - {group: CameraFleetStaging, count: 4, namePrefix: staging-}
timing: {applySeconds: 2, jitterSeconds: 2}
"""


@pytest.fixture
def github() -> FakeGitHub:
    with FakeGitHub() as server:
        server.add_token(TOKEN, login="fleet-bot")
        server.add_pull_request(REPO, 1)  # the repository exists
        yield server


def _repo_with_origin(tmp_path: Path, specs: Path) -> tuple[git.Repo, git.Repo]:
    fleet = fleet_repo(tmp_path / "fleet", specs)
    commit(fleet, "bases/camera-fleet.yaml", "selfHeal: true", "selfHeal: false", "no heal")
    origin = git.Repo.init(tmp_path / "origin.git", bare=True)
    fleet.create_remote("origin", str(origin.git_dir))
    fleet.git.push("origin", "main")
    return fleet, origin


def test_a_rollback_opens_a_pull_request_that_reverts_the_groups_change(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, github: FakeGitHub
) -> None:
    repo, origin = _repo_with_origin(tmp_path, specs)
    seeded.admin.set_clock("virtual")
    seeded.admin.load_fleet(STAGING_FLEET)
    clock = ManualClock(float(seeded.admin.clock()["now"]))
    cache = tmp_path / "cache"
    rec = reconciler(repo, cache, clock)
    assert rec.reconcile("startup", full=True).result == "success"
    assert run_until(seeded, clock, rec, STAGING, "Succeeded")["devices"]["succeeded"] == 4

    # A bad model setting for staging, and an unrelated change to production after it.
    seeded.admin.set_failures(
        [
            {
                "component": CLASSIFIER,
                "version": "*",
                "devices": ["staging-1", "staging-2"],
                "phase": "configuration",
            }
        ]
    )
    bad = commit(
        repo, "groups/camera-staging.yaml", "InferenceInterval: 15", "InferenceInterval: 20", "bad"
    )
    other = commit(
        repo, "groups/camera-prod.yaml", "InferenceInterval: 300", "InferenceInterval: 240", "prod"
    )
    assert rec.reconcile("poll").result == "success"
    run_until(seeded, clock, rec, STAGING, "Failed")
    seeded.admin.set_failures([])

    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    result = CliRunner().invoke(
        main,
        [
            "rollback",
            STAGING,
            "--last-good",
            "--specs",
            str(Path(repo.working_dir) / "deploy-specs"),
            "--cache-dir",
            str(cache),
            "--revert-pr",
            "--github-repo",
            REPO,
            "--token-file",
            str(token_file),
        ],
        env={"RECONCILER_GITHUB_API_URL": github.url},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "rolled back CameraFleetStaging: revision 2 -> the content of revision 1" in (
        result.output
    )
    branch = revert_branch_name(STAGING, "1")
    assert f"opened pull request #2 https://github.example/{REPO}/pull/2 ({branch})" in (
        result.output
    )
    [pull] = github.opened_pulls
    assert (pull["head"]["ref"], pull["base"]["ref"]) == (branch, "main")
    assert f"`{bad[:12]}` bad" in pull["body"] and other[:12] not in pull["body"]
    assert f"the specs ask of {STAGING} exactly what revision 1 carries" in pull["body"]
    assert "also change other thing groups" not in pull["body"]

    # The pushed branch reverts the staging change and keeps production's; the checkout is
    # untouched.
    tip = origin.commit(branch)
    assert tip.parents[0].hexsha == other
    staging = (tip.tree / "deploy-specs/groups/camera-staging.yaml").data_stream.read().decode()
    prod = (tip.tree / "deploy-specs/groups/camera-prod.yaml").data_stream.read().decode()
    assert "InferenceInterval: 15" in staging and "InferenceInterval: 240" in prod
    assert repo.head.commit.hexsha == other and not repo.is_dirty(untracked_files=True)
    assert repo.active_branch.name == "main"

    # A second run finds the open pull request instead of opening another.
    with GitHubClient(TOKEN, api_url=github.url) as client:
        again = open_revert_pull_request(
            specs_path=Path(repo.working_dir) / "deploy-specs",
            thing_group=STAGING,
            good_commit=tip.parents[0].parents[0].parents[0].hexsha,
            from_revision="2",
            to_revision="1",
            github=client,
            repository=RepoRef.parse(REPO),
        )
    assert (again.number, again.opened) == (2, False)
    assert len(github.opened_pulls) == 1


def test_revert_pr_needs_a_repository_before_anything_is_rolled_back(
    seeded: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    repo, _origin = _repo_with_origin(tmp_path, specs)
    result = CliRunner().invoke(
        main,
        [
            *("rollback", STAGING, "--last-good", "--revert-pr"),
            *("--specs", str(Path(repo.working_dir) / "deploy-specs")),
        ],
        env={"RECONCILER_GITHUB_REPO": ""},
    )
    assert result.exit_code == 2, result.output
    assert "--revert-pr needs --github-repo OWNER/NAME" in result.output
    assert "Traceback" not in result.output
    assert seeded.admin.requests() == []


def test_a_revert_that_conflicts_stops_with_the_commit_and_leaves_nothing_behind(
    specs: Path, tmp_path: Path
) -> None:
    repo, origin = _repo_with_origin(tmp_path, specs)
    staging = "groups/camera-staging.yaml"
    first = commit(repo, staging, "InferenceInterval: 15", "InferenceInterval: 20", "first")
    commit(repo, staging, "InferenceInterval: 20", "InferenceInterval: 25", "second")
    specs_repo = SpecRepository(Path(repo.working_dir) / "deploy-specs")
    try:
        conflict = f"reverting {first[:12]} \\(first\\) conflicts"
        with (
            pytest.raises(RevertBranchError, match=conflict),
            specs_repo.reverting("reconciler/try", [SpecCommit(first, "first")]),
        ):
            pytest.fail("a conflicting revert must not yield a tree")
    finally:
        specs_repo.close()
    assert len(repo.git.worktree("list").splitlines()) == 1  # the temporary one is gone
    assert not repo.is_dirty(untracked_files=True)
    assert "reconciler/try" not in [ref.name for ref in origin.references]
    assert "reconciler/try" not in [head.name for head in repo.heads]
