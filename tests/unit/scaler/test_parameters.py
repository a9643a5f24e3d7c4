"""Reading the scaler's parameters: typed values, and one clear error naming what is wrong."""

from __future__ import annotations

import pytest

from contract.env import Env
from contract.ssm import Param
from contract.values import Capacity
from scaler.parameters import (
    ParameterError,
    parse_parameters,
    parse_ssm_path,
    task_family,
)
from tests.unit.scaler.factories import (
    CLUSTER,
    FAMILY,
    QUEUE_URL,
    SECURITY_GROUP,
    SSM_PATH,
    SUBNETS,
    TASK_DEFINITION_ARN,
    parameter_values,
)


def test_the_stacks_parameters_parse_into_typed_values() -> None:
    # GIVEN every parameter as the stack writes it
    values = parameter_values(
        ECS_CAPACITY="FARGATE_SPOT", ECS_MAX_TASKS="300", ECS_ASSIGN_PUBLIC_IP="0"
    )
    # WHEN parsed
    params = parse_parameters(values, SSM_PATH)
    # THEN each value has its type
    assert params.queue_url == QUEUE_URL
    assert params.launch.cluster == CLUSTER
    assert params.launch.task_definition_arn == TASK_DEFINITION_ARN
    assert params.launch.started_by == "fargate-pipeline/test/scaler"
    assert params.task_family == FAMILY
    assert params.launch.subnets == SUBNETS
    assert params.launch.security_groups == (SECURITY_GROUP,)
    assert params.launch.assign_public_ip is False
    assert params.launch.capacity is Capacity.FARGATE_SPOT
    assert params.enabled is True
    assert (params.max_tasks, params.max_tasks_per_run, params.messages_per_task) == (300, 10, 1)


def test_whitespace_around_values_and_list_items_is_ignored() -> None:
    values = parameter_values(
        ECS_TASK_SUBNET=f" {SUBNETS[0]} , {SUBNETS[1]} ,", ECS_MAX_TASKS=" 12\n"
    )
    params = parse_parameters(values, SSM_PATH)
    assert params.launch.subnets == SUBNETS
    assert params.max_tasks == 12


# Every parameter the scaler acts on; the worker's own (container, destination) are not needed.
SCALER_NEEDS = (
    Param.UNPROCESSED_SQS_URL,
    Param.ECS_CLUSTER,
    Param.ECS_TASK_DEFINITION,
    Param.ECS_TASK_SECURITYGROUP,
    Param.ECS_TASK_SUBNET,
    Param.ENABLED,
    Param.ECS_MAX_TASKS,
    Param.ECS_MAX_TASKS_PER_RUN,
    Param.MESSAGES_PER_TASK,
    Param.ECS_ASSIGN_PUBLIC_IP,
    Param.ECS_CAPACITY,
)


@pytest.mark.parametrize("param", SCALER_NEEDS)
def test_a_missing_parameter_is_named_with_the_path(param: Param) -> None:
    values = parameter_values(**{param.name: None})
    with pytest.raises(ParameterError) as raised:
        parse_parameters(values, SSM_PATH)
    assert raised.value.names == (param.value,)
    assert str(raised.value) == f"SSM parameters under {SSM_PATH}: {param.value} is missing"


@pytest.mark.parametrize(
    "param", [Param.ECS_TASK_CONTAINER, Param.S3_DEST_BUCKET, Param.S3_DEST_PREFIX]
)
def test_the_workers_own_parameters_are_not_needed_to_scale(param: Param) -> None:
    values = parameter_values(**{param.name: None})
    assert parse_parameters(values, SSM_PATH).enabled is True


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        (Param.ECS_MAX_TASKS, "ten", "whole number of at least 1"),
        (Param.ECS_MAX_TASKS, "2.5", "whole number of at least 1"),
        (Param.ECS_MAX_TASKS, "+5", "whole number of at least 1"),
        (Param.ECS_MAX_TASKS, "1_000", "whole number of at least 1"),
        (Param.ECS_MAX_TASKS, "0", "set PIPELINE_ENABLED to 0"),
        (Param.ECS_MAX_TASKS_PER_RUN, "-1", "whole number of at least 1"),
        (Param.MESSAGES_PER_TASK, "", "whole number of at least 1"),
        (Param.ENABLED, "true", "expected 1 or 0"),
        (Param.ECS_ASSIGN_PUBLIC_IP, "yes", "expected 1 or 0"),
        (Param.ECS_CAPACITY, "SPOT", "expected FARGATE or FARGATE_SPOT"),
        (Param.UNPROCESSED_SQS_URL, "my-queue", "queue's URL"),
        (Param.ECS_CLUSTER, "my cluster", "cluster name"),
        (Param.ECS_TASK_DEFINITION, f"{FAMILY}:3", "task definition ARN with its revision"),
        (Param.ECS_TASK_DEFINITION, TASK_DEFINITION_ARN.rsplit(":", 1)[0], "with its revision"),
        (Param.ECS_TASK_SUBNET, "vpc-123", "vpc-123 is not a subnet id"),
        (Param.ECS_TASK_SUBNET, ",", "1 to 16 comma-separated subnet ids"),
        (
            Param.ECS_TASK_SUBNET,
            ",".join(f"subnet-{n:02d}" for n in range(17)),
            "1 to 16 comma-separated subnet ids",
        ),
        (
            Param.ECS_TASK_SECURITYGROUP,
            ",".join(f"sg-{n}" for n in range(6)),
            "1 to 5 comma-separated security group ids",
        ),
    ],
)
def test_a_malformed_parameter_is_named_with_its_value_and_what_is_expected(
    param: Param, value: str, expected: str
) -> None:
    values = parameter_values(**{param.name: value})
    with pytest.raises(ParameterError) as raised:
        parse_parameters(values, SSM_PATH)
    assert raised.value.names == (param.value,)
    message = str(raised.value)
    assert message.startswith(f"SSM parameters under {SSM_PATH}: {param.value} is {value!r}: ")
    assert expected in message


def test_every_problem_is_reported_in_one_error() -> None:
    values = parameter_values(ECS_MAX_TASKS="many", ENABLED=None, ECS_CAPACITY="EC2")
    with pytest.raises(ParameterError) as raised:
        parse_parameters(values, SSM_PATH)
    assert set(raised.value.names) == {
        Param.ECS_MAX_TASKS.value,
        Param.ENABLED.value,
        Param.ECS_CAPACITY.value,
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [("/fargate-pipeline/dev/", "/fargate-pipeline/dev/"), (" /a/b ", "/a/b/")],
)
def test_ssm_path_keeps_or_adds_its_trailing_slash(value: str, expected: str) -> None:
    assert parse_ssm_path(value) == expected


@pytest.mark.parametrize("value", [None, "", "  ", "fargate-pipeline/dev/"])
def test_a_missing_or_relative_ssm_path_names_the_environment_variable(
    value: str | None,
) -> None:
    with pytest.raises(ParameterError) as raised:
        parse_ssm_path(value)
    assert raised.value.names == (Env.SSM_PATH,)
    assert Env.SSM_PATH in str(raised.value)


def test_task_family_of_an_arn_in_another_partition() -> None:
    arn = "arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/my_family-2:17"
    assert task_family(arn) == "my_family-2"
    with pytest.raises(ValueError, match="not a task definition ARN"):
        task_family("my_family-2:17")
