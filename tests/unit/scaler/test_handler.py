"""One scaler run with every AWS call stubbed as real AWS answers it (pages, limits, shapes).

moto never paginates ListTasks and accepts any RunTask count, so the limits that matter past 100
tasks are checked here against botocore's Stubber, which also fails on any unexpected call.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from contract.limits import LIST_TASKS_PAGE_SIZE, RUN_TASK_MAX_COUNT
from contract.ssm import Param
from scaler.clients import CLIENT_CONFIG, Clients
from scaler.handler import ScalerResult, run_result, run_scaler
from scaler.launcher import LaunchResult
from scaler.parameters import ParameterError
from scaler.policy import ScalingInputs, decide
from tests.unit.scaler.factories import (
    CLUSTER,
    FAMILY,
    QUEUE_URL,
    REGION,
    SSM_PATH,
    parameter_values,
)


@dataclass
class Stubbed:
    clients: Clients
    ssm: Stubber
    sqs: Stubber
    ecs: Stubber

    def expect_parameters(self, **overrides: str | None) -> None:
        """GetParametersByPath answered in two pages, as SSM pages at most 10 per call."""
        parameters = [
            {"Name": f"{SSM_PATH}{name}", "Value": value, "Type": "String"}
            for name, value in parameter_values(**overrides).items()
        ]
        request = {"Path": SSM_PATH, "Recursive": False, "WithDecryption": True}
        self.ssm.add_response(
            "get_parameters_by_path", {"Parameters": parameters[:10], "NextToken": "p2"}, request
        )
        self.ssm.add_response(
            "get_parameters_by_path",
            {"Parameters": parameters[10:]},
            {**request, "NextToken": "p2"},
        )

    def expect_queue(self, visible: int, in_flight: int) -> None:
        self.sqs.add_response(
            "get_queue_attributes",
            {
                "Attributes": {
                    "ApproximateNumberOfMessages": str(visible),
                    "ApproximateNumberOfMessagesNotVisible": str(in_flight),
                }
            },
            {
                "QueueUrl": QUEUE_URL,
                "AttributeNames": [
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            },
        )

    def expect_running(self, count: int) -> None:
        """ListTasks answered in pages of at most 100, as ECS does."""
        request = {
            "cluster": CLUSTER,
            "family": FAMILY,
            "desiredStatus": "RUNNING",
            "maxResults": LIST_TASKS_PAGE_SIZE,
        }
        arns = [f"arn:aws:ecs:{REGION}:123456789012:task/{CLUSTER}/{n}" for n in range(count)]
        pages = [arns[i : i + LIST_TASKS_PAGE_SIZE] for i in range(0, count, 100)] or [[]]
        for number, page in enumerate(pages):
            response: dict[str, Any] = {"taskArns": page}
            if number + 1 < len(pages):
                response["nextToken"] = f"page-{number + 1}"
            params = {**request, "nextToken": f"page-{number}"} if number else request
            self.ecs.add_response("list_tasks", response, params)

    def expect_run_task(self, count: int) -> None:
        arns = [f"arn:aws:ecs:{REGION}:123456789012:task/{CLUSTER}/new-{n}" for n in range(count)]
        self.ecs.add_response(
            "run_task",
            {"tasks": [{"taskArn": arn} for arn in arns], "failures": []},
            {
                "cluster": CLUSTER,
                "taskDefinition": ANY,
                "count": count,
                "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],
                "networkConfiguration": ANY,
                "startedBy": "fargate-pipeline/test/scaler",
                "clientToken": ANY,
            },
        )


def client(service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CLIENT_CONFIG,
    )


@pytest.fixture
def aws() -> Iterator[Stubbed]:
    clients = Clients(ssm=client("ssm"), sqs=client("sqs"), ecs=client("ecs"))
    with (
        Stubber(clients.ssm) as ssm,
        Stubber(clients.sqs) as sqs,
        Stubber(clients.ecs) as ecs,
    ):
        yield Stubbed(clients, ssm, sqs, ecs)
        # Every expected call was made; an unexpected one has already failed the test.
        for stubber in (ssm, sqs, ecs):
            stubber.assert_no_pending_responses()


def test_250_running_tasks_over_three_list_tasks_pages_are_all_counted(aws: Stubbed) -> None:
    # GIVEN 250 pipeline tasks (pages of 100, 100, 50), max 300 and a large backlog
    aws.expect_parameters(ECS_MAX_TASKS="300", ECS_MAX_TASKS_PER_RUN="300")
    aws.expect_queue(visible=1000, in_flight=0)
    aws.expect_running(250)
    for _ in range(5):
        aws.expect_run_task(RUN_TASK_MAX_COUNT)
    # WHEN the scaler runs
    result = run_scaler(aws.clients, SSM_PATH)
    # THEN all 250 are counted: it starts the 50 up to max, not the 200 a first page implies
    assert result["running"] == 250
    assert (result["requested"], result["started"], result["run_task_calls"]) == (50, 50, 5)


def test_running_tasks_with_in_flight_work_leave_the_backlog_to_new_tasks(
    aws: Stubbed,
) -> None:
    # GIVEN 250 tasks each busy with a message and 5 waiting, one message per task
    aws.expect_parameters(ECS_MAX_TASKS="300")
    aws.expect_queue(visible=5, in_flight=250)
    aws.expect_running(250)
    aws.expect_run_task(5)
    # WHEN the scaler runs THEN the 5 waiting files get 5 tasks
    assert run_scaler(aws.clients, SSM_PATH)["started"] == 5


def test_1000_visible_max_300_with_120_running_starts_180_in_calls_of_10(
    aws: Stubbed, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN 1000 waiting files, 120 tasks running, max 300 and no lower per-run limit
    aws.expect_parameters(ECS_MAX_TASKS="300", ECS_MAX_TASKS_PER_RUN="300")
    aws.expect_queue(visible=1000, in_flight=0)
    aws.expect_running(120)
    for _ in range(18):
        aws.expect_run_task(RUN_TASK_MAX_COUNT)
    # WHEN the scaler runs
    with caplog.at_level(logging.INFO, logger="scaler"):
        result = run_scaler(aws.clients, SSM_PATH)
    # THEN it fills up to max tasks: 180 more, as 18 calls of 10
    assert result == {
        "enabled": True,
        "visible": 1000,
        "in_flight": 0,
        "running": 120,
        "max_tasks": 300,
        "max_tasks_per_run": 300,
        "messages_per_task": 1,
        "needed": 880,
        "requested": 180,
        "limited_by": "max_tasks",
        "started": 180,
        "failures": [],
        "not_started": 0,
        "run_task_calls": 18,
    }
    # AND it is logged as one JSON line holding the same record
    lines = [r for r in caplog.records if r.name == "scaler.handler"]
    assert len(lines) == 1
    assert lines[0].levelno == logging.INFO
    assert json.loads(lines[0].getMessage()) == {"event": "scaler_run", **result}


def test_per_run_limit_and_messages_per_task_shape_the_start(aws: Stubbed) -> None:
    aws.expect_parameters(ECS_MAX_TASKS="500", ECS_MAX_TASKS_PER_RUN="25", MESSAGES_PER_TASK="300")
    aws.expect_queue(visible=10_000, in_flight=0)
    aws.expect_running(0)
    for size in (10, 10, 5):
        aws.expect_run_task(size)
    result = run_scaler(aws.clients, SSM_PATH)
    assert (result["needed"], result["requested"], result["started"]) == (34, 25, 25)
    assert result["limited_by"] == "max_tasks_per_run"


def test_disabled_pipeline_reports_the_queue_and_starts_nothing(aws: Stubbed) -> None:
    aws.expect_parameters(ENABLED="0")
    aws.expect_queue(visible=40, in_flight=0)
    aws.expect_running(0)
    result = run_scaler(aws.clients, SSM_PATH)
    assert result["enabled"] is False
    assert (result["visible"], result["started"], result["run_task_calls"]) == (40, 0, 0)
    assert result["limited_by"] == "disabled"


def test_empty_queue_starts_nothing(aws: Stubbed) -> None:
    aws.expect_parameters()
    aws.expect_queue(visible=0, in_flight=0)
    aws.expect_running(0)
    result = run_scaler(aws.clients, SSM_PATH)
    assert (result["started"], result["limited_by"]) == (0, "no_backlog")


def test_capacity_failures_are_returned_and_logged_as_a_warning(
    aws: Stubbed, caplog: pytest.LogCaptureFixture
) -> None:
    aws.expect_parameters()
    aws.expect_queue(visible=3, in_flight=0)
    aws.expect_running(0)
    aws.ecs.add_response(
        "run_task",
        {
            "tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/1"}],
            "failures": [{"reason": "RESOURCE:FARGATE"}, {"reason": "RESOURCE:FARGATE"}],
        },
    )
    with caplog.at_level(logging.INFO, logger="scaler"):
        result = run_scaler(aws.clients, SSM_PATH)
    assert result["started"] == 1
    assert result["failures"] == ["RunTask failure: RESOURCE:FARGATE"] * 2
    assert result["not_started"] == 2
    json.dumps(result)  # JSON-serialisable as the contract says
    [line] = [r for r in caplog.records if r.name == "scaler.handler"]
    # one WARNING line naming the reason and counting what did not start
    assert line.levelno == logging.WARNING
    logged = json.loads(line.getMessage())
    assert (logged["not_started"], logged["failures"]) == (2, result["failures"])


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"ECS_MAX_TASKS": "ten"}, Param.ECS_MAX_TASKS),
        ({"ECS_MAX_TASKS": None}, Param.ECS_MAX_TASKS),
        ({"UNPROCESSED_SQS_URL": None}, Param.UNPROCESSED_SQS_URL),
        ({"ECS_CAPACITY": "EC2"}, Param.ECS_CAPACITY),
    ],
)
def test_a_bad_parameter_fails_the_run_before_any_queue_or_ecs_call(
    aws: Stubbed,
    caplog: pytest.LogCaptureFixture,
    overrides: dict[str, str | None],
    named: Param,
) -> None:
    # GIVEN a missing or malformed parameter (no SQS or ECS response is queued: any call fails)
    aws.expect_parameters(**overrides)
    # WHEN the scaler runs THEN one error names the parameter
    with pytest.raises(ParameterError, match=named.value) as raised:
        run_scaler(aws.clients, SSM_PATH)
    assert raised.value.names == (named.value,)
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "scaler.handler"]
    assert logged == [
        {"event": "scaler_run", "error": str(raised.value), "at_fault": [named.value]}
    ]


def test_a_run_out_of_time_starts_no_task_and_says_so(aws: Stubbed) -> None:
    # GIVEN a backlog, and a run with 5 s left before its Lambda timeout (no RunTask is queued:
    # a call would fail the test)
    aws.expect_parameters()
    aws.expect_queue(visible=3, in_flight=0)
    aws.expect_running(0)
    # WHEN the scaler runs
    result = run_scaler(aws.clients, SSM_PATH, seconds_left=lambda: 5.0)
    # THEN it asks for nothing and reports the three tasks as not started
    assert (result["requested"], result["started"], result["not_started"]) == (3, 0, 3)
    assert result["failures"] == [
        "3 tasks not asked for: the run's time is up; the next run retries"
    ]


def test_an_unset_ssm_path_fails_before_any_call(aws: Stubbed) -> None:
    with pytest.raises(ParameterError, match="PIPELINE_SSM_PATH"):
        run_scaler(aws.clients, None)


def test_the_result_holds_exactly_the_fields_it_declares() -> None:
    inputs = ScalingInputs(
        enabled=True,
        visible=5,
        in_flight=1,
        running=2,
        max_tasks=9,
        max_tasks_per_run=3,
        messages_per_task=1,
    )
    result = run_result(inputs, decide(inputs), LaunchResult(started=3, calls=1))
    assert set(result) == set(ScalerResult.__annotations__)
    assert (result["visible"], result["requested"], result["started"]) == (5, 3, 3)
