"""A runtime creates a boto3 client only for a service it calls (creating one loads its model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

from reconciler.adapters.spec_files import load_spec_set
from reconciler.engine.runtime import build_runtime
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext


def test_a_plan_creates_the_clients_of_the_services_it_calls_and_no_other(
    seeded: AwsTestContext, specs: Path
) -> None:
    created: list[str] = []

    def record(event_name: str, **_: Any) -> None:
        created.append(event_name.removeprefix("creating-client-class."))

    # botocore announces each client class it builds; this is botocore's event, not ours.
    session = boto3.session.Session(region_name=seeded.region)
    session.events.register("creating-client-class", record)
    runtime = build_runtime(
        ReconcilerSettings(), region=seeded.region, account=seeded.account_id, session=session
    )
    runtime.verify_account()
    plan = runtime.plan(load_spec_set(specs), commit="c1", specs_path=str(specs))

    assert plan.has_changes  # an empty account: the plan reads and creates deployments
    called = {record.service for record in seeded.admin.requests()}
    assert sorted(created) == sorted(called)
    assert {"sts", "greengrassv2"} <= called
    assert not {"s3", "cloudwatch"} & set(created)
