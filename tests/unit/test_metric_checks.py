"""The verdict of a gate's metric checks (reconciler/core/metric_checks.py) and their spec."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from reconciler.core.durations import format_duration, parse_duration
from reconciler.core.metric_checks import (
    Comparison,
    Datapoint,
    MetricCheck,
    MetricVerdict,
    MissingData,
    VerdictState,
    combined_verdict,
    metric_verdict,
)
from reconciler.core.specs.rollout_models import GateSpec, MetricCheckSpec

ERRORS = MetricCheck(
    namespace="Acme/Camera",
    metric_name="InferenceErrors",
    statistic="Sum",
    period_seconds=300,
    threshold=5.0,
    comparison=Comparison.GREATER_THAN,
    over_seconds=1800,
    dimensions=(("ThingGroup", "CameraFleetStaging"),),
)
NOW = 1_800_000_000.0

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
points = st.lists(
    st.builds(Datapoint, timestamp=st.floats(min_value=0, max_value=NOW), value=values),
    max_size=12,
)
comparisons = st.sampled_from(list(Comparison))
missing = st.sampled_from(list(MissingData))


def check(
    comparison: Comparison, threshold: float, fail_at: int = 1, **more: object
) -> MetricCheck:
    return MetricCheck(
        namespace="N",
        metric_name="M",
        statistic="Average",
        period_seconds=60,
        threshold=threshold,
        comparison=comparison,
        over_seconds=600,
        datapoints_to_fail=fail_at,
        **more,  # type: ignore[arg-type]
    )


def test_a_breaching_datapoint_fails_with_the_worst_value_in_the_reason() -> None:
    verdict = metric_verdict(
        ERRORS, [Datapoint(NOW - 600, 2.0), Datapoint(NOW - 300, 9.0), Datapoint(NOW, 7.0)]
    )
    assert verdict.state is VerdictState.FAIL
    assert "InferenceErrors{ThingGroup=CameraFleetStaging} Sum/5m was 9" in verdict.reason
    assert "2 of 3 datapoints in the last 30m breached" in verdict.reason


def test_datapoints_on_the_good_side_pass() -> None:
    verdict = metric_verdict(ERRORS, [Datapoint(NOW, 5.0), Datapoint(NOW - 300, 0.0)])
    assert verdict == MetricVerdict(
        VerdictState.PASS,
        "Acme/Camera InferenceErrors{ThingGroup=CameraFleetStaging} Sum/5m: 0 of 2 datapoints "
        "in the last 30m breached (fails at 1)",
    )


def test_a_silence_is_unknown_unless_the_check_says_how_to_treat_it() -> None:
    assert metric_verdict(ERRORS, []).state is VerdictState.UNKNOWN
    calm = check(Comparison.GREATER_THAN, 0, treat_missing_data=MissingData.NOT_BREACHING)
    assert metric_verdict(calm, []).state is VerdictState.PASS
    dead = check(Comparison.LESS_THAN, 1, treat_missing_data=MissingData.BREACHING)
    assert metric_verdict(dead, [Datapoint(NOW, float("nan"))]).state is VerdictState.FAIL


def test_missing_datapoints_treated_as_breaching_fill_up_to_the_count_that_fails() -> None:
    # 2 of N datapoints fail the check; CloudWatch fills what is missing up to that count.
    heartbeat = check(Comparison.GREATER_THAN, 0, 2, treat_missing_data=MissingData.BREACHING)
    one_breach = metric_verdict(heartbeat, [Datapoint(NOW, 1.0)])
    assert one_breach.state is VerdictState.FAIL
    assert "1 missing treated as breaching" in one_breach.reason
    # One good datapoint and one missing: 1 of the 2 it takes.
    assert metric_verdict(heartbeat, [Datapoint(NOW, 0.0)]).state is VerdictState.PASS
    both_good = [Datapoint(NOW - 60, 0.0), Datapoint(NOW, 0.0)]
    assert metric_verdict(heartbeat, both_good).state is VerdictState.PASS
    # Without that treatment, fewer datapoints than the count never fail.
    lenient = check(Comparison.GREATER_THAN, 0, 2)
    assert metric_verdict(lenient, [Datapoint(NOW, 1.0)]).state is VerdictState.PASS


def test_a_gate_fails_when_one_check_fails_and_waits_when_one_is_unknown() -> None:
    good = MetricVerdict(VerdictState.PASS, "good")
    bad = MetricVerdict(VerdictState.FAIL, "bad")
    quiet = MetricVerdict(VerdictState.UNKNOWN, "quiet")
    assert combined_verdict([good, quiet, bad]) == bad
    assert combined_verdict([good, quiet]) == quiet
    assert combined_verdict([good, good]).state is VerdictState.PASS
    assert combined_verdict([]).state is VerdictState.PASS


@given(comparisons, values, st.integers(1, 4), points, st.randoms())
def test_the_order_of_the_datapoints_does_not_matter(
    comparison: Comparison, threshold: float, fail_at: int, data: list[Datapoint], rnd: object
) -> None:
    shuffled = list(data)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    rule = check(comparison, threshold, fail_at)
    assert metric_verdict(rule, data) == metric_verdict(rule, shuffled)


@given(comparisons, values, st.integers(1, 4), points, values, missing)
def test_one_more_datapoint_never_turns_a_failure_into_a_pass(
    comparison: Comparison,
    threshold: float,
    fail_at: int,
    data: list[Datapoint],
    extra: float,
    treat: MissingData,
) -> None:
    rule = check(comparison, threshold, fail_at, treat_missing_data=treat)
    before = metric_verdict(rule, data).state
    after = metric_verdict(rule, [*data, Datapoint(NOW, extra)]).state
    # A real datapoint may take the place of a missing one filled as breaching (CloudWatch's
    # fill): only then can one more datapoint that does not breach turn a failure into a pass.
    filled = treat is MissingData.BREACHING and len(data) < fail_at
    if before is VerdictState.FAIL and data and not filled:
        assert after is VerdictState.FAIL
    if comparison.breaches(extra, threshold) and before is VerdictState.FAIL:
        assert after is VerdictState.FAIL
    if data:  # with data, a verdict is never unknown
        assert after is not VerdictState.UNKNOWN


@given(values, st.integers(1, 4), points)
def test_above_a_threshold_is_below_its_negation(
    threshold: float, fail_at: int, data: list[Datapoint]
) -> None:
    negated = [Datapoint(p.timestamp, -p.value) for p in data]
    for upper, lower in (
        (Comparison.GREATER_THAN, Comparison.LESS_THAN),
        (Comparison.GREATER_THAN_OR_EQUAL, Comparison.LESS_THAN_OR_EQUAL),
    ):
        above = metric_verdict(check(upper, threshold, fail_at), data).state
        below = metric_verdict(check(lower, -threshold, fail_at), negated).state
        assert above is below


@given(values, points)
def test_or_equal_differs_only_on_the_threshold(threshold: float, data: list[Datapoint]) -> None:
    strict = metric_verdict(check(Comparison.GREATER_THAN, threshold), data).state
    loose = metric_verdict(check(Comparison.GREATER_THAN_OR_EQUAL, threshold), data).state
    if all(p.value != threshold for p in data):
        assert strict is loose
    elif strict is not loose:
        assert (strict, loose) == (VerdictState.PASS, VerdictState.FAIL)


@given(st.integers(1, 10 * 86400))
def test_a_formatted_duration_parses_back(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)).total_seconds() == seconds


def test_the_spec_reads_like_cloudwatch_and_becomes_the_check() -> None:
    spec = GateSpec.model_validate(
        {
            "bake": "30m",
            "metrics": [
                {
                    "namespace": "Acme/Camera",
                    "metricName": "InferenceErrors",
                    "dimensions": {"ThingGroup": "CameraFleetStaging"},
                    "statistic": "Sum",
                    "period": "5m",
                    "comparison": "GreaterThanThreshold",
                    "threshold": 5,
                    "over": "30m",
                }
            ],
        }
    )
    assert spec.to_gate().metrics == (ERRORS,)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"statistic": "Median"}, "'Median' is not a statistic"),
        ({"periodSeconds": 45}, "a period of 45 s"),
        ({"period": "5m", "periodSeconds": 300}, "give the period once"),
        ({"period": "10m", "over": "5m"}, "over: 5m holds fewer than the 1 datapoint"),
        ({"datapointsToFail": 3, "over": "2m"}, "fewer than the 3 datapoint(s) of 60 s"),
        ({"comparison": "GreaterThan"}, "GreaterThanThreshold"),
        ({"over": "soon"}, "not a duration"),
        ({"treatMissingData": "ignore"}, "notBreaching"),
    ],
)
def test_a_check_cloudwatch_would_refuse_is_refused_with_a_reason(
    fields: dict[str, object], message: str
) -> None:
    base = {"namespace": "N", "metricName": "M", "threshold": 1, "comparison": "LessThanThreshold"}
    with pytest.raises(ValidationError) as raised:
        MetricCheckSpec.model_validate({**base, **fields})
    assert message in str(raised.value)


def test_a_percentile_statistic_and_a_high_resolution_period_are_accepted() -> None:
    base = {"namespace": "N", "metricName": "M", "threshold": 1, "comparison": "LessThanThreshold"}
    spec = MetricCheckSpec.model_validate({**base, "statistic": "p99.9", "periodSeconds": 10})
    assert (spec.to_check().statistic, spec.to_check().period_seconds) == ("p99.9", 10)
