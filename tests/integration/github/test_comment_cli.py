"""`reconciler comment` end to end: click's CliRunner against the local GitHub-like server."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from tests.integration.github.conftest import PR, READ_ONLY_TOKEN, REPO, TOKEN
from tests.integration.github.fake_github import FakeGitHub, secondary_rate_limit

PLAN = "### Greengrass plan: prod\n\n**Plan: 1 to create, 2 to update.**\n\n- create `com.A`\n"

# Variables of the GitHub Actions environment the command reads; tests set them explicitly.
_ACTIONS_ENV = ("GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY")


def run(
    fake: FakeGitHub,
    *args: str,
    token: str | None = TOKEN,
    stdin: str | None = PLAN,
    env: dict[str, str] | None = None,
) -> Result:
    environment: dict[str, str | None] = dict.fromkeys(_ACTIONS_ENV)
    environment.update({"GITHUB_TOKEN": token, "GITHUB_RUN_ID": None, **(env or {})})
    if "--api-url" not in args and "GITHUB_API_URL" not in (env or {}):
        args = ("--api-url", fake.url, *args)
    return CliRunner().invoke(
        main, ["comment", "--repo", REPO, "--pr", str(PR), *args], input=stdin, env=environment
    )


def test_create_then_update_then_unchanged(fake_github: FakeGitHub, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.md"
    plan_file.write_text(PLAN, encoding="utf-8")

    created = run(fake_github, "--file", str(plan_file), stdin=None)
    updated = run(fake_github, stdin=PLAN + "- update `com.B`\n")
    unchanged = run(fake_github, stdin=PLAN + "- update `com.B`\n")

    (comment_id,) = [int(c["id"]) for c in fake_github.comments[(REPO, PR)]]
    url = f"https://github.example/{REPO}/pull/{PR}#issuecomment-{comment_id}"
    assert (created.exit_code, created.stdout) == (0, f"created {url}\n")
    assert (updated.exit_code, updated.stdout) == (0, f"updated {url}\n")
    assert (unchanged.exit_code, unchanged.stdout) == (0, f"unchanged {url}\n")
    assert [w.method for w in fake_github.writes()] == ["POST", "PATCH"]


def test_key_option_keeps_a_separate_comment(fake_github: FakeGitHub) -> None:
    assert run(fake_github).exit_code == 0
    prod = run(fake_github, "--key", "prod")

    assert prod.exit_code == 0 and prod.stdout.startswith("created ")
    bodies = fake_github.comment_bodies(REPO, PR)
    assert [body.splitlines()[0] for body in bodies] == [
        "<!-- greengrass-reconciler:plan key=default -->",
        "<!-- greengrass-reconciler:plan key=prod -->",
    ]


def test_missing_token_fails_before_any_request(fake_github: FakeGitHub) -> None:
    result = run(fake_github, token=None)

    assert result.exit_code == 1
    assert "No GitHub token: set GITHUB_TOKEN" in result.stderr
    assert "--token-file" in result.stderr
    assert fake_github.requests == []


def test_bad_token_fails_naming_the_repo_and_permission_without_writing(
    fake_github: FakeGitHub,
) -> None:
    result = run(fake_github, token="ghp_wrongTokenValue123")

    assert result.exit_code == 1
    assert "401: Bad credentials" in result.stderr
    assert REPO in result.stderr
    assert "`pull-requests: write` (or `issues: write`)" in result.stderr
    assert "ghp_wrongTokenValue123" not in result.output
    assert len(fake_github.requests) == 1 and fake_github.writes() == []


def test_read_only_token_is_refused_with_the_permission_to_grant(fake_github: FakeGitHub) -> None:
    result = run(fake_github, token=READ_ONLY_TOKEN)

    assert result.exit_code == 1
    assert "GitHub refused to comment on octo/app#12" in result.stderr
    assert "Resource not accessible by integration" in result.stderr
    assert "`pull-requests: write`" in result.stderr and "permissions:" in result.stderr
    assert READ_ONLY_TOKEN not in result.output
    assert fake_github.comment_bodies(REPO, PR) == []


def test_unknown_pull_request_says_it_was_not_found_or_is_not_visible(
    fake_github: FakeGitHub,
) -> None:
    result = CliRunner().invoke(
        main,
        ["comment", "--repo", "octo/missing", "--pr", "3", "--api-url", fake_github.url],
        input=PLAN,
        env={"GITHUB_TOKEN": TOKEN},
    )

    assert result.exit_code == 1
    assert "GitHub found no repository octo/missing or pull request #3" in result.stderr
    assert "the token cannot see it" in result.stderr


def test_persistent_rate_limit_exits_1_with_a_clear_message(fake_github: FakeGitHub) -> None:
    fake_github.fail_next(secondary_rate_limit(retry_after=0), times=10)

    result = run(fake_github, "--max-attempts", "2")

    assert result.exit_code == 1
    assert "GitHub rate limit hit while trying to list the comments of octo/app#12" in (
        result.stderr
    )
    assert "Gave up after 2 attempts" in result.stderr
    assert len(fake_github.requests) == 2


def test_rate_limit_once_is_retried_and_succeeds(fake_github: FakeGitHub) -> None:
    fake_github.fail_next(secondary_rate_limit(retry_after=0))

    result = run(fake_github)

    assert result.exit_code == 0 and result.stdout.startswith("created ")
    assert "Retrying" in result.stderr
    assert len(fake_github.comment_bodies(REPO, PR)) == 1


def test_status_sha_sets_the_commit_status_linking_the_comment(fake_github: FakeGitHub) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"

    result = run(fake_github, "--status-sha", sha)

    assert result.exit_code == 0
    (status,) = fake_github.statuses
    assert status["sha"] == sha
    assert status["context"] == "greengrass-reconciler/plan"
    assert status["state"] == "success"
    assert status["description"] == "Plan: 1 to create, 2 to update."
    assert result.stdout == f"created {status['target_url']} (status 0123456789ab set)\n"


def test_status_description_option_overrides_the_summary(fake_github: FakeGitHub) -> None:
    result = run(fake_github, "--status-sha", "f" * 40, "--status-description", "3 changes")

    assert result.exit_code == 0
    assert fake_github.statuses[0]["description"] == "3 changes"


def test_token_file_is_used_instead_of_the_environment(
    fake_github: FakeGitHub, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")

    result = run(fake_github, "--token-file", str(token_file), token="ignored-env-token")

    assert result.exit_code == 0
    assert fake_github.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_api_url_comes_from_github_api_url_like_in_actions() -> None:
    with FakeGitHub(prefix="/api/v3") as enterprise:
        enterprise.add_token(TOKEN)
        enterprise.add_pull_request(REPO, PR)

        result = run(enterprise, env={"GITHUB_API_URL": enterprise.url})

        assert result.exit_code == 0, result.output
        assert len(enterprise.comment_bodies(REPO, PR)) == 1


def test_over_long_plan_is_truncated_and_names_the_workflow_run(fake_github: FakeGitHub) -> None:
    plan = "**Plan: 4000 to update.**\n" + "".join(
        f"- update `com.example.C{i:05d}` to 2.0.0\n" for i in range(4000)
    )
    actions = {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_RUN_ID": "4242",
    }

    result = run(fake_github, stdin=plan, env=actions)

    assert result.exit_code == 0, result.output
    assert "warning: the plan was truncated" in result.stderr
    (posted,) = fake_github.comment_bodies(REPO, PR)
    assert len(posted) <= 65_536
    assert posted.startswith("<!-- greengrass-reconciler:plan key=default -->\n**Plan: 4000")
    assert f"https://github.com/{REPO}/actions/runs/4242" in posted


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (("--repo", "not-a-repo"), "expected OWNER/NAME"),
        (("--key", "bad key"), "invalid comment key"),
        (("--status-sha", "main"), "not a full commit SHA"),
    ],
)
def test_invalid_options_are_usage_errors_without_requests(
    fake_github: FakeGitHub, args: tuple[str, ...], complaint: str
) -> None:
    result = run(fake_github, *args)

    assert result.exit_code == 2
    assert complaint in result.stderr
    assert fake_github.requests == []


def test_empty_plan_is_refused(fake_github: FakeGitHub) -> None:
    result = run(fake_github, stdin="\n\n")

    assert result.exit_code == 2
    assert "is empty: nothing to publish" in result.stderr
    assert fake_github.requests == []
