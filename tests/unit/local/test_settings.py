"""The local stack is configured like a fresh stack: the stack config's defaults and checks."""

from __future__ import annotations

import pytest

from contract.config import InvalidConfig
from contract.formats import DEFAULT_SOURCE_SUFFIXES
from contract.values import Capacity, ResizeMode
from local.settings import LocalSettings


def test_an_unchanged_local_stack_has_the_stacks_defaults() -> None:
    config = LocalSettings().config
    assert (config.source_prefix, config.dest_prefix) == ("ecsproc/", "processed")
    assert config.source_suffixes == tuple(DEFAULT_SOURCE_SUFFIXES)
    assert (config.max_tasks, config.max_tasks_per_run, config.messages_per_task) == (10, 10, 1)
    assert (config.target_size, config.resize_mode) == ("224x224", ResizeMode.STRETCH)
    assert (config.task_cpu, config.task_memory, config.capacity) == (1024, 2048, Capacity.FARGATE)


def test_a_change_sets_its_config_key_and_is_normalised_like_the_stacks() -> None:
    settings = LocalSettings().replace(
        max_tasks=42, use_fargate_spot=True, target_size=" 299X299 ", schedule_seconds=1.0
    )
    assert settings.config.max_tasks == 42
    assert settings.config.capacity is Capacity.FARGATE_SPOT
    assert settings.config.target_size == "299x299"
    assert settings.schedule_seconds == 1.0
    assert settings.config_values == {
        "maxTasks": "42",
        "useFargateSpot": "true",
        "targetSize": " 299X299 ",
    }


def test_the_local_stack_has_its_own_ssm_path_and_names() -> None:
    settings = LocalSettings()
    assert settings.ssm_path == "/fargate-pipeline/local/"
    assert settings.resource_name("queue") == "fargate-pipeline-local-queue"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target_size": "0x224"}, "targetSize = '0x224': '0x224' is not a size: expected WxH"),
        ({"resize_mode": "squash"}, "resizeMode = 'squash': .* stretch, crop, pad"),
        ({"max_tasks": 0}, "maxTasks = '0': expected a whole number of at least 1"),
        ({"messages_per_task": 0}, "messagesPerTask = '0': expected a whole number"),
        # the same Fargate size check as the stack
        ({"task_cpu": 256, "task_memory": 4096}, "taskCpu 256 allows 512, 1024 or 2048 MiB"),
    ],
)
def test_bad_settings_name_the_config_key_and_what_is_wrong(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidConfig, match=message):
        LocalSettings().replace(**change)


def test_bad_local_knobs_are_rejected() -> None:
    with pytest.raises(ValueError, match="schedule_seconds and visibility_timeout"):
        LocalSettings().replace(schedule_seconds=0)


def test_settings_are_immutable() -> None:
    settings = LocalSettings()
    with pytest.raises(AttributeError):
        settings.schedule_seconds = 3  # type: ignore[misc]
