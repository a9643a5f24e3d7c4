"""Pipeline parameters as the stack writes them, for the scaler's tests."""

from __future__ import annotations

import pipeline_spec
from contract.ssm import Param, ssm_path
from contract.values import Capacity, encode_flag

REGION = "us-east-1"
ACCOUNT = "123456789012"
SSM_PATH = ssm_path("test")
FAMILY = "fargate-pipeline-test-worker"
TASK_DEFINITION_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{FAMILY}:3"
CLUSTER = "fargate-pipeline-test"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/fargate-pipeline-test-queue"
SUBNETS = ("subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f")
SECURITY_GROUP = "sg-0123456789abcdef0"


def parameter_values(**overrides: str | None) -> dict[str, str]:
    """Every contract parameter by name; an override of None leaves the parameter out."""
    values = pipeline_spec.ssm_parameters(
        queue_url=QUEUE_URL,
        cluster_name=CLUSTER,
        container_name=pipeline_spec.WORKER_CONTAINER_NAME,
        task_definition_arn=TASK_DEFINITION_ARN,
        security_group_ids=SECURITY_GROUP,
        subnet_ids=",".join(SUBNETS),
        dest_bucket="fargate-pipeline-test-dest",
        dest_prefix="processed",
        enabled=encode_flag(True),
        max_tasks="10",
        max_tasks_per_run="10",
        messages_per_task="1",
        assign_public_ip=encode_flag(True),
        capacity=Capacity.FARGATE,
    )
    merged: dict[str, str | None] = {name.value: value for name, value in values.items()}
    for name, value in overrides.items():
        merged[Param[name]] = value
    return {name: value for name, value in merged.items() if value is not None}
