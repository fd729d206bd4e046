"""Greengrass v2 ARNs: build them, and take apart the ones clients send.

    component          arn:aws:greengrass:REGION:ACCOUNT:components:NAME
    component version  arn:aws:greengrass:REGION:ACCOUNT:components:NAME:versions:VERSION
    deployment         arn:aws:greengrass:REGION:ACCOUNT:deployments:ID
Public (AWS-published) components use the account `aws`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PUBLIC_ACCOUNT = "aws"

# botocore's patterns (ComponentARN, ComponentVersionARN, ...) describe the whole value, as AWS
# validates it: `\Z`, not `$`, which would also accept a trailing newline.
_COMPONENT = re.compile(
    r"^arn:(?P<partition>[^:]*):greengrass:(?P<region>[^:]*):(?P<account>aws|[0-9]+):"
    r"components:(?P<name>[^:]+)(?::versions:(?P<version>[^:]+))?\Z"
)
_DEPLOYMENT = re.compile(
    r"^arn:[^:]*:greengrass:(?P<region>[^:]*):(?P<account>[0-9]+):deployments:(?P<id>[^:]+)\Z"
)
_IOT_TARGET = re.compile(
    r"^arn:[^:]*:iot:(?P<region>[^:]*):(?P<account>[0-9]+):(?P<kind>thing|thinggroup)/(?P<name>.+)\Z"
)


@dataclass(frozen=True)
class ComponentArn:
    region: str
    account: str
    name: str
    version: str | None

    @property
    def is_public(self) -> bool:
        return self.account == PUBLIC_ACCOUNT


@dataclass(frozen=True)
class IotTarget:
    region: str
    account: str
    kind: str  # "thing" or "thinggroup"
    name: str


def component_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:greengrass:{region}:{account}:components:{name}"


def component_version_arn(region: str, account: str, name: str, version: str) -> str:
    return f"{component_arn(region, account, name)}:versions:{version}"


def deployment_arn(region: str, account: str, deployment_id: str) -> str:
    return f"arn:aws:greengrass:{region}:{account}:deployments:{deployment_id}"


def iot_job_arn(region: str, account: str, job_id: str) -> str:
    return f"arn:aws:iot:{region}:{account}:job/{job_id}"


def parse_component_arn(arn: str) -> ComponentArn | None:
    found = _COMPONENT.match(arn)
    if found is None:
        return None
    return ComponentArn(
        region=found["region"],
        account=found["account"],
        name=found["name"],
        version=found["version"],
    )


def parse_deployment_arn(arn: str) -> str | None:
    """The deployment id of a deployment ARN, or None."""
    found = _DEPLOYMENT.match(arn)
    return found["id"] if found else None


def parse_iot_target(arn: str) -> IotTarget | None:
    found = _IOT_TARGET.match(arn)
    if found is None:
        return None
    return IotTarget(
        region=found["region"], account=found["account"], kind=found["kind"], name=found["name"]
    )
