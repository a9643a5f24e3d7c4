"""The local stack's settings: the project's declared config defaults, plus local-only knobs.

The defaults are read from ``Pulumi.yaml`` — the same schema ``pulumi up`` applies to an unset
stack — so the pipeline run here is configured like a fresh stack, not by a second copy of the
numbers. Command-line options override them one by one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import pipeline_spec
from contract.ssm import PROJECT_NAME, ssm_path
from contract.values import Capacity, parse_resize_mode, parse_target_size

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STACK = "local"
LOCAL_IDLE_SECONDS = 5
"""Shorter than the worker's default of 20 s: here a task starts in a second, not a minute, so
idling longer saves no start-up, and a worker in a shorter long poll stops sooner on SIGTERM."""


@dataclass(frozen=True)
class LocalSettings:
    """What the local pipeline is built with. Field names follow the stack config keys."""

    source_prefix: str
    source_suffix: str
    dest_prefix: str
    max_tasks: int
    max_tasks_per_run: int
    messages_per_task: int
    enabled: bool
    target_size: str
    resize_mode: str
    task_cpu: int
    task_memory: int
    use_fargate_spot: bool
    assign_public_ip: bool
    max_receive_count: int
    # Local-only: the stack's schedule is minutes; here a run should take seconds.
    schedule_seconds: float = 3.0
    visibility_timeout: int = pipeline_spec.QUEUE_VISIBILITY_TIMEOUT_SECONDS
    idle_seconds: int = LOCAL_IDLE_SECONDS
    stack: str = STACK

    def __post_init__(self) -> None:
        parse_target_size(self.target_size)
        parse_resize_mode(self.resize_mode)
        for name in ("max_tasks", "max_tasks_per_run", "messages_per_task", "max_receive_count"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.schedule_seconds <= 0 or self.visibility_timeout < 1:
            raise ValueError("schedule_seconds and visibility_timeout must be positive")

    @property
    def capacity(self) -> Capacity:
        return Capacity.FARGATE_SPOT if self.use_fargate_spot else Capacity.FARGATE

    @property
    def ssm_path(self) -> str:
        return ssm_path(self.stack)

    def resource_name(self, role: str) -> str:
        """``fargate-pipeline-local-<role>``: the stack's naming, with this stack's name."""
        return f"{PROJECT_NAME}-{self.stack}-{role}"

    def replace(self, **changes: Any) -> LocalSettings:
        return dataclasses.replace(self, **changes)


def project_defaults(project_file: Path = PROJECT_ROOT / "Pulumi.yaml") -> LocalSettings:
    """Settings of a fresh stack: every default declared in the project's config schema."""
    declared = yaml.safe_load(project_file.read_text())["config"]

    def default(key: str) -> Any:
        return declared[key]["default"]

    return LocalSettings(
        source_prefix=default("sourcePrefix"),
        source_suffix=default("sourceSuffix"),
        dest_prefix=default("destPrefix"),
        max_tasks=default("maxTasks"),
        max_tasks_per_run=default("maxTasksPerRun"),
        messages_per_task=default("messagesPerTask"),
        enabled=default("enabled"),
        target_size=default("targetSize"),
        resize_mode=default("resizeMode"),
        task_cpu=default("taskCpu"),
        task_memory=default("taskMemory"),
        use_fargate_spot=default("useFargateSpot"),
        assign_public_ip=default("assignPublicIp"),
        max_receive_count=default("maxReceiveCount"),
    )
