"""The scaler's typed, validated reading of the parameters under the stack's SSM path.

The names, their encodings and the limits are the contract's (``contract.ssm``,
``contract.values``, ``contract.limits``); this module decides which the scaler needs and what a
usable value of each is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from contract.env import Env
from contract.limits import AWSVPC_MAX_SECURITY_GROUPS, AWSVPC_MAX_SUBNETS
from contract.ssm import Param, normalise_ssm_path
from contract.values import (
    SECURITY_GROUP_ID,
    SUBNET_ID,
    Capacity,
    parse_capacity,
    parse_flag,
    parse_id_list,
    parse_whole_number,
)
from scaler.launcher import LaunchSpec, started_by

_TASK_DEFINITION_ARN = re.compile(
    r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/(?P<family>[A-Za-z0-9_-]{1,255}):\d+"
)
_CLUSTER = re.compile(r"[A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/\S+")


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
    launch: LaunchSpec
    """Where and how tasks start: the cluster, task definition, capacity and network."""
    enabled: bool
    max_tasks: int
    max_tasks_per_run: int
    messages_per_task: int

    @property
    def task_family(self) -> str:
        """The task definition's family: the ListTasks filter for the pipeline's workers."""
        return task_family(self.launch.task_definition_arn)


def task_family(task_definition_arn: str) -> str:
    """The family of ``arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>``."""
    match = _TASK_DEFINITION_ARN.fullmatch(task_definition_arn)
    if match is None:
        raise ValueError(f"{task_definition_arn!r} is not a task definition ARN with a revision")
    return match["family"]


def parse_ssm_path(value: str | None) -> str:
    """The stack's SSM path from ``PIPELINE_SSM_PATH``, with its trailing ``/``."""
    try:
        return normalise_ssm_path(value or "")
    except ValueError as error:
        raise ParameterError("scaler environment", {Env.SSM_PATH: str(error)}) from None


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
        launch=LaunchSpec(
            cluster=field(Param.ECS_CLUSTER, _cluster, ""),
            task_definition_arn=field(Param.ECS_TASK_DEFINITION, _task_definition_arn, ""),
            capacity=field(Param.ECS_CAPACITY, parse_capacity, Capacity.FARGATE),
            subnets=field(Param.ECS_TASK_SUBNET, _subnets, ()),
            security_groups=field(Param.ECS_TASK_SECURITYGROUP, _security_groups, ()),
            assign_public_ip=field(Param.ECS_ASSIGN_PUBLIC_IP, parse_flag, False),
            started_by=started_by(path),
        ),
        enabled=field(Param.ENABLED, parse_flag, False),
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


def _subnets(text: str) -> tuple[str, ...]:
    return parse_id_list(text, SUBNET_ID, "subnet", AWSVPC_MAX_SUBNETS)


def _security_groups(text: str) -> tuple[str, ...]:
    return parse_id_list(text, SECURITY_GROUP_ID, "security group", AWSVPC_MAX_SECURITY_GROUPS)


def _positive_int(text: str) -> int:
    try:
        return parse_whole_number(text, minimum=1)
    except ValueError:
        raise ValueError(
            f"expected a whole number of at least 1 (to pause the pipeline, set {Param.ENABLED} "
            "to 0)"
        ) from None
