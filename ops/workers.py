"""What the stack's worker tasks are, from their task definition: one request, not one per file.

The report needs what they write for each file (sizes, output format) and what a task costs to
run (its vCPUs, memory and architecture, and how long it idles before it exits).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from contract.config import CpuArchitecture
from contract.env import DEFAULT_IDLE_SECONDS, DEFAULT_OUTPUT_FORMAT, DEFAULT_TARGET_SIZE, Env
from contract.layout import output_keys
from contract.ssm import Param
from contract.values import (
    OutputFormat,
    parse_output_format,
    parse_seconds,
    parse_target_sizes,
    parse_whole_number,
)
from ops.clients import Clients
from ops.errors import OpsError
from ops.stack import Stack

CPU_UNITS_PER_VCPU = 1024
MIB_PER_GIB = 1024

T = TypeVar("T")


@dataclass(frozen=True)
class OutputLayout:
    """What the stack's workers write for each file: their sizes and output format."""

    sizes: tuple[tuple[int, int], ...]
    output_format: OutputFormat

    def keys(self, prefix: str, key: str) -> str:
        return json.dumps(list(output_keys(prefix, key, self.sizes, self.output_format)))


@dataclass(frozen=True)
class TaskSize:
    vcpus: float
    memory_gib: float
    architecture: CpuArchitecture
    idle_seconds: float
    """How long a task waits on an empty queue before it exits (billed, after its last file)."""


@dataclass(frozen=True)
class WorkerTasks:
    layout: OutputLayout
    size: TaskSize


def describe_workers(clients: Clients, stack: Stack) -> WorkerTasks:
    """The workers' task definition, the one place the stack sets all of this."""
    arn = stack.require(Param.ECS_TASK_DEFINITION)
    definition = clients.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    environment = {
        variable["name"]: variable["value"]
        for container in definition["containerDefinitions"]
        for variable in container.get("environment", [])
    }
    try:
        return WorkerTasks(_layout(environment), _size(definition, environment))
    except ValueError as error:
        raise OpsError(f"stack {stack.name!r}: the worker task definition's {error}") from None


def _layout(environment: dict[str, str]) -> OutputLayout:
    return OutputLayout(
        _parsed(environment, Env.TARGET_SIZE, DEFAULT_TARGET_SIZE, parse_target_sizes),
        _parsed(environment, Env.OUTPUT_FORMAT, DEFAULT_OUTPUT_FORMAT.value, parse_output_format),
    )


def _size(definition: dict[str, Any], environment: dict[str, str]) -> TaskSize:
    cpu = parse_whole_number(_field(definition, "cpu"), minimum=1)
    memory = parse_whole_number(_field(definition, "memory"), minimum=1)
    platform = definition.get("runtimePlatform") or {}
    named = platform.get("cpuArchitecture") or CpuArchitecture.X86_64.value
    try:
        architecture = CpuArchitecture(named)
    except ValueError:
        allowed = ", ".join(CpuArchitecture)
        raise ValueError(f"cpuArchitecture {named!r} is not one of {allowed}") from None
    idle = _parsed(environment, Env.IDLE_SECONDS, str(DEFAULT_IDLE_SECONDS), parse_seconds)
    return TaskSize(
        vcpus=cpu / CPU_UNITS_PER_VCPU,
        memory_gib=memory / MIB_PER_GIB,
        architecture=architecture,
        idle_seconds=idle,
    )


def _field(definition: dict[str, Any], name: str) -> str:
    value = definition.get(name)
    if not value:
        raise ValueError(f"task-level {name} is not set (Fargate requires it)")
    return str(value)


def _parsed(environment: dict[str, str], name: Env, default: str, parse: Callable[[str], T]) -> T:
    text = environment.get(name, default)
    try:
        return parse(text)
    except ValueError as error:
        raise ValueError(f"{name} {text!r}: {error}") from None
