"""Equal values of a spec set are one object: a 10,000-group fleet on one base stays small."""

from __future__ import annotations

from reconciler.core.specs.sharing import SharedValues
from tests.unit.specs.support import SETTINGS, load

BASE = """\
apiVersion: greengrass-reconciler/v1
kind: DeploymentBase
metadata: {name: fleet}
spec:
  deploymentPolicies: {failureHandlingPolicy: DO_NOTHING}
  components:
    aws.greengrass.Nucleus: {version: 2.12.0, configuration: {logging: {level: INFO}}}
    aws.greengrass.Cli: {version: 2.12.0}
"""


def deployment(index: int, extra: str = "") -> str:
    return f"""\
apiVersion: greengrass-reconciler/v1
kind: Deployment
metadata: {{name: group-{index}}}
spec:
  extends: fleet
  thingGroup: Group{index}
  tags: {{site: north}}
{extra}"""


def test_groups_on_one_base_share_what_they_do_not_change() -> None:
    spec_set = load(
        {
            "reconciler.yaml": SETTINGS,
            "base.yaml": BASE,
            "a.yaml": deployment(1),
            "b.yaml": deployment(2),
            "c.yaml": deployment(
                3,
                "  components:\n"
                "    aws.greengrass.Nucleus: {configuration: {logging: {level: DEBUG}}}\n",
            ),
        }
    )
    a, b, c = spec_set.deployments
    assert a.deployment_policies is b.deployment_policies is c.deployment_policies
    assert a.iot_job_configuration is b.iot_job_configuration
    assert a.tags is b.tags is c.tags
    assert a.components["aws.greengrass.Nucleus"] is b.components["aws.greengrass.Nucleus"]
    assert a.components["aws.greengrass.Cli"] is c.components["aws.greengrass.Cli"]
    # A group that changes a value gets its own, and the others are left as they were.
    changed = c.components["aws.greengrass.Nucleus"]
    assert changed is not a.components["aws.greengrass.Nucleus"]
    assert changed.configuration == {"logging": {"level": "DEBUG"}}
    assert a.components["aws.greengrass.Nucleus"].configuration == {"logging": {"level": "INFO"}}
    assert a.fingerprint != c.fingerprint


def test_values_that_python_calls_equal_but_json_does_not_stay_apart() -> None:
    shared = SharedValues()
    one, one_float, true = {"x": 1}, {"x": 1.0}, {"x": True}
    assert shared.document(one) is one
    assert shared.document(one_float) is one_float
    assert shared.document(true) is true
    assert shared.document({"x": 1}) is one


def test_documents_with_keys_in_another_order_are_not_merged() -> None:
    # Key order shows in a spec's repr, which its fingerprint is made of.
    shared = SharedValues()
    first = {"a": 1, "b": 2}
    assert shared.document(first) is first
    assert shared.document({"b": 2, "a": 1}) is not first
