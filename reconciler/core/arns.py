"""ARNs of the resources the reconciler names; built in one place so their format is not copied.

A deployment targets a thing group or one thing (a core device). Everywhere the reconciler keys
something by target (plans, status, the dashboard, events, rollout truth), the key is the
**target key**: a thing group's name as it is (`CameraFleetProd`), or `thing/NAME` for a core
device (`thing/camera-0042`). Thing group names are letters, digits, `:`, `_` and `-` only, so
no group's key can ever be a thing's.
"""

from __future__ import annotations

PUBLIC_COMPONENT_ACCOUNT = "aws"
THING_TARGET_PREFIX = "thing/"


def thing_group_arn(region: str, account: str, thing_group: str) -> str:
    return f"arn:aws:iot:{region}:{account}:thinggroup/{thing_group}"


def thing_group_name(arn: str) -> str | None:
    """The thing group's name if `arn` names a thing group, else None."""
    _, sep, name = arn.partition(":thinggroup/")
    return name if sep else None


def thing_arn(region: str, account: str, thing: str) -> str:
    return f"arn:aws:iot:{region}:{account}:thing/{thing}"


def thing_target(thing: str) -> str:
    """The target key of a core device (see the module's docstring)."""
    return THING_TARGET_PREFIX + thing


def target_thing(target: str) -> str | None:
    """The thing's name if `target` is a core device's target key, else None (a thing group)."""
    return target[len(THING_TARGET_PREFIX) :] if target.startswith(THING_TARGET_PREFIX) else None


def target_arn(region: str, account: str, target: str) -> str:
    """The ARN of a target key: a thing's or a thing group's."""
    thing = target_thing(target)
    if thing is not None:
        return thing_arn(region, account, thing)
    return thing_group_arn(region, account, target)


def target_of_arn(arn: str) -> str | None:
    """The target key of a thing or thing group ARN, else None."""
    group = thing_group_name(arn)
    if group is not None:
        return group
    _, sep, thing = arn.partition(":thing/")
    return thing_target(thing) if sep and thing else None


def component_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:greengrass:{region}:{account}:components:{name}"


def component_version_arn(region: str, account: str, name: str, version: str) -> str:
    return f"{component_arn(region, account, name)}:versions:{version}"
