"""The local stack's settings: the stack config, validated exactly as ``pulumi up`` validates it,
plus the few knobs that only a pipeline on one machine has.

The config comes from ``contract.config`` (the same keys, defaults, Fargate size check and normal
forms as the stack); command-line options set config keys one by one, as ``pulumi config set``
would.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pipeline_spec
from contract.config import DEFAULTS, PipelineConfig, parse_config
from contract.ssm import PROJECT_NAME, ssm_path

STACK = "local"
LOCAL_IDLE_SECONDS = 5
"""Shorter than the worker's default of 20 s: here a task starts in a second, not a minute, so
idling longer saves no start-up, and a worker in a shorter long poll stops sooner on SIGTERM."""


def _field_name(key: str) -> str:
    """``maxTasksPerRun`` -> ``max_tasks_per_run``: a config key's PipelineConfig field."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


CONFIG_KEYS: Mapping[str, str] = {_field_name(key): key for key in DEFAULTS}
"""PipelineConfig field name -> the stack config key it is read from."""


@dataclass(frozen=True)
class LocalSettings:
    """What the local pipeline is built with."""

    config_values: Mapping[str, str] = field(default_factory=dict)
    """The config keys set for this run, as text (the rest take their defaults)."""
    config: PipelineConfig = field(init=False)
    # Local-only: the stack's schedule is minutes; here a run should take seconds.
    schedule_seconds: float = 3.0
    visibility_timeout: int = pipeline_spec.QUEUE_VISIBILITY_TIMEOUT_SECONDS
    idle_seconds: int = LOCAL_IDLE_SECONDS
    stack: str = STACK

    def __post_init__(self) -> None:
        # Raises contract.config.InvalidConfig, a ValueError naming every bad key.
        object.__setattr__(self, "config", parse_config(self.config_values))
        if self.schedule_seconds <= 0 or self.visibility_timeout < 1 or self.idle_seconds < 0:
            raise ValueError(
                "schedule_seconds and visibility_timeout must be positive, idle_seconds not "
                "negative"
            )

    @property
    def ssm_path(self) -> str:
        return ssm_path(self.stack)

    def resource_name(self, role: str) -> str:
        """``fargate-pipeline-local-<role>``: the stack's naming, with this stack's name."""
        return f"{PROJECT_NAME}-{self.stack}-{role}"

    def replace(self, **changes: Any) -> LocalSettings:
        """These settings with fields changed: a PipelineConfig field (``max_tasks=7``) sets its
        config key, anything else is a local knob (``schedule_seconds=1``)."""
        config_changes = {
            CONFIG_KEYS[name]: _config_text(value)
            for name, value in changes.items()
            if name in CONFIG_KEYS
        }
        local_changes = {name: value for name, value in changes.items() if name not in CONFIG_KEYS}
        return dataclasses.replace(
            self, config_values={**self.config_values, **config_changes}, **local_changes
        )


def _config_text(value: object) -> str:
    """A value as ``pulumi config`` hands it to the program."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return json.dumps(list(value))
    return str(value)
