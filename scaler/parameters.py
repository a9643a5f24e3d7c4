"""Names of the pipeline's SSM parameters: the contract between stack, scaler and worker.

Every parameter lives under the stack's path ``/<project>/<stack>/`` (``pipeline_spec.ssm_path``),
so two stacks in one account never collide. This module is plain Python with no dependencies: the
scaler Lambda ships it, and the Pulumi components and the local pipeline import it to write the
parameters, so there is one definition of the names.
"""

from __future__ import annotations

from enum import StrEnum


class Param(StrEnum):
    """The parameters under the stack's SSM path; the value is the parameter's name in the path."""

    UNPROCESSED_SQS_URL = "PIPELINE_UNPROCESSED_SQS_URL"
    ECS_CLUSTER = "PIPELINE_ECS_CLUSTER"
    """The cluster's name."""
    ECS_TASK_CONTAINER = "PIPELINE_ECS_TASK_CONTAINER"
    ECS_TASK_DEFINITION = "PIPELINE_ECS_TASK_DEFINITION"
    """The task definition's ARN, with its revision."""
    ECS_TASK_SECURITYGROUP = "PIPELINE_ECS_TASK_SECURITYGROUP"
    """Comma-separated security group ids."""
    ECS_TASK_SUBNET = "PIPELINE_ECS_TASK_SUBNET"
    """Comma-separated subnet ids."""
    S3_DEST_BUCKET = "PIPELINE_S3_DEST_BUCKET"
    S3_DEST_PREFIX = "PIPELINE_S3_DEST_PREFIX"
    ENABLED = "PIPELINE_ENABLED"
    """``1`` or ``0``."""
    ECS_MAX_TASKS = "PIPELINE_ECS_MAX_TASKS"
    ECS_MAX_TASKS_PER_RUN = "PIPELINE_ECS_MAX_TASKS_PER_RUN"
    MESSAGES_PER_TASK = "PIPELINE_MESSAGES_PER_TASK"
    ECS_ASSIGN_PUBLIC_IP = "PIPELINE_ECS_ASSIGN_PUBLIC_IP"
    """``1`` or ``0``."""
    ECS_CAPACITY = "PIPELINE_ECS_CAPACITY"
    """``FARGATE`` or ``FARGATE_SPOT``."""


SSM_PATH_ENV = "PIPELINE_SSM_PATH"
"""Environment variable with the stack's SSM path, trailing ``/`` included (scaler and worker)."""
