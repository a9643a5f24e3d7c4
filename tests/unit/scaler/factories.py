"""Pipeline parameters as the stack writes them, for the scaler's tests."""

from __future__ import annotations

from contract.ssm import Param, ssm_path

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
    """Every contract parameter by name, as the stack writes them; an override of None leaves
    the parameter out."""
    merged: dict[str, str | None] = {
        "PIPELINE_UNPROCESSED_SQS_URL": QUEUE_URL,
        "PIPELINE_ECS_CLUSTER": CLUSTER,
        "PIPELINE_ECS_TASK_CONTAINER": "worker",
        "PIPELINE_ECS_TASK_DEFINITION": TASK_DEFINITION_ARN,
        "PIPELINE_ECS_TASK_SECURITYGROUP": SECURITY_GROUP,
        "PIPELINE_ECS_TASK_SUBNET": ",".join(SUBNETS),
        "PIPELINE_S3_DEST_BUCKET": "fargate-pipeline-test-dest",
        "PIPELINE_S3_DEST_PREFIX": "processed",
        "PIPELINE_ENABLED": "1",
        "PIPELINE_ECS_MAX_TASKS": "10",
        "PIPELINE_ECS_MAX_TASKS_PER_RUN": "10",
        "PIPELINE_MESSAGES_PER_TASK": "1",
        "PIPELINE_ECS_ASSIGN_PUBLIC_IP": "1",
        "PIPELINE_ECS_CAPACITY": "FARGATE",
    }
    for name, value in overrides.items():
        merged[Param[name]] = value
    return {name: value for name, value in merged.items() if value is not None}
