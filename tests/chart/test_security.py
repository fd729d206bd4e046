"""The security properties the chart promises: non-root, read-only, no secrets inlined, least
RBAC (a Lease Role only when several replicas elect a leader), IRSA, probes on the right paths.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.conftest import REQUIRED_VALUES
from tests.chart.helmlite import Chart, RenderedRelease, merge_values, render_chart

CONTAINER_UID = 10001  # the Dockerfile's USER


def pod_spec(release: RenderedRelease) -> dict[str, Any]:
    spec = release.one("Deployment")["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def container(release: RenderedRelease) -> dict[str, Any]:
    (only,) = pod_spec(release)["containers"]
    assert isinstance(only, dict)
    return only


def env_of(release: RenderedRelease) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container(release)["env"]}


@pytest.fixture(params=["default", "ha"])
def release(
    request: pytest.FixtureRequest, default_release: RenderedRelease, ha_release: RenderedRelease
) -> RenderedRelease:
    return default_release if request.param == "default" else ha_release


def test_runs_as_the_image_user_never_root(release: RenderedRelease) -> None:
    pod = pod_spec(release)["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == pod["runAsGroup"] == pod["fsGroup"] == CONTAINER_UID
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    own = container(release)["securityContext"]
    assert own["runAsNonRoot"] is True and own["runAsUser"] == CONTAINER_UID
    assert own["allowPrivilegeEscalation"] is False
    assert own["privileged"] is False
    assert own["capabilities"] == {"drop": ["ALL"]}
    assert "add" not in own["capabilities"]


def test_root_filesystem_is_read_only_with_writable_cache_and_tmp(release: RenderedRelease) -> None:
    assert container(release)["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in container(release)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(release)["volumes"]}
    config = release.one("ConfigMap")["data"]
    cache_dir = config["RECONCILER_CACHE_DIR"]
    for writable in (cache_dir, "/tmp"):
        assert "emptyDir" in volumes[mounts[writable]], f"{writable} is not an emptyDir"
    assert "sizeLimit" in volumes[mounts[cache_dir]]["emptyDir"]


def test_probes_ask_healthz_and_readyz_on_the_http_port(release: RenderedRelease) -> None:
    own = container(release)
    assert own["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert own["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert {p["name"]: p["containerPort"] for p in own["ports"]} == {"http": 8080}
    assert release.one("ConfigMap")["data"]["RECONCILER_HTTP_PORT"] == "8080"


def test_no_secret_is_rendered_or_inlined(release: RenderedRelease) -> None:
    assert release.of_kind("Secret") == []
    # Environment variables carry file paths or references, never a literal credential.
    for name, entry in env_of(release).items():
        if any(word in name for word in ("TOKEN", "SECRET", "PASSWORD", "SSH_KEY")):
            assert name.endswith("_FILE"), f"{name} would hold a secret inline"
            assert entry["value"].startswith("/var/run/secrets/greengrass-reconciler/")
    for key in release.one("ConfigMap")["data"]:
        assert not key.endswith(("TOKEN", "SECRET", "PASSWORD")), key


def test_secrets_are_mounted_from_existing_secrets_as_files(ha_release: RenderedRelease) -> None:
    env = env_of(ha_release)
    volumes = {v["name"]: v for v in pod_spec(ha_release)["volumes"] if "secret" in v}
    mounts = {m["name"]: m for m in container(ha_release)["volumeMounts"]}
    expected = {
        "RECONCILER_GIT_TOKEN_FILE": ("fleet-git", "token"),
        "RECONCILER_GIT_SSH_KEY_FILE": ("fleet-ssh", "id_ed25519"),
        "RECONCILER_WEBHOOK_SECRET_FILE": ("fleet-webhook", "secret"),
    }
    assert {v["secret"]["secretName"] for v in volumes.values()} == {
        secret for secret, _ in expected.values()
    }
    for variable, (secret_name, key) in expected.items():
        path = env[variable]["value"]
        (volume,) = [v for v in volumes.values() if v["secret"]["secretName"] == secret_name]
        mount = mounts[volume["name"]]
        assert mount["readOnly"] is True
        (item,) = volume["secret"]["items"]
        assert item["key"] == key
        # The variable names the file the Secret's key lands in.
        assert path == f"{mount['mountPath']}/{item['path']}"
        # Owner root, group fsGroup: readable by the controller, by nobody else.
        assert volume["secret"]["defaultMode"] == 0o440


def test_default_release_has_no_rbac_and_no_api_token(default_release: RenderedRelease) -> None:
    assert default_release.of_kind("Role") == []
    assert default_release.of_kind("RoleBinding") == []
    assert default_release.of_kind("PodDisruptionBudget") == []
    assert pod_spec(default_release)["automountServiceAccountToken"] is False
    assert default_release.one("ConfigMap")["data"]["RECONCILER_LOCK"] == "none"
    # Without a lock, two pods must never overlap during a rollout.
    assert default_release.one("Deployment")["spec"]["strategy"] == {"type": "Recreate"}


def test_replicas_elect_a_leader_through_a_lease_they_may_use(ha_release: RenderedRelease) -> None:
    config = ha_release.one("ConfigMap")["data"]
    assert config["RECONCILER_LOCK"] == "kubernetes"
    lease = config["RECONCILER_LEASE_NAME"]
    assert env_of(ha_release)["RECONCILER_LEASE_NAMESPACE"]["valueFrom"] == {
        "fieldRef": {"fieldPath": "metadata.namespace"}
    }
    assert pod_spec(ha_release)["automountServiceAccountToken"] is True
    role = ha_release.one("Role")
    grants = {
        (verb, tuple(rule.get("resourceNames", ())))
        for rule in role["rules"]
        for verb in rule["verbs"]
        if rule["apiGroups"] == ["coordination.k8s.io"] and rule["resources"] == ["leases"]
    }
    assert grants == {("create", ()), ("get", (lease,)), ("update", (lease,))}
    assert len(role["rules"]) == 2  # nothing else
    binding = ha_release.one("RoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [
        {
            "kind": "ServiceAccount",
            "name": ha_release.one("ServiceAccount")["metadata"]["name"],
            "namespace": "greengrass",
        }
    ]
    assert ha_release.one("Deployment")["spec"]["strategy"]["type"] == "RollingUpdate"
    assert ha_release.one("PodDisruptionBudget")["spec"]["minAvailable"] == 1


@pytest.mark.parametrize(("replicas", "rbac"), [(1, False), (2, True), (3, True)])
def test_lease_rbac_exactly_when_replicas_exceed_one(
    chart: Chart, replicas: int, rbac: bool
) -> None:
    release = render_chart(chart, merge_values(REQUIRED_VALUES, {"replicaCount": replicas}))
    assert bool(release.of_kind("Role")) is rbac
    assert bool(release.of_kind("RoleBinding")) is rbac


def test_s3_lock_needs_no_kubernetes_rbac(chart: Chart) -> None:
    overrides = {"replicaCount": 2, "lock": {"kind": "s3", "s3": {"bucket": "acme-locks"}}}
    release = render_chart(chart, merge_values(REQUIRED_VALUES, overrides))
    assert release.of_kind("Role") == []
    config = release.one("ConfigMap")["data"]
    assert (config["RECONCILER_LOCK"], config["RECONCILER_LOCK_BUCKET"]) == ("s3", "acme-locks")


def test_service_account_carries_the_irsa_role(
    default_release: RenderedRelease, ha_release: RenderedRelease
) -> None:
    account = ha_release.one("ServiceAccount")
    role = "arn:aws:iam::123456789012:role/greengrass-reconciler-controller"
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": role}
    assert account["automountServiceAccountToken"] is False
    assert "annotations" not in default_release.one("ServiceAccount")["metadata"]
    name = account["metadata"]["name"]
    assert pod_spec(ha_release)["serviceAccountName"] == name
