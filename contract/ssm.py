"""The stack's registry: the SSM path of a stack and the parameter names under it.

Every parameter lives under ``/<project>/<stack>/`` so two stacks in one account never collide;
everything an operator's tool needs to find a stack's resources is under that path.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

PROJECT_NAME: Final = "fargate-pipeline"


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
    """A flag (``values.encode_flag``)."""
    ECS_MAX_TASKS = "PIPELINE_ECS_MAX_TASKS"
    ECS_MAX_TASKS_PER_RUN = "PIPELINE_ECS_MAX_TASKS_PER_RUN"
    MESSAGES_PER_TASK = "PIPELINE_MESSAGES_PER_TASK"
    ECS_ASSIGN_PUBLIC_IP = "PIPELINE_ECS_ASSIGN_PUBLIC_IP"
    """A flag (``values.encode_flag``)."""
    ECS_CAPACITY = "PIPELINE_ECS_CAPACITY"
    """A ``values.Capacity``."""
    S3_SOURCE_BUCKET = "PIPELINE_S3_SOURCE_BUCKET"
    """The bucket uploads land in: what ``python -m ops backfill`` lists."""
    S3_SOURCE_PREFIX = "PIPELINE_S3_SOURCE_PREFIX"
    """The notification's prefix; may be empty (every key)."""
    S3_SOURCE_SUFFIXES = "PIPELINE_S3_SOURCE_SUFFIXES"
    """Comma-separated notification suffixes; absent means every key under the prefix."""
    DLQ_URL = "PIPELINE_DLQ_URL"
    """Absent when the user brought their own queue (its DLQ, if any, is theirs)."""


def ssm_path(stack: str, project: str = PROJECT_NAME) -> str:
    """The stack's SSM path, with its trailing ``/``: ``/fargate-pipeline/dev/``."""
    return f"/{project}/{stack}/"


def normalise_ssm_path(text: str) -> str:
    """An SSM path as given in ``PIPELINE_SSM_PATH``: starting with ``/``, given its trailing
    ``/`` when it lacks one."""
    path = text.strip()
    if not path:
        raise ValueError("is not set: expected the stack's SSM path, e.g. /fargate-pipeline/dev/")
    if not path.startswith("/"):
        raise ValueError(f"is {path!r}: expected a path starting with '/', e.g. /project/stack/")
    return path if path.endswith("/") else f"{path}/"
