"""The Fargate stand-in turns the emulated cluster's tasks into real processes, and back."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.fargate import FargateStandIn, LineSink

# A worker stand-in: prints what it was given, then behaves as FAKE_BEHAVIOUR says.
FAKE_WORKER = """
import os, signal, sys, time
print("queue=" + os.environ["PIPELINE_UNPROCESSED_SQS_URL"], flush=True)
behaviour = os.environ.get("FAKE_BEHAVIOUR", "")
if behaviour.startswith("exit:"):
    sys.exit(int(behaviour[5:]))
if behaviour == "ignore-sigterm":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *_: (print("got SIGTERM", flush=True), sys.exit(0)))
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def ecs(mocked_aws: None) -> Any:
    client = boto3.client("ecs")
    client.create_cluster(clusterName="cluster")
    return client


def _task_definition(ecs: Any, behaviour: str, stop_timeout: int = 30) -> str:
    arn: str = ecs.register_task_definition(
        family="worker",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "worker",
                "image": "unused",
                "memory": 512,
                "stopTimeout": stop_timeout,
                "environment": [
                    {"name": "PIPELINE_UNPROCESSED_SQS_URL", "value": "https://queue.example"},
                    {"name": "FAKE_BEHAVIOUR", "value": behaviour},
                ],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    return arn


def _run_task(ecs: Any, definition: str) -> str:
    # moto places Fargate tasks only in a subnet and security group it knows.
    ec2 = boto3.client("ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}}
    arn: str = ecs.run_task(
        cluster="cluster",
        taskDefinition=definition,
        launchType="FARGATE",
        networkConfiguration=network,
    )["tasks"][0]["taskArn"]
    return arn


@pytest.fixture
def lines() -> list[tuple[str, str]]:
    """What the workers printed, as (task id, line), in order."""
    return []


@pytest.fixture
def make_stand_in(
    ecs: Any, tmp_path: Path, lines: list[tuple[str, str]]
) -> Iterator[Callable[..., FargateStandIn]]:
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER)
    created: list[FargateStandIn] = []

    def make(sink: LineSink | None = None) -> FargateStandIn:
        stand_in = FargateStandIn(
            ecs=ecs,
            cluster="cluster",
            family="worker",
            command=[sys.executable, str(script)],
            environment={"PATH": os.environ.get("PATH", "")},
            working_directory=tmp_path,
            log_directory=tmp_path,
            sink=sink or (lambda task, line: lines.append((task, line))),
        )
        created.append(stand_in)
        return stand_in

    yield make
    for stand_in in created:
        stand_in.shutdown()


def _desired_status(ecs: Any, task_arn: str) -> str:
    status: str = ecs.describe_tasks(cluster="cluster", tasks=[task_arn])["tasks"][0][
        "desiredStatus"
    ]
    return status


def test_running_task_gets_a_process_with_the_task_definitions_environment(
    ecs: Any,
    make_stand_in: Callable[..., FargateStandIn],
    lines: list[tuple[str, str]],
    tmp_path: Path,
) -> None:
    # GIVEN a task the scaler started
    task = _run_task(ecs, _task_definition(ecs, behaviour="wait"))
    stand_in = make_stand_in()
    # WHEN the stand-in reconciles
    stand_in.reconcile()
    # THEN one process runs for it, with the container's environment, its output logged per task
    assert [worker.task_arn for worker in stand_in.running] == [task]
    # (the output pump writes each line to the log file before passing it to the sink)
    _wait_for(lambda: any(line == "ready" for _, line in lines))
    log = (tmp_path / f"task-{task.rsplit('/', 1)[-1]}.log").read_text()
    assert "queue=https://queue.example" in log
    # AND reconciling again starts nothing new
    stand_in.reconcile()
    assert stand_in.tasks_started == 1


def test_process_exit_stops_its_task_with_the_exit_code(
    ecs: Any, make_stand_in: Callable[..., FargateStandIn]
) -> None:
    task = _run_task(ecs, _task_definition(ecs, behaviour="exit:3"))
    stand_in = make_stand_in()
    stand_in.reconcile()
    _wait_for(lambda: not stand_in.running)
    stand_in.reconcile()
    assert stand_in.exit_codes == {task: 3}
    assert _desired_status(ecs, task) == "STOPPED"
    stopped = ecs.describe_tasks(cluster="cluster", tasks=[task])["tasks"][0]
    assert "code 3" in stopped["stoppedReason"]


def test_a_task_ends_once_its_last_line_is_delivered(
    ecs: Any, make_stand_in: Callable[..., FargateStandIn]
) -> None:
    # GIVEN a worker that prints a line and exits at once, and a sink slow to take each line
    delivered: list[str] = []

    def slow_sink(task: str, line: str) -> None:
        time.sleep(0.5)
        delivered.append(line)

    task = _run_task(ecs, _task_definition(ecs, behaviour="exit:0"))
    stand_in = make_stand_in(sink=slow_sink)
    stand_in.reconcile()
    _wait_for(lambda: not stand_in.running)
    # WHEN the stand-in finds the process gone
    stand_in.reconcile()
    # THEN its exit is recorded and its task stopped only with its output all delivered
    assert stand_in.exit_codes == {task: 0}
    assert delivered == ["queue=https://queue.example"]
    assert _desired_status(ecs, task) == "STOPPED"


def test_stopping_a_task_sends_sigterm_to_its_process(
    ecs: Any, make_stand_in: Callable[..., FargateStandIn], lines: list[tuple[str, str]]
) -> None:
    task = _run_task(ecs, _task_definition(ecs, behaviour="wait"))
    stand_in = make_stand_in()
    stand_in.reconcile()
    _wait_for(lambda: any(line == "ready" for _, line in lines))
    # WHEN someone stops the task (scale-in, Spot interruption, the operator)
    ecs.stop_task(cluster="cluster", task=task, reason="spot interruption")
    stand_in.reconcile()
    # THEN its worker gets SIGTERM and exits 0
    _wait_for(lambda: not stand_in.running)
    stand_in.reconcile()
    assert stand_in.exit_codes == {task: 0}
    assert any(line == "got SIGTERM" for _, line in lines)


def test_a_process_ignoring_sigterm_is_killed_after_the_stop_timeout(
    ecs: Any, make_stand_in: Callable[..., FargateStandIn], lines: list[tuple[str, str]]
) -> None:
    task = _run_task(ecs, _task_definition(ecs, behaviour="ignore-sigterm", stop_timeout=1))
    stand_in = make_stand_in()
    stand_in.reconcile()
    _wait_for(lambda: any(line == "ready" for _, line in lines))
    stand_in.shutdown()
    assert not stand_in.running
    assert stand_in.exit_codes[task] == -9
