"""What the emulated account holds, read back through boto3, to compare end states by content.

A `FleetSnapshot` keeps what a deployment or a component version *is* (components,
configuration updates, policies, tags, recipes, artifact bytes) and leaves out what differs
between two equally correct runs (ids, revision numbers, timestamps, rollout status). Two runs
that converged to the same fleet have equal `content()`. It also keeps what reveals duplicates:
how many revisions each thing group has in its whole history, and how often each component
version is listed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.conftest import AwsTestContext

# Fields of GetDeployment that identify one revision rather than describe what it deploys.
_IDENTITY_FIELDS = frozenset(
    {
        "deploymentId",
        "revisionId",
        "creationTimestamp",
        "deploymentStatus",
        "iotJobId",
        "iotJobArn",
        "isLatestForTarget",
        "ResponseMetadata",
        "parentTargetArn",
    }
)


@dataclass(frozen=True)
class FleetSnapshot:
    latest: dict[str, dict[str, Any]]  # thing group -> content of its latest deployment
    revisions: dict[str, int]  # thing group -> revisions in ListDeployments historyFilter=ALL
    versions: dict[str, dict[str, Any]]  # "name@version" -> recipe, tags, state
    listed_versions: dict[str, list[str]]  # private component -> versions as listed
    artifacts: dict[str, str]  # s3://bucket/key -> sha256 of the object's bytes

    def content(self) -> dict[str, Any]:
        """Everything that must be equal after two runs that converged on the same specs."""
        return {"latest": self.latest, "versions": self.versions, "artifacts": self.artifacts}

    def duplicates(self, revisions: dict[str, int] | None = None) -> list[str]:
        """Each revision beyond those expected (`revisions`, default one per target: one per
        distinct desired content), each component version listed more than once."""
        expected = revisions or {}
        found = [
            f"{group}: {count} revisions, {expected.get(group, 1)} expected"
            for group, count in self.revisions.items()
            if count > expected.get(group, 1)
        ]
        for name, listed in self.listed_versions.items():
            found += [
                f"{name} {version} listed {n} times"
                for version, n in Counter(listed).items()
                if n > 1
            ]
        return found

    def revisions_per_target(self) -> set[int]:
        return set(self.revisions.values())


def _group(target_arn: str) -> str:
    return target_arn.rsplit("/", 1)[1]


def _deployments(greengrass: Any, history: str) -> list[dict[str, Any]]:
    pages = greengrass.get_paginator("list_deployments").paginate(historyFilter=history)
    return [d for page in pages for d in page["deployments"] if not d.get("parentTargetArn")]


def snapshot(aws: AwsTestContext, bucket: str = "acme-greengrass-artifacts") -> FleetSnapshot:
    """Read the fleet. Call it with faults cleared: the reads are not retried."""
    greengrass = aws.client("greengrassv2")
    latest = {}
    for summary in _deployments(greengrass, "LATEST_ONLY"):
        deployment = greengrass.get_deployment(deploymentId=summary["deploymentId"])
        latest[_group(summary["targetArn"])] = {
            k: v for k, v in deployment.items() if k not in _IDENTITY_FIELDS
        }
    revisions = Counter(_group(d["targetArn"]) for d in _deployments(greengrass, "ALL"))

    versions: dict[str, dict[str, Any]] = {}
    listed: dict[str, list[str]] = {}
    for component in greengrass.list_components(scope="PRIVATE")["components"]:
        name = component["componentName"]
        listing = greengrass.list_component_versions(arn=component["arn"])["componentVersions"]
        listed[name] = [v["componentVersion"] for v in listing]
        for item in listing:
            described = greengrass.describe_component(arn=item["arn"])
            recipe = greengrass.get_component(arn=item["arn"], recipeOutputFormat="JSON")
            versions[f"{name}@{item['componentVersion']}"] = {
                "recipe": json.loads(recipe["recipe"]),
                "tags": described.get("tags", {}),
                "state": described["status"]["componentState"],
            }

    s3 = aws.client("s3")
    artifacts = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            artifacts[f"s3://{bucket}/{item['Key']}"] = hashlib.sha256(body).hexdigest()
    return FleetSnapshot(latest, dict(revisions), versions, listed, artifacts)


def latest_deployment(aws: AwsTestContext, group: str) -> dict[str, Any] | None:
    """GetDeployment of the group's latest deployment (two calls: cheap enough to poll)."""
    greengrass = aws.client("greengrassv2")
    arn = f"arn:aws:iot:{aws.region}:{aws.account_id}:thinggroup/{group}"
    listed = greengrass.list_deployments(targetArn=arn)["deployments"]
    if not listed:
        return None
    deployment: dict[str, Any] = greengrass.get_deployment(deploymentId=listed[0]["deploymentId"])
    return deployment


def mutating(aws: AwsTestContext, since: int = 0) -> list[str]:
    """`service:operation` of every mutating request the emulator served after `since`."""
    return [f"{r.service}:{r.operation}" for r in aws.admin.requests(since) if r.mutating]


def last_seq(aws: AwsTestContext) -> int:
    records = aws.admin.requests()
    return records[-1].seq if records else 0
