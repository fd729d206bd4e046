"""Fixtures of the reliability suite: the sample specs in a seeded emulator, a fast retry
policy, and the `figures` recorder.

The emulator is the shared session one (`tests/conftest.py`); `seeded` resets it, creates what a
real account already holds (thing groups, bucket, the ML pipeline's models) and clears its
request log, so every test starts from an empty fleet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.adapters.spec_files import load_spec_set
from reconciler.cli.seeding import seed_account
from tests.conftest import SAMPLE_SPECS, AwsTestContext
from tests.reliability.figures import Figures

SAMPLE = SAMPLE_SPECS

# The product's retry policy, with backoffs small enough for a test: with 35 % of calls
# failing, 12 attempts leave a 0.35**12 ≈ 3e-6 chance for a call to give up.
READ_AHEAD = frozenset({"GetCallerIdentity", "ListDeployments", "ListComponents"})
"""What `reconciler plan` may have read before it knows the specs do not load: the reads of
every full plan, made while they load (engine/read_ahead.py); all read-only."""

FAST_RETRIES = {
    "RECONCILER_MAX_ATTEMPTS": "12",
    "RECONCILER_INITIAL_BACKOFF": "0.01",
    "RECONCILER_MAX_BACKOFF": "0.05",
}


def seed(aws: AwsTestContext, specs: Path) -> None:
    """Reset the emulator and seed it as the account the specs name (faults cleared too)."""
    aws.admin.reset()
    seed_account(aws.endpoint_url, load_spec_set(specs))
    aws.admin.clear_requests()


@pytest.fixture
def seeded(aws: AwsTestContext, specs: Path) -> AwsTestContext:
    seed(aws, specs)
    return aws


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(name, value)
    return dict(FAST_RETRIES)


@pytest.fixture
def figures(record_property: Callable[[str, object], None]) -> Figures:
    return Figures(record_property)
