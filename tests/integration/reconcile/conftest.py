"""Fixtures for plan/apply/controller tests: the sample specs, seeded into a fresh emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.adapters.spec_files import load_spec_set
from reconciler.cli.seeding import seed_account
from tests.conftest import AwsTestContext


@pytest.fixture
def seeded(aws: AwsTestContext, specs: Path) -> AwsTestContext:
    """The emulated account as a real one would be: thing groups, bucket, pipeline models."""
    seed_account(aws.endpoint_url, load_spec_set(specs))
    aws.admin.clear_requests()
    return aws


def mutating_calls(aws: AwsTestContext) -> list[str]:
    return [f"{r.service}:{r.operation}" for r in aws.admin.requests() if r.mutating]
