"""The local stack is configured like a fresh stack: the project file's defaults, validated."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from local.settings import PROJECT_ROOT, LocalSettings, project_defaults


def test_defaults_are_the_project_files_declared_defaults() -> None:
    declared = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["config"]
    settings = project_defaults()
    assert settings.source_prefix == declared["sourcePrefix"]["default"]
    assert settings.source_suffix == declared["sourceSuffix"]["default"]
    assert settings.dest_prefix == declared["destPrefix"]["default"]
    assert settings.max_tasks == declared["maxTasks"]["default"]
    assert settings.messages_per_task == declared["messagesPerTask"]["default"]
    assert settings.target_size == declared["targetSize"]["default"]
    assert settings.resize_mode == declared["resizeMode"]["default"]


def test_defaults_follow_an_edited_project_file(tmp_path: Path) -> None:
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    project["config"]["maxTasks"]["default"] = 42
    project["config"]["useFargateSpot"]["default"] = True
    edited = tmp_path / "Pulumi.yaml"
    edited.write_text(yaml.safe_dump(project))
    settings = project_defaults(edited)
    assert settings.max_tasks == 42
    assert settings.capacity == "FARGATE_SPOT"


def test_the_local_stack_has_its_own_ssm_path_and_names() -> None:
    settings = project_defaults()
    assert settings.ssm_path == "/fargate-pipeline/local/"
    assert settings.resource_name("queue") == "fargate-pipeline-local-queue"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target_size": "0x224"}, "expected WxH"),
        ({"resize_mode": "squash"}, "stretch, crop, pad"),
        ({"max_tasks": 0}, "max_tasks must be at least 1"),
        ({"messages_per_task": 0}, "messages_per_task must be at least 1"),
    ],
)
def test_bad_settings_name_what_is_wrong(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        project_defaults().replace(**change)


def test_settings_are_immutable() -> None:
    settings = project_defaults()
    with pytest.raises(AttributeError):
        settings.max_tasks = 3  # type: ignore[misc]
    assert isinstance(settings, LocalSettings)
