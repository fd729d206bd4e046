"""`reconciler comment` edits only comments its own identity wrote.

Anyone who can comment on a pull request can write the sticky marker. Before this was checked,
the oldest comment with the marker was taken for the plan and edited, whoever wrote it: a
contributor could post a decoy first and have the plan published under their name, in the
place and with the history of their choosing. Here other people's comments carry the marker of
the same key (one with a fake "No changes."), older than the plan's; `reconciler comment`,
run as Actions' `github-actions[bot]` and then with a personal token, must create its own
comment, update only that one, and leave every other comment as it was.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from tests.integration.github.fake_github import FakeGitHub
from tests.reliability.figures import Figures

REPO, PR = "acme/fleet", 7
MARKER = "<!-- greengrass-reconciler:plan key=default -->"
BOT_TOKEN, USER_TOKEN = "ghs_actionsTokenForTheSuite0123", "ghp_personalTokenOfOctocat01234"
DECOYS = {
    "mallory": f"{MARKER}\n### greengrass-reconciler plan\n\n**No changes.**\n",
    "eve": "<!--greengrass-reconciler:plan   key=default-->\nlooks fine @octocat\n",
}


def _comment(github: FakeGitHub, plan: Path, token: str) -> str:
    result = CliRunner().invoke(
        main,
        ["comment", "--repo", REPO, "--pr", str(PR), "--file", str(plan), "--api-url", github.url],
        env={"GITHUB_TOKEN": token},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output.split()[0]


def test_comment_updates_only_what_its_own_identity_wrote(tmp_path: Path, figures: Figures) -> None:
    plans = []
    for index in range(3):
        plans.append(tmp_path / f"plan-{index}.md")
        plans[-1].write_text(f"### greengrass-reconciler plan\n\nplan number {index}\n")
    with FakeGitHub() as github:
        github.add_token(BOT_TOKEN, login="github-actions[bot]")
        github.add_token(USER_TOKEN, login="octocat")
        github.add_pull_request(REPO, PR)
        for user, body in DECOYS.items():
            github.add_comment(REPO, PR, body, user=user)

        outcomes = [_comment(github, plans[0], BOT_TOKEN), _comment(github, plans[1], BOT_TOKEN)]
        # Another identity (a person's token) does not take the bot's comment over either.
        outcomes.append(_comment(github, plans[2], USER_TOKEN))

        bodies = github.comment_bodies(REPO, PR)
        authors = github.comment_authors(REPO, PR)
        edited = list(github.edited_by_others)

    figures.add("foreign_comments_edited", len(edited))
    assert outcomes == ["created", "updated", "created"]
    assert authors == ["mallory", "eve", "github-actions[bot]", "octocat"]
    assert bodies[:2] == list(DECOYS.values())  # untouched
    assert "plan number 1" in bodies[2] and "plan number 2" in bodies[3]
    assert edited == []
