"""A gate's metric checks over HTTP: datapoints put into the emulator's CloudWatch (moto) with
boto3, read back through the adapter (GetMetricData) and judged by the engine."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

from reconciler.adapters.aws.cloudwatch import MetricWindow
from reconciler.core.metric_checks import Comparison, MetricCheck, MissingData, VerdictState
from reconciler.core.waves import Gate, Wave
from reconciler.engine.gate_metrics import wave_metric_failure, wave_metric_verdict
from reconciler.engine.runtime import Runtime, build_runtime
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext

NAMESPACE = "Acme/Camera"
ERRORS = MetricCheck(
    namespace=NAMESPACE,
    metric_name="InferenceErrors",
    statistic="Sum",
    period_seconds=60,
    threshold=5.0,
    comparison=Comparison.GREATER_THAN,
    over_seconds=600,
    dimensions=(("ThingGroup", "CameraFleetStaging"),),
)
LATENCY = MetricCheck(
    namespace=NAMESPACE,
    metric_name="InferenceMillis",
    statistic="Maximum",
    period_seconds=60,
    threshold=250.0,
    comparison=Comparison.GREATER_THAN_OR_EQUAL,
    over_seconds=600,
)


def _runtime(aws: AwsTestContext) -> Runtime:
    return build_runtime(ReconcilerSettings(), region=aws.region, account=aws.account_id)


def _put(aws: AwsTestContext, name: str, value: float, minutes_ago: float, **dims: str) -> None:
    aws.client("cloudwatch").put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                "Value": value,
                "Timestamp": datetime.fromtimestamp(time.time() - minutes_ago * 60, UTC),
            }
        ],
    )


def _wave(*checks: MetricCheck) -> Wave:
    return Wave("staging", targets=("CameraFleetStaging",), gate=Gate(metrics=checks))


def test_a_breach_read_from_cloudwatch_fails_the_wave(aws: AwsTestContext) -> None:
    _put(aws, "InferenceErrors", 1, 3, ThingGroup="CameraFleetStaging")
    _put(aws, "InferenceErrors", 9, 2, ThingGroup="CameraFleetStaging")
    _put(aws, "InferenceErrors", 50, 2, ThingGroup="CameraFleetProd")  # another group's
    _put(aws, "InferenceMillis", 120, 1)
    runtime = _runtime(aws)
    failure, pending = wave_metric_failure(runtime.metrics, _wave(ERRORS, LATENCY), now=time.time())
    assert pending is None
    assert failure is not None
    assert "InferenceErrors{ThingGroup=CameraFleetStaging} Sum/1m was 9" in failure
    assert "InferenceMillis" not in failure
    # The emulator's request log tells CloudWatch's writes from its reads.
    logged = {(r.service, r.operation, r.mutating) for r in aws.admin.requests()}
    assert logged == {
        ("monitoring", "PutMetricData", True),
        ("monitoring", "GetMetricData", False),
    }
    # One GetMetricData request for both checks of the wave.
    assert runtime.stats.snapshot()["calls"] == {("cloudwatch", "get_metric_data"): 1}


def test_good_datapoints_pass_and_a_silence_waits(aws: AwsTestContext) -> None:
    _put(aws, "InferenceErrors", 2, 2, ThingGroup="CameraFleetStaging")
    _put(aws, "InferenceMillis", 120, 1)
    runtime = _runtime(aws)
    now = time.time()
    assert wave_metric_failure(runtime.metrics, _wave(ERRORS, LATENCY), now=now) == (None, None)
    silent = MetricCheck(
        namespace=NAMESPACE,
        metric_name="Heartbeats",
        statistic="SampleCount",
        period_seconds=60,
        threshold=1.0,
        comparison=Comparison.LESS_THAN,
        over_seconds=600,
    )
    verdict = wave_metric_verdict(runtime.metrics, _wave(ERRORS, silent), now=now)
    assert verdict.state is VerdictState.UNKNOWN
    assert "Heartbeats SampleCount/1m: no datapoint in the last 10m" in verdict.reason
    dead = replace(silent, treat_missing_data=MissingData.BREACHING)
    failure, _ = wave_metric_failure(runtime.metrics, _wave(dead), now=now)
    assert failure is not None and "treated as breaching" in failure


def test_datapoints_before_the_wave_took_the_change_do_not_count(aws: AwsTestContext) -> None:
    _put(aws, "InferenceErrors", 9, 8, ThingGroup="CameraFleetStaging")  # before the change
    _put(aws, "InferenceErrors", 1, 1, ThingGroup="CameraFleetStaging")
    runtime = _runtime(aws)
    now = time.time()
    assert wave_metric_failure(runtime.metrics, _wave(ERRORS), now=now)[0] is not None
    since = now - 5 * 60
    assert wave_metric_failure(runtime.metrics, _wave(ERRORS), now=now, since=since) == (
        None,
        None,
    )
    windows = runtime.metrics.datapoints([MetricWindow(ERRORS, since, now)])
    assert [p.value for p in windows[0]] == [1.0]


def test_a_wave_without_metric_checks_reads_nothing(aws: AwsTestContext) -> None:
    runtime = _runtime(aws)
    verdict = wave_metric_verdict(runtime.metrics, _wave(), now=time.time())
    assert verdict.state is VerdictState.PASS
    assert runtime.stats.total_calls() == 0


def test_a_wave_that_took_its_change_just_now_waits_without_a_read(aws: AwsTestContext) -> None:
    _put(aws, "InferenceErrors", 9, 1, ThingGroup="CameraFleetStaging")
    runtime = _runtime(aws)
    now = time.time()
    verdict = wave_metric_verdict(runtime.metrics, _wave(ERRORS), now=now, since=now)
    assert verdict.state is VerdictState.UNKNOWN
    assert "no datapoint in the last 10m" in verdict.reason
    assert runtime.stats.total_calls() == 0


def test_an_unreadable_metric_neither_passes_nor_fails(aws: AwsTestContext) -> None:
    aws.admin.set_faults(error_rate=1.0, services=["monitoring"], operations=["GetMetricData"])
    settings = ReconcilerSettings(max_attempts=2, initial_backoff=0.01, max_backoff=0.01)
    runtime = build_runtime(settings, region=aws.region, account=aws.account_id)
    failure, pending = wave_metric_failure(runtime.metrics, _wave(ERRORS), now=time.time())
    assert failure is None
    assert pending is not None and "could not be read" in pending
    assert runtime.stats.snapshot()["errors"][("cloudwatch", "get_metric_data")] == 2


def test_more_checks_than_one_request_holds_are_read_in_batches(aws: AwsTestContext) -> None:
    _put(aws, "InferenceErrors", 9, 1, ThingGroup="Group0007")
    _put(aws, "InferenceErrors", 3, 1, ThingGroup="Group0510")
    runtime = _runtime(aws)
    now = time.time()
    checks = [replace(ERRORS, dimensions=(("ThingGroup", f"Group{i:04d}"),)) for i in range(520)]
    read = runtime.metrics.datapoints([MetricWindow(c, now - 600, now) for c in checks])
    assert runtime.stats.snapshot()["calls"] == {("cloudwatch", "get_metric_data"): 2}
    assert len(read) == 520
    assert {i: [p.value for p in points] for i, points in enumerate(read) if points} == {
        7: [9.0],
        510: [3.0],
    }
