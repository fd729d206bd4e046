"""publish_sticky_comment and set_plan_status against the local GitHub-like server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from reconciler.adapters.github import (
    GitHubClient,
    PublishError,
    PublishNotFoundError,
    PublishOutcome,
    PublishRateLimitedError,
    PublishServerError,
    PublishUncertainError,
    RepoRef,
    RetryPolicy,
    publish_sticky_comment,
    set_plan_status,
)
from tests.integration.github.conftest import BOT, PR, REPO, TOKEN
from tests.integration.github.fake_github import (
    FakeGitHub,
    primary_rate_limit,
    secondary_rate_limit,
    server_error,
    too_many_requests,
)

MARKER = "<!-- greengrass-reconciler:plan key=default -->"
PLAN = (
    "## Greengrass plan\n\n**2 to create, 1 to update, 0 to delete**\n\n- create `com.example.A`\n"
)
FAST = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.05)


@pytest.fixture
def client(fake_github: FakeGitHub) -> Iterator[GitHubClient]:
    with GitHubClient(
        TOKEN, api_url=fake_github.url, retry=FAST, secondary_limit_delay=0.05, max_wait=5.0
    ) as github:
        yield github


def publish(client: GitHubClient, body: str = PLAN, key: str = "default") -> PublishOutcome:
    return publish_sticky_comment(client, RepoRef.parse(REPO), PR, body, key).outcome


def test_first_post_creates_one_comment_carrying_the_marker(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    result = publish_sticky_comment(client, RepoRef.parse(REPO), PR, PLAN)

    bodies = fake_github.comment_bodies(REPO, PR)
    assert result.outcome is PublishOutcome.CREATED
    assert bodies == [f"{MARKER}\n{PLAN}"]
    assert result.url.endswith(f"#issuecomment-{result.comment_id}")
    assert [(w.method, w.path) for w in fake_github.writes()] == [
        ("POST", f"/repos/{REPO}/issues/{PR}/comments")
    ]


def test_requests_carry_githubs_headers_and_the_token(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    publish(client)

    headers = fake_github.requests[0].headers
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-Github-Api-Version"] == "2022-11-28"
    assert headers["User-Agent"].startswith("greengrass-reconciler/")
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert fake_github.requests[0].query == {"per_page": "100"}


def test_second_run_updates_the_same_comment_in_place(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.add_comment(REPO, PR, "LGTM", user="reviewer")
    first = publish_sticky_comment(client, RepoRef.parse(REPO), PR, PLAN)
    second = publish_sticky_comment(client, RepoRef.parse(REPO), PR, PLAN + "- delete `old`\n")

    assert second.outcome is PublishOutcome.UPDATED
    assert second.comment_id == first.comment_id
    assert fake_github.comment_bodies(REPO, PR) == ["LGTM", f"{MARKER}\n{PLAN}- delete `old`\n"]
    assert fake_github.writes()[-1].method == "PATCH"
    assert fake_github.writes()[-1].path == f"/repos/{REPO}/issues/comments/{first.comment_id}"


def test_marker_on_page_three_of_250_comments_is_found_by_following_links(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    for index in range(250):
        body = f"{MARKER}\nold plan" if index == 230 else f"comment {index}"
        fake_github.add_comment(REPO, PR, body, user=BOT)

    assert publish(client) is PublishOutcome.UPDATED

    listed = [r.query for r in fake_github.requests if r.method == "GET"]
    assert listed == [
        {"per_page": "100"},
        {"per_page": "100", "page": "2"},
        {"per_page": "100", "page": "3"},
    ]
    bodies = fake_github.comment_bodies(REPO, PR)
    assert len(bodies) == 250
    assert bodies[230] == f"{MARKER}\n{PLAN}"
    assert sum(MARKER in body for body in bodies) == 1


def test_identical_body_is_left_alone(fake_github: FakeGitHub, client: GitHubClient) -> None:
    assert publish(client) is PublishOutcome.CREATED
    assert publish(client) is PublishOutcome.UNCHANGED
    assert [w.method for w in fake_github.writes()] == ["POST"]


def test_a_comment_edited_in_the_browser_with_crlf_counts_as_identical(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.add_comment(REPO, PR, f"{MARKER}\n{PLAN}".replace("\n", "\r\n"), user=BOT)

    assert publish(client) is PublishOutcome.UNCHANGED
    assert fake_github.writes() == []


def test_keys_keep_separate_comments(fake_github: FakeGitHub, client: GitHubClient) -> None:
    assert publish(client, "plan for prod\n", key="prod") is PublishOutcome.CREATED
    assert publish(client, "plan for dev\n", key="dev") is PublishOutcome.CREATED
    assert publish(client, "plan for prod, v2\n", key="prod") is PublishOutcome.UPDATED

    assert fake_github.comment_bodies(REPO, PR) == [
        "<!-- greengrass-reconciler:plan key=prod -->\nplan for prod, v2\n",
        "<!-- greengrass-reconciler:plan key=dev -->\nplan for dev\n",
    ]


def test_over_long_plan_is_truncated_below_githubs_limit_with_marker_and_note(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    lines = [f"- update component `com.example.C{i:05d}` to 1.0.{i}\n" for i in range(3000)]
    plan = "**3000 to update**\n\n" + "".join(lines)
    assert len(plan) > 65_536

    result = publish_sticky_comment(
        client, RepoRef.parse(REPO), PR, plan, full_plan_location="https://ci.example/run/7"
    )

    (posted,) = fake_github.comment_bodies(REPO, PR)  # the fake answers 422 above 65,536
    assert len(posted) <= 65_536
    assert posted.startswith(f"{MARKER}\n**3000 to update**\n")
    assert "This plan was truncated" in posted
    assert "https://ci.example/run/7" in posted
    assert f"the last {result.omitted_lines:,} of 3,002 lines are not shown" in posted
    kept = [line + "\n" for line in posted.split("\n") if line.startswith("- update")]
    assert kept == lines[: len(kept)]  # the head is kept, cut at a line boundary
    assert result.truncated and result.omitted_lines == 3000 - len(kept)
    # The truncated comment is still found, and republishing the same plan changes nothing.
    assert publish(client, plan) is PublishOutcome.UPDATED  # default location text differs
    assert publish(client, plan) is PublishOutcome.UNCHANGED


def test_rate_limit_with_retry_after_is_honoured_then_succeeds(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.fail_next(secondary_rate_limit(retry_after=1))

    started = time.monotonic()
    assert publish(client) is PublishOutcome.CREATED
    elapsed = time.monotonic() - started

    assert elapsed >= 1.0
    assert len(fake_github.comment_bodies(REPO, PR)) == 1


@pytest.mark.parametrize(
    "fault",
    [too_many_requests(), primary_rate_limit(reset_in=0), secondary_rate_limit(retry_after=None)],
    ids=["429", "primary-403", "secondary-403-without-retry-after"],
)
def test_each_kind_of_rate_limit_is_retried(
    fake_github: FakeGitHub, client: GitHubClient, fault: object
) -> None:
    fake_github.fail_next(fault)  # type: ignore[arg-type]

    assert publish(client) is PublishOutcome.CREATED
    assert len(fake_github.requests) == 1 + 2  # a refused list, the list, the create


def test_persistent_rate_limit_fails_clearly_after_the_allowed_attempts(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.fail_next(secondary_rate_limit(retry_after=0), times=10)

    with pytest.raises(PublishRateLimitedError, match="rate limit") as failure:
        publish(client)

    assert "Gave up after 3 attempts" in str(failure.value)
    assert failure.value.temporary
    assert len(fake_github.requests) == 3
    assert fake_github.comment_bodies(REPO, PR) == []


def test_a_rate_limit_reset_far_away_fails_at_once_instead_of_sleeping(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.fail_next(primary_rate_limit(reset_in=3600))

    started = time.monotonic()
    with pytest.raises(PublishRateLimitedError, match="Not waiting"):
        publish(client)

    assert time.monotonic() - started < 1.0
    assert len(fake_github.requests) == 1


def test_server_errors_are_retried_a_bounded_number_of_times(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.fail_next(server_error(502), times=2)
    assert publish(client) is PublishOutcome.CREATED

    fake_github.fail_next(server_error(500), times=5)
    with pytest.raises(PublishServerError, match="Gave up after 3 attempts"):
        publish(client, "another plan\n")
    assert len(fake_github.requests) == 4 + 3


def test_a_create_that_failed_is_retried_after_looking_for_the_comment_again(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.fail_next(server_error(502, method="POST"))

    assert publish(client) is PublishOutcome.CREATED

    assert [r.method for r in fake_github.requests] == ["GET", "POST", "GET", "POST"]
    assert len(fake_github.comment_bodies(REPO, PR)) == 1


def test_a_create_that_succeeded_behind_an_error_is_not_posted_twice(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.fail_next(server_error(504, method="POST", after_processing=True))

    assert publish(client) is PublishOutcome.CREATED

    # Created, then found on the retry as ours (whom the token is, asked once, by GraphQL).
    assert [(r.method, r.path) for r in fake_github.requests] == [
        ("GET", f"/repos/{REPO}/issues/{PR}/comments"),
        ("POST", f"/repos/{REPO}/issues/{PR}/comments"),
        ("GET", f"/repos/{REPO}/issues/{PR}/comments"),
        ("POST", "/graphql"),
    ]
    assert fake_github.comment_bodies(REPO, PR) == [f"{MARKER}\n{PLAN}"]


def test_a_create_failing_every_time_gives_up_saying_a_rerun_is_safe(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.fail_next(server_error(500, method="POST"), times=10)

    with pytest.raises(PublishUncertainError, match="may have been created") as failure:
        publish(client)

    assert "Gave up after 3 attempts" in str(failure.value)
    assert [r.method for r in fake_github.requests].count("POST") == 3


def test_unreachable_github_is_a_temporary_server_error() -> None:
    with FakeGitHub() as stopped:
        url = stopped.url  # a port that nothing listens on once the server stops
    github = GitHubClient(
        TOKEN, api_url=url, retry=RetryPolicy(max_attempts=2, initial_backoff=0, max_backoff=0)
    )

    with pytest.raises(PublishServerError, match="could not reach GitHub") as failure:
        publish(github)
    assert failure.value.temporary


def test_unknown_pull_request_says_not_found_or_not_visible(client: GitHubClient) -> None:
    with pytest.raises(PublishNotFoundError, match="cannot see it") as failure:
        publish_sticky_comment(client, RepoRef.parse(REPO), 999, PLAN)
    assert "octo/app" in str(failure.value) and "#999" in str(failure.value)


def test_pagination_link_to_another_host_is_not_followed(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    for index in range(150):
        fake_github.add_comment(REPO, PR, f"comment {index}")
    fake_github.link_base = "http://evil.example"

    with pytest.raises(PublishError, match="Refusing to follow a pagination link"):
        publish(client)
    assert fake_github.writes() == []


def test_a_web_page_instead_of_the_api_asks_whether_the_url_is_right(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.answer_html = True

    with pytest.raises(PublishError, match=r"is not JSON .*text/html.*is the API URL right"):
        publish(client)


def test_enterprise_api_url_with_a_path_prefix() -> None:
    with FakeGitHub(prefix="/api/v3") as enterprise:
        enterprise.add_token(TOKEN)
        enterprise.add_pull_request(REPO, PR)
        github = GitHubClient(
            TOKEN,
            api_url=enterprise.url + "/",
            retry=FAST,
            secondary_limit_delay=0.05,
            max_wait=5.0,
        )

        assert publish(github) is PublishOutcome.CREATED
        assert publish(github) is PublishOutcome.UNCHANGED
        assert len(enterprise.comment_bodies(REPO, PR)) == 1


def test_plan_status_is_set_on_the_commit(fake_github: FakeGitHub, client: GitHubClient) -> None:
    sha = "a" * 40
    set_plan_status(
        client, RepoRef.parse(REPO), sha, "x" * 200, target_url="https://github.example/c/1"
    )

    (status,) = fake_github.statuses
    assert status["sha"] == sha
    assert status["state"] == "success"
    assert status["context"] == "greengrass-reconciler/plan"
    assert status["target_url"] == "https://github.example/c/1"
    assert len(status["description"]) == 140 and status["description"].endswith("\u2026")


def test_a_marker_in_someone_elses_comment_is_not_taken_for_ours(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    decoy = f"{MARKER}\n**No changes.** Nothing to review here."
    fake_github.add_comment(REPO, PR, decoy, user="mallory")  # older than ours: listed first

    first = publish_sticky_comment(client, RepoRef.parse(REPO), PR, PLAN)
    second = publish_sticky_comment(client, RepoRef.parse(REPO), PR, PLAN + "- delete `old`\n")

    assert (first.outcome, second.outcome) == (PublishOutcome.CREATED, PublishOutcome.UPDATED)
    assert second.comment_id == first.comment_id
    assert fake_github.comment_bodies(REPO, PR) == [decoy, f"{MARKER}\n{PLAN}- delete `old`\n"]
    assert fake_github.comment_authors(REPO, PR) == ["mallory", BOT]
    assert fake_github.edited_by_others == []


def test_a_personal_token_keeps_the_comment_its_user_wrote(fake_github: FakeGitHub) -> None:
    fake_github.add_token("ghp_personal", login="Octocat")
    fake_github.add_comment(REPO, PR, f"{MARKER}\nby the bot", user=BOT)
    mine = fake_github.add_comment(REPO, PR, f"{MARKER}\nold plan", user="octocat")
    with GitHubClient(
        "ghp_personal",
        api_url=fake_github.url,
        retry=FAST,
        secondary_limit_delay=0.05,
        max_wait=5.0,
    ) as github:
        result = publish_sticky_comment(github, RepoRef.parse(REPO), PR, PLAN)

    # Logins ignore case; the bot's older comment is someone else's for this token.
    assert (result.outcome, result.comment_id) == (PublishOutcome.UPDATED, mine)
    assert fake_github.comment_bodies(REPO, PR) == [f"{MARKER}\nby the bot", f"{MARKER}\n{PLAN}"]
    assert fake_github.edited_by_others == []
    # Whom the token is was asked once, and only because a comment carried the marker.
    assert [r.path for r in fake_github.requests].count("/graphql") == 1


def test_whom_the_token_is_is_not_asked_while_no_comment_has_the_marker(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.add_comment(REPO, PR, "LGTM", user="reviewer")
    assert publish(client) is PublishOutcome.CREATED
    assert "/graphql" not in [r.path for r in fake_github.requests]
