"""The one retry policy type: exponential back-off, bounded, and refusing nonsense."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.retrying import AWS_RETRY, GITHUB_RETRY, RetryPolicy
from reconciler.settings import ReconcilerSettings


def test_backoff_doubles_from_the_initial_wait_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=6, initial_backoff=1.0, max_backoff=5.0)
    assert [policy.backoff(attempt) for attempt in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


@given(initial=st.floats(0, 100), cap=st.floats(0, 100), attempt=st.integers(1, 200))
def test_backoff_never_exceeds_the_cap(initial: float, cap: float, attempt: int) -> None:
    assert 0 <= RetryPolicy(1, initial, cap).backoff(attempt) <= cap


@pytest.mark.parametrize(
    "fields", [(0, 1.0, 1.0), (3, -1.0, 1.0), (3, 1.0, -0.5)], ids=["no attempt", "neg", "cap"]
)
def test_a_policy_that_cannot_work_is_refused(fields: tuple[int, float, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(*fields)


def test_the_controller_settings_default_to_the_aws_policy() -> None:
    assert ReconcilerSettings().retry_policy() == AWS_RETRY
    assert GITHUB_RETRY.max_attempts == 5  # `reconciler comment --max-attempts`' documented default
