"""The project file declares the whole stack-config contract, so the stack documents itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# The contract's keys (ARCHITECTURE.md, "Stack config") and their types.
CONTRACT_KEYS = {
    "sourceBucket": "string",
    "destBucket": "string",
    "destPrefix": "string",
    "sourcePrefix": "string",
    "sourceSuffixes": "array",
    "queueName": "string",
    "subnetIds": "array",
    "securityGroupIds": "array",
    "assignPublicIp": "boolean",
    "maxTasks": "integer",
    "maxTasksPerRun": "integer",
    "messagesPerTask": "integer",
    "scheduleExpression": "string",
    "enabled": "boolean",
    "taskCpu": "integer",
    "taskMemory": "integer",
    "cpuArchitecture": "string",
    "useFargateSpot": "boolean",
    "repositoryName": "string",
    "targetSize": "string",
    "resizeMode": "string",
    "scalerReservedConcurrency": "boolean",
}

CONTRACT_DEFAULTS = {
    "destPrefix": "processed",
    "sourcePrefix": "ecsproc/",
    # every suffix the worker decodes (JPEG, PNG, WebP, GIF, BMP), in lower and upper case
    "sourceSuffixes": [
        *(".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"),
        *(".JPG", ".JPEG", ".PNG", ".WEBP", ".GIF", ".BMP"),
    ],
    "assignPublicIp": True,
    "maxTasks": 10,
    "maxTasksPerRun": 10,
    "messagesPerTask": 1,
    "scheduleExpression": "rate(2 minutes)",
    "enabled": True,
    "cpuArchitecture": "X86_64",
    "useFargateSpot": False,
    "repositoryName": "ecs-pipeline",
    "targetSize": "224x224",
    "resizeMode": "stretch",
    "scalerReservedConcurrency": False,
}

PYTHON_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list}


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    return loaded


def test_project_runs_python_in_the_venv_pulumi_manages(project: dict[str, Any]) -> None:
    assert project["name"] == "fargate-pipeline"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }


@pytest.mark.parametrize(("key", "kind"), sorted(CONTRACT_KEYS.items()))
def test_every_contract_key_is_declared_with_type_description_and_default(
    project: dict[str, Any], key: str, kind: str
) -> None:
    declared = project["config"][key]
    assert declared["type"] == kind, key
    assert declared["description"].strip(), key
    assert "default" in declared, f"{key} has no default, so an unset stack would fail"
    assert isinstance(declared["default"], PYTHON_TYPES[kind]), key
    if kind == "array":
        assert declared["items"] == {"type": "string"}, key


@pytest.mark.parametrize(("key", "default"), sorted(CONTRACT_DEFAULTS.items()))
def test_defaults_match_the_contract(project: dict[str, Any], key: str, default: object) -> None:
    assert project["config"][key]["default"] == default


def test_example_stack_sets_only_declared_keys(project: dict[str, Any]) -> None:
    example = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    for key in example:
        namespace, _, name = key.partition(":")
        assert namespace == "aws" or name in project["config"], key
