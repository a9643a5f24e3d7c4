"""The mocks cannot pass silently: what AWS would refuse, they refuse too.

Each test runs a small program with one wrong input and expects the run to fail; the same
program with the input right must succeed, so the failure is the input's and nothing else's.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import Callable

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime.sync_await import _sync_await

from tests.unit.infra.mocks import MockRejection
from tests.unit.infra.program import run_program, stack_config

TRUST = pulumi.Output.json_dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _task_definition(memory: str) -> Callable[[], None]:
    def program() -> None:
        aws.ecs.TaskDefinition(
            "task",
            family="f",
            cpu="1024",
            memory=memory,
            container_definitions='[{"name": "worker", "image": "repo@sha256:00"}]',
        )

    return program


def _parameter(value: str) -> Callable[[], None]:
    def program() -> None:
        aws.ssm.Parameter("parameter", name="/p/s/PIPELINE_ENABLED", type="String", value=value)

    return program


def _role_policy(policy: str) -> Callable[[], None]:
    def program() -> None:
        role = aws.iam.Role("role", assume_role_policy=TRUST)
        aws.iam.RolePolicy("policy", role=role.id, policy=policy)

    return program


def _dashboard(widget: dict[str, object]) -> Callable[[], None]:
    def program() -> None:
        aws.cloudwatch.Dashboard(
            "dashboard", dashboard_name="d", dashboard_body=json.dumps({"widgets": [widget]})
        )

    return program


GRAPH = {
    "type": "metric",
    "width": 12,
    "height": 6,
    "properties": {"region": "eu-west-1", "metrics": [["AWS/SQS", "NumberOfMessagesSent"]]},
}


def _alarm(period: int, evaluation_periods: int = 1) -> Callable[[], None]:
    def program() -> None:
        aws.cloudwatch.MetricAlarm(
            "alarm",
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=evaluation_periods,
            threshold=0,
            metric_name="Errors",
            namespace="AWS/Lambda",
            statistic="Sum",
            period=period,
        )

    return program


def _math_alarm(return_both: bool) -> Callable[[], None]:
    def program() -> None:
        metric = aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace="AWS/Lambda", metric_name="Errors", stat="Sum", period=60
        )
        aws.cloudwatch.MetricAlarm(
            "alarm",
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=1,
            threshold=0,
            metric_queries=[
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="errors", metric=metric, return_data=return_both
                ),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="e", expression="FILL(errors, 0)", return_data=True
                ),
            ],
        )

    return program


def _email_subscription(address: str) -> Callable[[], None]:
    def program() -> None:
        topic = aws.sns.Topic("topic")
        aws.sns.TopicSubscription("email", topic=topic.arn, protocol="email", endpoint=address)

    return program


VALID_POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:ReceiveMessage",'
    ' "Resource": "arn:aws:sqs:eu-west-1:123456789012:q"}]}'
)


@pytest.mark.parametrize(
    ("wrong", "right", "reason"),
    [
        (_task_definition("1000"), _task_definition("2048"), "no Fargate configuration"),
        (_parameter(""), _parameter("1"), "SSM rejects an empty value"),
        (_role_policy("{Statement: oops"), _role_policy(VALID_POLICY), "policy is not JSON"),
        (
            _dashboard({**GRAPH, "properties": {"metrics": GRAPH["properties"]["metrics"]}}),  # type: ignore[index]
            _dashboard(GRAPH),
            "metric widget lacks region",
        ),
        (_dashboard({**GRAPH, "width": 25}), _dashboard(GRAPH), "outside the grid"),
        (_alarm(90), _alarm(120), "not .* or a multiple of 60"),
        (_alarm(600, evaluation_periods=145), _alarm(600, 144), "over 86400 s"),
        (_math_alarm(return_both=True), _math_alarm(False), "exactly one metric query"),
        (_email_subscription("ops"), _email_subscription("ops@example.com"), "email address"),
    ],
    ids=[
        "fargate-size",
        "empty-ssm-value",
        "policy-not-json",
        "widget-without-region",
        "widget-too-wide",
        "alarm-period",
        "alarm-over-a-day",
        "alarm-two-results",
        "email-address",
    ],
)
def test_a_resource_with_a_wrong_input_fails_the_run(
    wrong: Callable[[], None], right: Callable[[], None], reason: str
) -> None:
    with pytest.raises(MockRejection, match=reason):
        run_program({}, program=wrong)

    run_program({}, program=right)


def test_a_resource_the_mocks_do_not_model_fails_the_run() -> None:
    with pytest.raises(MockRejection, match="do not model resource type aws:kms/key:Key"):
        run_program({}, program=lambda: aws.kms.Key("key"))


def test_a_data_source_the_mocks_do_not_model_fails_the_run() -> None:
    with pytest.raises(
        MockRejection, match="do not model data source aws:index/getAvailabilityZones"
    ):
        run_program({}, program=lambda: aws.get_availability_zones_output().names)


def test_a_program_error_fails_the_run() -> None:
    def program() -> None:
        raise RuntimeError("the program broke")

    with pytest.raises(RuntimeError, match="the program broke"):
        run_program({}, program=program)


def test_a_failed_runs_error_left_on_its_futures_is_not_reported_again_and_others_are(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN a run that failed (the SDK also sets its error on the futures of the outputs it could
    # not resolve, which nothing awaits)
    with pytest.raises(MockRejection, match="no S3 bucket named my-raw-images") as raised:
        run_program(stack_config({"sourceBucket": "my-raw-images"}))
    rejection = MockRejection(str(raised.value))

    async def drop_unretrieved(error: Exception) -> None:
        asyncio.get_running_loop().create_future().set_exception(error)

    # WHEN a future holding that error and one holding another are dropped on the loop
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        _sync_await(drop_unretrieved(rejection))
        _sync_await(drop_unretrieved(ValueError("not a run's")))
        gc.collect()
    # THEN asyncio reports only the other as "never retrieved": the test already got the first
    reported = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert [(type(error), str(error)) for error in reported] == [(ValueError, "not a run's")]
