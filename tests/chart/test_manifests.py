"""Every rendered manifest is a valid Kubernetes object, for the default and the HA values.

kubernetes-validate checks each object against the OpenAPI schema of a Kubernetes release, in
strict mode (unknown fields are errors): the chart's floor (Chart.yaml kubeVersion) and the
newest release the package knows. The ServiceMonitor is a CRD it has no schema for; its wiring
to the Service is checked by hand below.
"""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from tests.chart.conftest import REQUIRED_VALUES
from tests.chart.helmlite import (
    Chart,
    RenderedRelease,
    TemplateRenderError,
    merge_values,
    render_chart,
)

KUBERNETES_VERSIONS = ("1.25.0", kubernetes_validate.latest_version())
CUSTOM_RESOURCES = {("monitoring.coreos.com/v1", "ServiceMonitor")}


def _validate_all(release: RenderedRelease, version: str) -> list[str]:
    checked = []
    for manifest in release.manifests:
        if (manifest["apiVersion"], manifest["kind"]) in CUSTOM_RESOURCES:
            continue
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            name = manifest["metadata"]["name"]
            pytest.fail(f"{manifest['kind']} {name} is invalid for Kubernetes {version}: {error}")
        checked.append(manifest["kind"])
    return checked


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_default_release_is_valid(default_release: RenderedRelease, version: str) -> None:
    kinds = _validate_all(default_release, version)
    assert sorted(kinds) == ["ConfigMap", "Deployment", "Service", "ServiceAccount"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_ha_release_is_valid(ha_release: RenderedRelease, version: str) -> None:
    kinds = _validate_all(ha_release, version)
    assert sorted(kinds) == [
        "ConfigMap", "Deployment", "Ingress", "PodDisruptionBudget", "Role", "RoleBinding",
        "Service", "ServiceAccount",
    ]  # fmt: skip
    assert len(ha_release.of_kind("ServiceMonitor")) == 1


def test_service_monitor_scrapes_the_service_metrics_port(ha_release: RenderedRelease) -> None:
    monitor = ha_release.one("ServiceMonitor")
    service = ha_release.one("Service")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == [service["metadata"]["namespace"]]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"  # serviceMonitor.labels


def test_service_routes_to_the_container_port(default_release: RenderedRelease) -> None:
    service = default_release.one("Service")
    pod = default_release.one("Deployment")["spec"]["template"]
    (port,) = service["spec"]["ports"]
    (container,) = pod["spec"]["containers"]
    assert port["targetPort"] in {p["name"] for p in container["ports"]}
    assert {p["containerPort"] for p in container["ports"]} == {8080}
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()


def test_ingress_exposes_only_the_webhook(ha_release: RenderedRelease) -> None:
    ingress = ha_release.one("Ingress")
    paths = [
        (rule["host"], path["path"], path["pathType"], path["backend"]["service"]["port"]["name"])
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert paths == [("reconciler.example.com", "/webhook", "Exact", "http")]
    assert ingress["spec"]["tls"][0]["secretName"] == "reconciler-tls"


def test_a_changed_setting_rolls_the_pods(chart: Chart) -> None:
    def checksum(overrides: dict[str, Any]) -> str:
        release = render_chart(chart, merge_values(REQUIRED_VALUES, overrides))
        deployment = release.one("Deployment")
        return str(deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum({}) == checksum({})
    assert checksum({}) != checksum({"source": {"branch": "release"}})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "source.url is required"),
        ({**REQUIRED_VALUES, "replicaCount": 2, "lock": {"kind": "none"}}, "needs a lock"),
        ({**REQUIRED_VALUES, "lock": {"kind": "s3"}}, "lock.s3.bucket is required"),
        ({**REQUIRED_VALUES, "ingress": {"enabled": True}}, "at least one host"),
        (
            {**REQUIRED_VALUES, "ingress": {"enabled": True, "hosts": ["r.example.com"]}},
            "needs webhook.secret.name",
        ),
    ],
)
def test_impossible_values_fail_with_a_message(
    chart: Chart, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(TemplateRenderError, match=message):
        render_chart(chart, overrides)


def test_notes_tell_how_to_reach_the_controller(
    default_release: RenderedRelease, ha_release: RenderedRelease
) -> None:
    assert "port-forward svc/gr-greengrass-reconciler 8080:8080" in default_release.notes
    assert "serviceAccount.roleArn is empty" in default_release.notes
    assert "One replica, no lock" in default_release.notes
    assert "get lease gr-greengrass-reconciler" in ha_release.notes
    assert "https://reconciler.example.com/webhook" in ha_release.notes
    assert "roleArn is empty" not in ha_release.notes


def test_the_validation_would_catch_a_misspelt_field(default_release: RenderedRelease) -> None:
    # Guards the guard: strict validation rejects what a typo in a template would produce.
    deployment = copy.deepcopy(default_release.one("Deployment"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_fact_cache_can_outlive_the_pod_on_a_claim(chart: Chart, version: str) -> None:
    release = render_chart(
        chart,
        merge_values(REQUIRED_VALUES, {"cache": {"facts": {"persistentVolumeClaim": "facts"}}}),
    )
    _validate_all(release, version)
    pod = release.one("Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["facts"]["persistentVolumeClaim"] == {"claimName": "facts"}
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    cache_dir = release.one("ConfigMap")["data"]["RECONCILER_CACHE_DIR"]
    # The settings put the fact cache in <cache dir>/facts: the claim is mounted exactly there,
    # inside the emptyDir that keeps the Git cache.
    assert mounts["facts"] == f"{cache_dir}/facts" and mounts["cache"] == cache_dir
    # Without a claim the fact cache lives in the emptyDir: no second volume.
    default = render_chart(chart, REQUIRED_VALUES).one("Deployment")["spec"]["template"]["spec"]
    assert "facts" not in {v["name"] for v in default["volumes"]}
