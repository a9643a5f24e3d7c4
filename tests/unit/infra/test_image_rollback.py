"""Deploying the worker A, then B, then A again: a rollback must push, and tasks run its digest.

The tag comes from the content, so going back to A brings back A's tag; the rebuild of A is not
byte-identical, so its push moves the tag to a new digest. The mocks keep ECR's tags and
pulumi-docker's state across the runs, and refuse what ECR refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest

from components.worker_image import WorkerImage, WorkerImageArgs
from contract.config import CpuArchitecture
from tests.unit.infra.mocks import AwsMocks, Registry
from tests.unit.infra.program import run_program, stack_config


@pytest.fixture
def context(tmp_path: Path) -> Path:
    """GIVEN a project holding the image's packages."""
    (tmp_path / "worker").mkdir()
    (tmp_path / "contract").mkdir()
    (tmp_path / "worker" / "Dockerfile").write_text("FROM python:3.13-slim\n")
    (tmp_path / "worker" / "main.py").write_text("VERSION = 'A'\n")
    (tmp_path / "contract" / "ssm.py").write_text("NAME = 'PIPELINE_X'\n")
    return tmp_path


def _image_program(context: Path, architecture: CpuArchitecture) -> Callable[[], None]:
    def program() -> None:
        image = WorkerImage(
            "worker-image",
            WorkerImageArgs(
                repository_name="ecs-pipeline", context=context, cpu_architecture=architecture
            ),
        )
        pulumi.export("workerImage", image.image_digest)

    return program


def _deploy(registry: Registry, context: Path, architecture: CpuArchitecture) -> str:
    run = run_program(
        stack_config(),
        mocks=AwsMocks(registry=registry),
        program=_image_program(context, architecture),
    )
    digest: str = run.outputs["workerImage"]
    return digest


def test_rolling_the_worker_back_pushes_a_rebuild_and_runs_it(context: Path) -> None:
    registry = Registry()
    worker = context / "worker" / "main.py"

    # WHEN the worker goes A -> B -> A
    first_a = _deploy(registry, context, CpuArchitecture.X86_64)
    worker.write_text("VERSION = 'B'\n")
    b = _deploy(registry, context, CpuArchitecture.X86_64)
    worker.write_text("VERSION = 'A'\n")
    second_a = _deploy(registry, context, CpuArchitecture.X86_64)

    # THEN every deploy pushed, and the last one runs the rebuild of A, which its tag now names
    assert registry.pushes == 3
    assert len({first_a, b, second_a}) == 3
    [tags] = registry.tags.values()
    assert len(tags) == 2
    assert second_a in tags.values()
    assert first_a not in tags.values()


def test_switching_architecture_and_back_pushes_again(context: Path) -> None:
    registry = Registry()

    for architecture in (CpuArchitecture.X86_64, CpuArchitecture.ARM64, CpuArchitecture.X86_64):
        _deploy(registry, context, architecture)

    assert registry.pushes == 3


def test_an_unchanged_worker_is_not_pushed_again(context: Path) -> None:
    registry = Registry()

    first = _deploy(registry, context, CpuArchitecture.X86_64)
    again = _deploy(registry, context, CpuArchitecture.X86_64)

    assert registry.pushes == 1
    assert again == first
