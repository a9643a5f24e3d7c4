"""RunTask as AWS enforces it (Stubber): calls of at most 10; failures reported, not counted."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from contract.limits import RUN_TASK_MAX_COUNT
from contract.values import Capacity
from scaler.clients import CLIENT_CONFIG
from scaler.launcher import (
    STARTED_BY_MAX_LENGTH,
    LaunchSpec,
    batches,
    start_tasks,
    started_by,
)
from tests.unit.scaler.factories import (
    CLUSTER,
    REGION,
    SECURITY_GROUP,
    SUBNETS,
    TASK_DEFINITION_ARN,
)

SPEC = LaunchSpec(
    cluster=CLUSTER,
    task_definition_arn=TASK_DEFINITION_ARN,
    capacity=Capacity.FARGATE_SPOT,
    subnets=SUBNETS,
    security_groups=(SECURITY_GROUP,),
    assign_public_ip=False,
    started_by="fargate-pipeline/test/scaler",
)
task_numbers = itertools.count()


class RawBody(io.BytesIO):
    """An HTTP body as botocore reads it from urllib3."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def ecs_client() -> Any:
    return boto3.client(
        "ecs",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CLIENT_CONFIG,
    )


@pytest.fixture
def ecs() -> Iterator[tuple[Any, Stubber]]:
    client = ecs_client()
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def tokens() -> Any:
    numbers = itertools.count(1)
    return lambda: f"token-{next(numbers)}"


def tasks(count: int) -> list[dict[str, str]]:
    return [
        {"taskArn": f"arn:aws:ecs:{REGION}:123456789012:task/{CLUSTER}/{next(task_numbers)}"}
        for _ in range(count)
    ]


def failures(count: int, reason: str) -> list[dict[str, str]]:
    return [{"reason": reason, "detail": "no capacity in the AZ"} for _ in range(count)]


def expect_run_task(
    stubber: Stubber, count: int, token: str, *, started: int, failed: list[dict[str, str]]
) -> None:
    stubber.add_response(
        "run_task",
        {"tasks": tasks(started), "failures": failed},
        SPEC.run_task_arguments(count, token),
    )


def test_run_task_arguments_use_the_capacity_provider_and_never_a_launch_type() -> None:
    arguments = SPEC.run_task_arguments(4, "t")
    assert arguments == {
        "cluster": CLUSTER,
        "taskDefinition": TASK_DEFINITION_ARN,
        "count": 4,
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": list(SUBNETS),
                "securityGroups": [SECURITY_GROUP],
                "assignPublicIp": "DISABLED",
            }
        },
        "startedBy": "fargate-pipeline/test/scaler",
        "clientToken": "t",
    }


@pytest.mark.parametrize(
    ("count", "expected"), [(0, []), (3, [3]), (10, [10]), (25, [10, 10, 5]), (30, [10, 10, 10])]
)
def test_batches_are_at_most_the_api_limit(count: int, expected: list[int]) -> None:
    assert list(batches(count)) == expected
    assert all(size <= RUN_TASK_MAX_COUNT for size in batches(count))


def test_25_tasks_are_asked_for_in_calls_of_10_10_5_each_with_its_own_token(
    ecs: tuple[Any, Stubber],
) -> None:
    client, stubber = ecs
    for number, size in enumerate([10, 10, 5], start=1):
        expect_run_task(stubber, size, f"token-{number}", started=size, failed=[])
    result = start_tasks(client, SPEC, 25, new_client_token=tokens())
    assert (result.started, result.calls, result.failures) == (25, 3, [])


def test_tasks_in_failures_are_reported_with_reasons_and_not_counted(
    ecs: tuple[Any, Stubber],
) -> None:
    # GIVEN Fargate places 7 of the first 10 tasks, then all of the next 10
    client, stubber = ecs
    expect_run_task(stubber, 10, "token-1", started=7, failed=failures(3, "RESOURCE:FARGATE"))
    expect_run_task(stubber, 10, "token-2", started=10, failed=[])
    # WHEN 20 are asked for
    result = start_tasks(client, SPEC, 20, new_client_token=tokens())
    # THEN 17 count as started and each failure says why
    assert result.started == 17
    assert result.calls == 2
    assert result.failures == ["RunTask failure: RESOURCE:FARGATE no capacity in the AZ"] * 3


