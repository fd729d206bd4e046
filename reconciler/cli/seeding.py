"""Seed an emulated account the way a real one already is, from the specs that will target it.

Real accounts already have their thing groups, the artifact bucket, and the models an ML pipeline
uploaded; the reconciler itself never creates those (it reports a missing group as an error).
Used by `reconciler demo`, `reconciler emulator --seed` and the tests.
"""

from __future__ import annotations

import boto3

from reconciler.core.specs import SpecSet
from reconciler.emulator.admin import EmulatorAdmin


def seed_account(endpoint_url: str, spec_set: SpecSet) -> None:
    settings = spec_set.settings
    # Thing groups only: a core device's target (thing/NAME) is a thing the fleet creates.
    groups = [d.thing_group for d in spec_set.deployments if d.thing is None]
    EmulatorAdmin(endpoint_url).create_thing_groups(groups)
    s3 = boto3.client(
        "s3",
        region_name=settings.region,
        endpoint_url=endpoint_url,
        aws_access_key_id="seed",
        aws_secret_access_key="seed",
    )
    objects = [
        rule.uri.removeprefix("s3://").partition("/")
        for override in spec_set.overrides
        for rule in override.artifact_rules
        if rule.uri
    ]
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in sorted(({settings.artifact_bucket} | {o[0] for o in objects}) - existing):
        s3.create_bucket(Bucket=bucket)
    for bucket, _, key in objects:
        s3.put_object(Bucket=bucket, Key=key, Body=b"model archive published by the ML pipeline\n")
