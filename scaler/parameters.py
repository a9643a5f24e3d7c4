"""The pipeline's SSM parameters: their names (the contract between stack, scaler and worker) and
the scaler's typed, validated reading of them.

Every parameter lives under the stack's path ``/<project>/<stack>/`` (``pipeline_spec.ssm_path``),
so two stacks in one account never collide. This module is plain Python with no dependencies: the
scaler Lambda ships it, and the Pulumi components and the local pipeline import it to write the
parameters, so there is one definition of the names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar


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


class Capacity(StrEnum):
    """Values of ``PIPELINE_ECS_CAPACITY``: the Fargate capacity provider the workers run on."""

    FARGATE = "FARGATE"
    FARGATE_SPOT = "FARGATE_SPOT"


MAX_SUBNETS = 16
"""awsvpcConfiguration.subnets: "All specified subnets must be from the same VPC. You can specify
up to 16 subnets." (ECS API reference, AwsVpcConfiguration)."""
MAX_SECURITY_GROUPS = 5
"""awsvpcConfiguration.securityGroups: "You can specify up to 5 security groups." (same page)."""

SCALER_PARAMS = (
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
"""The parameters the scaler needs. The container name and the destination bucket and prefix are
the worker's business (its task definition carries them), so their absence does not stop scaling."""

_TASK_DEFINITION_ARN = re.compile(
    r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/(?P<family>[A-Za-z0-9_-]{1,255}):\d+"
)
_CLUSTER = re.compile(r"[A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/\S+")
_SUBNET_ID = re.compile(r"subnet-[0-9a-zA-Z]+")
_SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-zA-Z]+")
_WHOLE_NUMBER = re.compile(r"[0-9]+")


class ParameterError(ValueError):
    """A pipeline parameter is missing or malformed. The run fails before doing anything."""

    def __init__(self, where: str, problems: Mapping[str, str]) -> None:
        self.names = tuple(problems)
        """The names of the parameters (or environment variable) at fault."""
        detail = "; ".join(f"{name} {problem}" for name, problem in problems.items())
        super().__init__(f"{where}: {detail}")


@dataclass(frozen=True)
class ScalerParameters:
    """The parameters the scaler acts on, parsed and checked."""

    queue_url: str
    cluster: str
    task_definition_arn: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool
    capacity: Capacity
    enabled: bool
    max_tasks: int
    max_tasks_per_run: int
    messages_per_task: int

    @property
    def task_family(self) -> str:
        """The task definition's family: the ListTasks filter for the pipeline's workers."""
        return task_family(self.task_definition_arn)


def task_family(task_definition_arn: str) -> str:
    """The family of ``arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>``."""
    match = _TASK_DEFINITION_ARN.fullmatch(task_definition_arn)
    if match is None:
        raise ValueError(f"{task_definition_arn!r} is not a task definition ARN with a revision")
    return match["family"]


def parse_ssm_path(value: str | None) -> str:
    """The stack's SSM path from ``PIPELINE_SSM_PATH``, with its trailing ``/``."""
    if value is None or not value.strip():
        raise ParameterError(
            "scaler environment", {SSM_PATH_ENV: "is not set: expected the stack's SSM path"}
        )
    path = value.strip()
    if not path.startswith("/"):
        raise ParameterError(
            "scaler environment",
            {SSM_PATH_ENV: f"is {path!r}: expected a path starting with '/', e.g. /project/stack/"},
        )
    return path if path.endswith("/") else f"{path}/"


T = TypeVar("T")


def parse_parameters(values: Mapping[str, str], path: str) -> ScalerParameters:
    """Check every parameter the scaler needs; raise one ParameterError naming each bad one.

    ``values`` maps a parameter's name within ``path`` to its value. All problems are reported at
    once, so an operator fixes a broken stack in one go rather than one parameter per run.
    """
    problems: dict[str, str] = {}

    def field(param: Param, parse: Callable[[str], T], fallback: T) -> T:
        raw = values.get(param)
        if raw is None:
            problems[param] = "is missing"
            return fallback
        try:
            return parse(raw.strip())
        except ValueError as error:
            problems[param] = f"is {raw!r}: {error}"
            return fallback

    parsed = ScalerParameters(
        queue_url=field(Param.UNPROCESSED_SQS_URL, _queue_url, ""),
        cluster=field(Param.ECS_CLUSTER, _cluster, ""),
        task_definition_arn=field(Param.ECS_TASK_DEFINITION, _task_definition_arn, ""),
        subnets=field(Param.ECS_TASK_SUBNET, _id_list(_SUBNET_ID, "subnet", MAX_SUBNETS), ()),
        security_groups=field(
            Param.ECS_TASK_SECURITYGROUP,
            _id_list(_SECURITY_GROUP_ID, "security group", MAX_SECURITY_GROUPS),
            (),
        ),
        assign_public_ip=field(Param.ECS_ASSIGN_PUBLIC_IP, _flag, False),
        capacity=field(Param.ECS_CAPACITY, _capacity, Capacity.FARGATE),
        enabled=field(Param.ENABLED, _flag, False),
        max_tasks=field(Param.ECS_MAX_TASKS, _positive_int, 1),
        max_tasks_per_run=field(Param.ECS_MAX_TASKS_PER_RUN, _positive_int, 1),
        messages_per_task=field(Param.MESSAGES_PER_TASK, _positive_int, 1),
    )
    if problems:
        raise ParameterError(f"SSM parameters under {path}", problems)
    return parsed


def _queue_url(text: str) -> str:
    if not text.startswith(("https://", "http://")):
        raise ValueError("expected the queue's URL, e.g. https://sqs.<region>.amazonaws.com/...")
    return text


def _cluster(text: str) -> str:
    if not _CLUSTER.fullmatch(text):
        raise ValueError("expected a cluster name (letters, digits, - and _) or a cluster ARN")
    return text


def _task_definition_arn(text: str) -> str:
    if _TASK_DEFINITION_ARN.fullmatch(text) is None:
        raise ValueError(
            "expected a task definition ARN with its revision, "
            "e.g. arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>"
        )
    return text


def _id_list(pattern: re.Pattern[str], kind: str, most: int) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        ids = tuple(item.strip() for item in text.split(",") if item.strip())
        if not ids or len(ids) > most:
            raise ValueError(f"expected 1 to {most} comma-separated {kind} ids")
        bad = [item for item in ids if not pattern.fullmatch(item)]
        if bad:
            raise ValueError(f"{', '.join(bad)} is not a {kind} id")
        return ids

    return parse


def _flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("expected 1 or 0")
    return text == "1"


def _capacity(text: str) -> Capacity:
    try:
        return Capacity(text)
    except ValueError:
        allowed = " or ".join(capacity.value for capacity in Capacity)
        raise ValueError(f"expected {allowed}") from None


def _positive_int(text: str) -> int:
    # A regex rather than int(): int() also takes "+5", "1_000" and non-ASCII digits.
    if not _WHOLE_NUMBER.fullmatch(text) or int(text) < 1:
        raise ValueError(
            "expected a whole number of at least 1 (to pause the pipeline, set "
            f"{Param.ENABLED} to 0)"
        )
    return int(text)
