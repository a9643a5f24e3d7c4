"""The scaler's EMF line: one per run on stdout, valid against the specification."""

from __future__ import annotations

import json

import pytest

from scaler import metrics
from scaler.handler import ScalerResult, run_scaler
from tests.support import emf
from tests.unit.scaler.factories import SSM_PATH
from tests.unit.scaler.test_handler import Stubbed, aws  # noqa: F401 - the fixture

STACK = frozenset({("Stack", "test")})


def published(document: dict[str, object]) -> dict[str, float]:
    emf.validate(document)
    found = list(emf.published(document))  # type: ignore[arg-type]
    assert {metric.dimensions for metric in found} == {STACK}
    assert {metric.namespace for metric in found} == {"fargate-pipeline"}
    return {metric.name: metric.value for metric in found}


def test_a_run_prints_one_line_of_what_it_saw_and_did(
    aws: Stubbed,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN 3 waiting and 2 in flight, 1 task running, and ECS placing one of the two asked for
    aws.expect_parameters()
    aws.expect_queue(visible=3, in_flight=2)
    aws.expect_running(1)
    aws.ecs.add_response(
        "run_task",
        {
            "tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/1"}],
            "failures": [{"reason": "RESOURCE:FARGATE"}],
        },
    )
    # WHEN the scaler runs
    result = run_scaler(aws.clients, SSM_PATH)
    # THEN stdout holds exactly one line: an EMF document of the run
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert published(json.loads(lines[0])) == {
        "QueueVisible": 3,
        "QueueInFlight": 2,
        "TasksRunning": 1,
        "TasksStarted": result["started"],
        "RunTaskFailures": 1,
    }
    assert result["started"] == 1


def test_a_run_with_a_bad_parameter_prints_no_metrics(
    aws: Stubbed,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws.expect_parameters(ECS_MAX_TASKS="ten")
    with pytest.raises(ValueError, match="PIPELINE_ECS_MAX_TASKS"):
        run_scaler(aws.clients, SSM_PATH)
    # The failed run is counted by Lambda's own Errors metric, which the alarm reads.
    assert capsys.readouterr().out == ""


def run_result(**overrides: object) -> ScalerResult:
    result = ScalerResult(
        enabled=True, visible=0, in_flight=0, running=0, max_tasks=10, max_tasks_per_run=10,
        messages_per_task=1, needed=0, requested=0, limited_by="no_backlog", started=0,
        failures=[], run_task_calls=0,
    )  # fmt: skip
    result.update(overrides)  # type: ignore[typeddict-item]
    return result


def test_the_document_carries_the_stack_of_the_path_and_the_run_time() -> None:
    lines: list[str] = []
    metrics.emit(
        run_result(running=2), "/fargate-pipeline/prod.eu/", write=lines.append, clock=lambda: 12.5
    )
    (document,) = [json.loads(line) for line in lines]
    emf.validate(document)
    assert document["Stack"] == "prod.eu"
    assert document["_aws"]["Timestamp"] == 12_500


@pytest.mark.parametrize(
    ("overrides", "printed"),
    [
        ({}, False),
        ({"enabled": False}, False),
        ({"visible": 1}, True),
        ({"in_flight": 1}, True),
        ({"running": 1}, True),
        ({"requested": 1}, True),
        ({"failures": ["RunTask for 1 tasks failed: throttled"]}, True),
    ],
)
def test_an_idle_run_prints_nothing(overrides: dict[str, object], printed: bool) -> None:
    # An idle stack publishes no custom metric, so it pays no metric charge.
    lines: list[str] = []
    metrics.emit(run_result(**overrides), "/fargate-pipeline/dev/", write=lines.append)
    assert len(lines) == (1 if printed else 0)
