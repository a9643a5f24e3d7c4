"""The mocks cannot pass silently: what AWS would refuse, they refuse too.

Each test runs a small program with one wrong input and expects the run to fail; the same
program with the input right must succeed, so the failure is the input's and nothing else's.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws
import pytest

from tests.unit.infra.mocks import MockRejection
from tests.unit.infra.program import run_program

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
    ],
    ids=["fargate-size", "empty-ssm-value", "policy-not-json"],
)
def test_a_resource_with_a_wrong_input_fails_the_run(
    wrong: Callable[[], None], right: Callable[[], None], reason: str
) -> None:
    with pytest.raises(MockRejection, match=reason):
        run_program({}, program=wrong)

    run_program({}, program=right)


def test_a_resource_the_mocks_do_not_model_fails_the_run() -> None:
    with pytest.raises(MockRejection, match="do not model resource type aws:sns/topic:Topic"):
        run_program({}, program=lambda: aws.sns.Topic("topic"))


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