def test_a_throttled_call_does_not_stop_the_others(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    expect_run_task(stubber, 10, "token-1", started=10, failed=[])
    stubber.add_client_error(
        "run_task",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=400,
        expected_params=SPEC.run_task_arguments(10, "token-2"),
    )
    expect_run_task(stubber, 5, "token-3", started=5, failed=[])
    result = start_tasks(client, SPEC, 25, new_client_token=tokens())
    assert (result.started, result.calls) == (15, 3)
    assert result.failures == ["RunTask for 10 tasks failed: ThrottlingException: Rate exceeded"]


def test_no_capacity_for_a_whole_call_stops_the_run_and_says_what_was_not_asked(
    ecs: tuple[Any, Stubber],
) -> None:
    # GIVEN Fargate cannot place any task of the second call
    client, stubber = ecs
    expect_run_task(stubber, 10, "token-1", started=10, failed=[])
    expect_run_task(stubber, 10, "token-2", started=0, failed=failures(10, "RESOURCE:FARGATE"))
    # WHEN 35 tasks are wanted
    result = start_tasks(client, SPEC, 35, new_client_token=tokens())
    # THEN no third or fourth call is made, and the 15 tasks not asked for are reported
    assert (result.started, result.calls) == (10, 2)
    assert len(result.failures) == 11
    assert result.failures[-1] == (
        "15 tasks not asked for: Fargate had no capacity for any task of the last call "
        "(RESOURCE:FARGATE); the next run retries"
    )


VCPU_LIMIT = "You've reached the limit on the number of vCPUs you can run concurrently"
"""ECS's reason when the account's Fargate vCPU quota is used up (a new account's is small)."""


def test_the_fargate_vcpu_quota_stops_the_run_and_names_the_quota_to_raise(
    ecs: tuple[Any, Stubber],
) -> None:
    # GIVEN a new account whose vCPU quota admits 4 tasks: the first call starts 4 of 10, the
    # second none
    client, stubber = ecs
    expect_run_task(stubber, 10, "token-1", started=4, failed=[{"reason": VCPU_LIMIT}] * 6)
    expect_run_task(stubber, 10, "token-2", started=0, failed=[{"reason": VCPU_LIMIT}] * 10)
    # WHEN 30 tasks are wanted
    result = start_tasks(client, SPEC, 30, new_client_token=tokens())
    # THEN no third call is made, every task not started is counted, and each failure names
    # the reason and the Service Quotas code to raise
    assert (result.started, result.calls, result.not_started) == (4, 2, 26)
    quota_failures = [f for f in result.failures if f.startswith("RunTask failure")]
    assert len(quota_failures) == 16
    for failure in quota_failures:
        assert VCPU_LIMIT in failure
        assert "L-3032A538" in failure and "L-36FBB829" in failure
    assert result.failures[-1] == (
        "10 tasks not asked for: the account's Fargate quota; the next run retries"
    )


def test_a_quota_refused_as_an_error_stops_the_run_too(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    stubber.add_client_error(
        "run_task",
        service_error_code="ClientException",
        service_message=VCPU_LIMIT,
        http_status_code=400,
        expected_params=SPEC.run_task_arguments(10, "token-1"),
    )

    result = start_tasks(client, SPEC, 20, new_client_token=tokens())

    assert (result.started, result.calls, result.not_started) == (0, 1, 20)
    assert "L-3032A538" in result.failures[0]


def test_a_run_near_its_timeout_stops_starting_tasks_and_says_so(
    ecs: tuple[Any, Stubber],
) -> None:
    # GIVEN a run whose time runs out after its second call (each call takes 8 s here)
    client, stubber = ecs
    expect_run_task(stubber, 10, "token-1", started=10, failed=[])
    expect_run_task(stubber, 10, "token-2", started=10, failed=[])
    remaining = iter([25.0, 17.0, 9.0])
    # WHEN 40 tasks are wanted
    result = start_tasks(
        client, SPEC, 40, new_client_token=tokens(), seconds_left=lambda: next(remaining)
    )
    # THEN the run stops before a call it might not finish, and reports the rest
    assert (result.started, result.calls, result.not_started) == (20, 2, 20)
    assert result.failures == ["20 tasks not asked for: the run's time is up; the next run retries"]


def test_a_call_failing_for_other_reasons_does_not_stop_the_run(
    ecs: tuple[Any, Stubber],
) -> None:
    client, stubber = ecs
    expect_run_task(stubber, 10, "token-1", started=0, failed=failures(10, "MISSING"))
    expect_run_task(stubber, 10, "token-2", started=10, failed=[])
    result = start_tasks(client, SPEC, 20, new_client_token=tokens())
    assert (result.started, result.calls, len(result.failures)) == (10, 2, 10)
    assert result.not_started == 10


def test_botocore_retries_a_throttled_call_with_the_same_client_token() -> None:
    # GIVEN a real client whose first RunTask attempt is throttled on the wire
    client = ecs_client()
    bodies: list[dict[str, Any]] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        bodies.append(json.loads(request.body))
        payload: dict[str, Any]
        if len(bodies) == 1:
            status, payload = 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        else:
            status, payload = 200, {"tasks": tasks(2), "failures": []}
        return AWSResponse(request.url, status, {}, RawBody(json.dumps(payload).encode()))

    client.meta.events.register("before-send.ecs.RunTask", answer)
    # WHEN two tasks are started
    result = start_tasks(client, SPEC, 2)
    # THEN botocore retried once, resending the token, and ECS started the tasks once
    assert len(bodies) == 2
    assert bodies[0]["clientToken"] == bodies[1]["clientToken"]
    assert len(bodies[0]["clientToken"]) <= 64
    assert (result.started, result.calls, result.failures) == (2, 1, [])


def test_each_call_gets_a_fresh_client_token(ecs: tuple[Any, Stubber]) -> None:
    client, _ = ecs
    seen: list[str] = []
    client.meta.events.register(
        "provide-client-params.ecs.RunTask",
        lambda params, **_: seen.append(params["clientToken"]),
    )
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_response("run_task", {"tasks": tasks(10), "failures": []})
        start_tasks(client, SPEC, 30)
    assert len(seen) == 3
    assert len(set(seen)) == 3


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/fargate-pipeline/dev/", "fargate-pipeline/dev/scaler"),
        ("/team.a/stack_1/", "team-a/stack_1/scaler"),
    ],
)
def test_started_by_names_the_pipeline_within_runtasks_charset(path: str, expected: str) -> None:
    assert started_by(path) == expected


def test_started_by_is_cut_to_runtasks_length_limit_keeping_the_suffix() -> None:
    value = started_by("/" + "p" * 300 + "/")
    assert len(value) == STARTED_BY_MAX_LENGTH
    assert value.endswith("/scaler")
