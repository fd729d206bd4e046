"""Fixtures: a local webhook receiver per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.notify.fake_webhook import FakeWebhook


@pytest.fixture
def receiver() -> Iterator[FakeWebhook]:
    with FakeWebhook() as server:
        yield server
