"""ARNs of the resources the reconciler names; built in one place so their format is not copied."""

from __future__ import annotations

PUBLIC_COMPONENT_ACCOUNT = "aws"


def thing_group_arn(region: str, account: str, thing_group: str) -> str:
    return f"arn:aws:iot:{region}:{account}:thinggroup/{thing_group}"


def thing_group_name(arn: str) -> str | None:
    """The thing group's name if `arn` names a thing group, else None."""
    _, sep, name = arn.partition(":thinggroup/")
    return name if sep else None


def component_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:greengrass:{region}:{account}:components:{name}"


def component_version_arn(region: str, account: str, name: str, version: str) -> str:
    return f"{component_arn(region, account, name)}:versions:{version}"
