"""The scaler Lambda, its code archive, its log group and its schedule."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pulumi
import pytest

from components.queue_scaler import (
    LAMBDA_MAX_TIMEOUT_SECONDS,
    MAX_EVENT_AGE_SECONDS,
    PACKAGES,
    scaler_timeout_seconds,
)
from components.sources import python_packages_archive
from contract.env import Env
from tests.support.imports import imported_modules
from tests.unit.infra import types as t
from tests.unit.infra.mocks import AwsMocks, physical_name, role_arn
from tests.unit.infra.program import ROOT, StackRun, run_program, stack_config

# What the Lambda runtime provides besides the archive: the standard library and boto3.
RUNTIME_PACKAGES = {"boto3", "botocore"}


def _shipped_sources() -> dict[str, Path]:
    return {
        path.relative_to(ROOT).as_posix(): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }


def test_function_runs_the_handler_on_python_3_13_without_reserving_concurrency(
    default_run: StackRun,
) -> None:
    function = default_run.one(t.FUNCTION).inputs

    assert function["runtime"] == "python3.13"
    assert function["handler"] == "scaler.handler.handler"
    assert function["role"] == role_arn("scaler-role")
    # the mocks' account is a new one (concurrency quota 10), which refuses any reservation
    assert "reservedConcurrentExecutions" not in function
    # 30 s base, one RunTask call (5 s) and one ListTasks page (1 s) for 10 tasks
    assert function["timeout"] == 36
    assert function["loggingConfig"]["logGroup"] == "/fargate-pipeline/dev/scaler"
    assert default_run.outputs["scalerFunctionName"] == physical_name("scaler-function")


def test_lambda_env_carries_exactly_the_ssm_path(default_run: StackRun) -> None:
    function = default_run.one(t.FUNCTION).inputs

    assert function["environment"] == {"variables": {Env.SSM_PATH: "/fargate-pipeline/dev/"}}


def test_code_archive_is_every_python_source_of_the_scaler_and_the_contract(
    default_run: StackRun,
) -> None:
    code = default_run.one(t.FUNCTION).inputs["code"]
    assert isinstance(code, pulumi.AssetArchive)

    expected = _shipped_sources()
    assert {"scaler/handler.py", "contract/ssm.py", "contract/values.py"} <= set(expected)
    assert set(code.assets) == set(expected)
    for name, asset in code.assets.items():
        assert isinstance(asset, pulumi.FileAsset)
        assert Path(asset.path) == expected[name]


def test_code_archive_leaves_out_caches_and_other_files(tmp_path: Path) -> None:
    # GIVEN a package with a bytecode cache, a nested module and a non-Python file
    package = tmp_path / "scaler"
    (package / "__pycache__").mkdir(parents=True)
    (package / "sub").mkdir()
    (package / "__init__.py").write_text("")
    (package / "sub" / "mod.py").write_text("x = 1\n")
    (package / "__pycache__" / "mod.cpython-313.py").write_text("")
    (package / "notes.txt").write_text("not shipped")

    archive = python_packages_archive(tmp_path, ("scaler",))

    assert set(archive.assets) == {"scaler/__init__.py", "scaler/sub/mod.py"}


def test_import_scan_sees_every_form_of_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import os\nimport json, boto3.session\nfrom pipeline_spec import X\n"
        "from . import sibling\nif True:\n    from worker.env import Env\n"
    )
    assert imported_modules(module) == {"os", "json", "boto3", "pipeline_spec", "worker"}


def test_the_archive_needs_nothing_the_lambda_runtime_lacks() -> None:
    # The archive holds only PACKAGES: an import of pipeline_spec or worker would fail in Lambda.
    for path in _shipped_sources().values():
        outside = imported_modules(path) - set(sys.stdlib_module_names) - RUNTIME_PACKAGES
        assert outside <= {*PACKAGES, "__future__"}, f"{path} imports {outside}"


def test_handler_named_in_the_function_exists() -> None:
    module = importlib.import_module("scaler.handler")
    assert callable(module.handler)


def test_failed_or_late_runs_are_dropped_not_retried(default_run: StackRun) -> None:
    async_config = default_run.one(t.ASYNC_CONFIG).inputs
    assert async_config["functionName"] == default_run.outputs["scalerFunctionName"]
    assert async_config["maximumRetryAttempts"] == 0
    assert async_config["maximumEventAgeInSeconds"] == MAX_EVENT_AGE_SECONDS

    schedule = default_run.one(t.SCHEDULE).inputs
    assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}
    assert schedule["target"]["retryPolicy"] == {
        "maximumRetryAttempts": 0,
        "maximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
    }


def test_schedule_invokes_the_function_with_its_own_role(default_run: StackRun) -> None:
    schedule = default_run.one(t.SCHEDULE).inputs

    assert schedule["scheduleExpression"] == "rate(2 minutes)"
    function_name = default_run.outputs["scalerFunctionName"]
    assert schedule["target"]["arn"].endswith(f":function:{function_name}")
    assert schedule["target"]["roleArn"] == role_arn("scaler-schedule-role")
    assert schedule["target"]["roleArn"] != default_run.one(t.FUNCTION).inputs["role"]


def test_schedule_expression_comes_from_config() -> None:
    run = run_program(stack_config({"scheduleExpression": "rate(1 minute)"}))

    assert run.one(t.SCHEDULE).inputs["scheduleExpression"] == "rate(1 minute)"


@pytest.mark.parametrize(
    ("max_tasks", "per_run", "timeout"),
    [(10, 10, 36), (100, 100, 81), (1000, 1000, 540), (100_000, 100_000, 900)],
)
def test_timeout_grows_with_the_fan_out_up_to_lambdas_limit(
    max_tasks: int, per_run: int, timeout: int
) -> None:
    assert scaler_timeout_seconds(max_tasks, per_run, 86_400) == timeout
    assert scaler_timeout_seconds(max_tasks, per_run, 86_400) <= LAMBDA_MAX_TIMEOUT_SECONDS


@pytest.mark.parametrize(
    ("schedule", "settings", "timeout"),
    [
        ("rate(1 minute)", {}, 30),
        ("cron(0/5 * * * ? *)", {}, 30),
        ("rate(2 minutes)", {}, 36),
        ("rate(2 minutes)", {"maxTasks": 1000, "maxTasksPerRun": 1000}, 60),
        ("rate(20 minutes)", {"maxTasks": 1000, "maxTasksPerRun": 1000}, 540),
    ],
)
def test_a_run_is_over_within_half_the_schedule_interval(
    schedule: str, settings: dict[str, int], timeout: int
) -> None:
    # so two on-time runs never overlap, and a run delivered up to half an interval late does
    # not either; a longer fan-out is carried on by the next runs
    run = run_program(stack_config({"scheduleExpression": schedule, **settings}))

    assert run.one(t.FUNCTION).inputs["timeout"] == timeout


def test_reserved_concurrency_is_opt_in_and_needs_an_account_with_room_for_it() -> None:
    config = stack_config({"scalerReservedConcurrency": True})
    # GIVEN a new account (Lambda concurrency quota 10) THEN AWS refuses the reservation
    with pytest.raises(Exception, match="below its minimum value of \\[10\\]"):
        run_program(config)
    # GIVEN an account whose quota was raised THEN the function reserves one execution
    run = run_program(config, mocks=AwsMocks(lambda_concurrency_quota=1000))
    assert run.one(t.FUNCTION).inputs["reservedConcurrentExecutions"] == 1
