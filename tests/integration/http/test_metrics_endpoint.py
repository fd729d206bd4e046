"""GET /metrics: every documented metric, parsed back with Prometheus' own parser."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from reconciler.adapters.aws.calling import CallStats
from reconciler.errors import AwsServerError, AwsThrottledError
from tests.integration.http.conftest import Running

PREFIX = "greengrass_reconciler_"


def _scrape(running: Running) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """{sample name: {sorted labels: value}} from one scrape."""
    response = requests.get(f"{running.url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def test_the_aws_call_counters_are_read_from_the_bound_stats_at_scrape_time(
    running: Running,
) -> None:
    stats = CallStats()
    running.metrics.bind_call_stats(stats)
    stats.record("greengrassv2", "create_deployment", None)
    stats.record("greengrassv2", "create_deployment", AwsThrottledError("slow down"))
    stats.record("s3", "put_object", AwsServerError("503"))

    first = _scrape(running)
    stats.record("greengrassv2", "create_deployment", None)  # after binding: no re-bind needed
    second = _scrape(running)

    deploy = (("operation", "create_deployment"), ("service", "greengrassv2"))
    put = (("operation", "put_object"), ("service", "s3"))
    assert first[f"{PREFIX}aws_calls_total"] == {deploy: 2.0, put: 1.0}
    assert first[f"{PREFIX}aws_throttles_total"] == {deploy: 1.0}
    assert first[f"{PREFIX}aws_errors_total"] == {put: 1.0}
    assert second[f"{PREFIX}aws_calls_total"][deploy] == 3.0


def test_reconcile_outcomes_are_counted_and_timed_by_trigger(running: Running) -> None:
    running.metrics.observe_reconcile(trigger="webhook", outcome="success", seconds=1.5)
    running.metrics.observe_reconcile(trigger="webhook", outcome="success", seconds=0.5)
    running.metrics.observe_reconcile(trigger="resync", outcome="error", seconds=12.0)

    samples = _scrape(running)

    webhook_ok = (("outcome", "success"), ("trigger", "webhook"))
    resync_error = (("outcome", "error"), ("trigger", "resync"))
    assert samples[f"{PREFIX}reconcile_total"] == {webhook_ok: 2.0, resync_error: 1.0}
    assert samples[f"{PREFIX}reconcile_duration_seconds_sum"][webhook_ok] == 2.0
    assert samples[f"{PREFIX}reconcile_duration_seconds_count"][resync_error] == 1.0
    buckets = samples[f"{PREFIX}reconcile_duration_seconds_bucket"]
    assert buckets[(("le", "1.0"), *webhook_ok)] == 1.0  # 0.5 s, not 1.5 s
    assert buckets[(("le", "2.5"), *webhook_ok)] == 2.0


def test_the_last_success_keeps_one_commit_series(running: Running) -> None:
    running.metrics.set_last_success(timestamp=1_700_000_000.0, commit="4f2c1e0")
    running.metrics.set_last_success(timestamp=1_700_000_600.0, commit="9fceb02")

    samples = _scrape(running)

    assert samples[f"{PREFIX}last_success_timestamp_seconds"] == {(): 1_700_000_600.0}
    assert samples[f"{PREFIX}last_success_commit_info"] == {(("commit", "9fceb02"),): 1.0}


def test_targets_drift_rollouts_and_leadership(running: Running) -> None:
    running.metrics.set_targets({"synced": 5, "drifted": 1, "failed": 2})
    running.metrics.set_targets({"synced": 7, "drifted": 1})  # "failed" is gone now
    running.metrics.set_drifted(1)
    running.metrics.observe_rollout(outcome="succeeded")
    running.metrics.observe_rollout(outcome="succeeded")
    running.metrics.observe_rollout(outcome="failed")
    running.metrics.set_leader(True)

    samples = _scrape(running)

    assert samples[f"{PREFIX}targets"] == {
        (("state", "drifted"),): 1.0,
        (("state", "synced"),): 7.0,
    }
    assert samples[f"{PREFIX}drifted_groups"] == {(): 1.0}
    assert samples[f"{PREFIX}rollouts_total"] == {
        (("outcome", "failed"),): 1.0,
        (("outcome", "succeeded"),): 2.0,
    }
    assert samples[f"{PREFIX}leader"] == {(): 1.0}

    running.metrics.set_leader(False)
    assert _scrape(running)[f"{PREFIX}leader"] == {(): 0.0}


def test_the_build_version_is_exposed_and_only_our_metrics_are(running: Running) -> None:
    samples = _scrape(running)

    assert samples[f"{PREFIX}build_info"] == {(("version", "0.1.0"),): 1.0}
    # A dedicated registry: no process_* or python_* series from the global one.
    assert all(name.startswith(PREFIX) for name in samples)


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(running: Running) -> None:
    response = requests.get(
        f"{running.url}/metrics",
        headers={"Accept": "application/openmetrics-text; version=1.0.0"},
        timeout=5,
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")
