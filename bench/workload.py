"""Generated fleets for benchmarks: N thing groups x 5 components with realistic configuration.

Every group extends one base and changes a few keys, as teams do: nested objects, lists, an
accessControl policy per group. Written as a real deploy-specs tree, so the loader is measured too.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ARTIFACT_BUCKET = "bench-artifacts"
SETTINGS = {
    "apiVersion": "greengrass-reconciler/v1",
    "kind": "Settings",
    "metadata": {"name": "bench"},
    "spec": {
        "region": "us-east-1",
        "accountId": "123456789012",
        "artifacts": {"bucket": ARTIFACT_BUCKET},
        "allowEmpty": False,
        "defaults": {"deploymentPolicies": {"failureHandlingPolicy": "ROLLBACK"}},
    },
}

BASE = {
    "apiVersion": "greengrass-reconciler/v1",
    "kind": "DeploymentBase",
    "metadata": {"name": "fleet"},
    "spec": {
        "components": {
            "aws.greengrass.DLRImageClassification": {
                "version": "2.1.10",
                "configuration": {
                    "InferenceInterval": 60,
                    "PublishResultsOnTopic": "bench/classification",
                    "ModelResourceKey": {"x86_64": "DLR-resnet50-x86_64-cpu-ImageClassification"},
                },
            },
            "variant.DLR.ImageClassification.ModelStore": {"version": "2.1.9"},
            "variant.DLR": {"version": "1.6.12", "configuration": {"MLRootPath": "/ml/dlr"}},
            "aws.greengrass.TensorFlowLiteImageClassification": {
                "version": "2.1.8",
                "configuration": {"InferenceInterval": 120, "ImageName": "dog.jpeg"},
            },
            "variant.TensorFlowLite": {"version": "2.5.11"},
        },
        "iotJobConfiguration": {"timeoutConfig": {"inProgressTimeoutInMinutes": 60}},
    },
}


def group_name(index: int) -> str:
    return f"BenchGroup{index:05d}"


def deployment(index: int, *, interval: int = 30) -> dict[str, object]:
    topic = f"bench/site-{index % 50}/classification"
    return {
        "apiVersion": "greengrass-reconciler/v1",
        "kind": "Deployment",
        "metadata": {"name": f"group-{index:05d}"},
        "spec": {
            "extends": "fleet",
            "thingGroup": group_name(index),
            "components": {
                "aws.greengrass.DLRImageClassification": {
                    "configuration": {
                        "InferenceInterval": interval,
                        "PublishResultsOnTopic": topic,
                        "Cameras": [f"cam-{index}-a", f"cam-{index}-b"],
                        "accessControl": {
                            "aws.greengrass.ipc.mqttproxy": {
                                f"aws.greengrass.DLRImageClassification:mqttproxy:{index}": {
                                    "policyDescription": f"Publish results of site {index % 50}",
                                    "operations": ["aws.greengrass#PublishToIoTCore"],
                                    "resources": [topic],
                                }
                            }
                        },
                    }
                },
            },
            "tags": {"site": str(index % 50)},
        },
    }


def write_fleet(root: Path, groups: int) -> Path:
    (root / "groups").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(yaml.safe_dump(SETTINGS))
    (root / "base.yaml").write_text(yaml.safe_dump(BASE))
    for index in range(groups):
        write_group(root, index)
    return root


def write_group(root: Path, index: int, *, interval: int = 30) -> None:
    path = root / "groups" / f"group-{index:05d}.yaml"
    path.write_text(yaml.safe_dump(deployment(index, interval=interval)))
