"""Fixtures: a fresh local GitHub-like server per test, with one repository and pull request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.github.fake_github import FakeGitHub

REPO = "octo/app"
PR = 12
TOKEN = "ghs_fakeTokenForTests0123456789"
READ_ONLY_TOKEN = "ghs_readOnlyTokenForTests0123456"
BOT = "github-actions[bot]"  # whom TOKEN authenticates, as Actions' GITHUB_TOKEN does


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN, login=BOT)
        server.add_token(READ_ONLY_TOKEN, can_write=False)
        server.add_pull_request(REPO, PR)
        yield server
