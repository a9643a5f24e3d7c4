"""A stand-in for Fargate: one real worker process per RUNNING task of the emulated cluster.

The scaler starts tasks with ECS RunTask against the emulator; this reconciler makes them real.
Each RUNNING task of the worker family that has no process yet gets one, started with the task
definition's container environment (plus the container overrides of the task) and the emulator's
AWS environment. When a process exits, its task is stopped with the exit code as the reason, so the
scaler's count of running tasks stays true. When a task is stopped by someone else (scale-in, a
Spot interruption, the operator), its process gets SIGTERM and, after the container's stop
timeout, SIGKILL — as ECS does.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pipeline_spec

logger = logging.getLogger(__name__)

LineSink = Callable[[str, str], None]
"""Receives (task id, line) for each line a worker prints, when output is streamed."""
OUTPUT_DRAIN_SECONDS = 5.0
"""How long an exited worker's last lines may take to reach its log (they are already in the pipe;
only a process that handed the pipe to a child of its own keeps it open longer)."""


@dataclass
class WorkerProcess:
    """A task's worker process and what the stand-in knows about it."""

    task_arn: str
    process: subprocess.Popen[bytes]
    log_path: Path
    stop_timeout: float
    output_pump: threading.Thread
    """Copies the process's output to its log (and sink) until the pipe closes."""
    started_at: float = field(default_factory=time.monotonic)
    sigterm_at: float | None = None

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]


class FargateStandIn:
    """Reconciles the emulated cluster's RUNNING tasks with real ``python -m worker`` processes."""

    def __init__(
        self,
        *,
        ecs: Any,
        cluster: str,
        family: str,
        command: Sequence[str],
        environment: Mapping[str, str],
        working_directory: Path,
        log_directory: Path,
        sink: LineSink | None = None,
    ) -> None:
        self._ecs = ecs
        self._cluster = cluster
        self._family = family
        self._command = list(command)
        self._environment = dict(environment)
        self._working_directory = working_directory
        self._log_directory = log_directory
        self._sink = sink
        self._processes: dict[str, WorkerProcess] = {}
        self._finished: dict[str, int] = {}
        self._container_cache: dict[str, dict[str, Any]] = {}

    @property
    def running(self) -> list[WorkerProcess]:
        """Worker processes that have not exited yet."""
        return [worker for worker in self._processes.values() if worker.process.poll() is None]

    @property
    def tasks_started(self) -> int:
        return len(self._processes)

    @property
    def exit_codes(self) -> dict[str, int]:
        """Exit code of every finished worker, by task ARN."""
        return dict(self._finished)

    def reconcile(self) -> None:
        """Start processes for new tasks, stop tasks whose process ended, SIGTERM stopped tasks."""
        running_tasks = set(self._list_running_tasks())
        for task_arn in sorted(running_tasks - self._processes.keys()):
            self._start(task_arn)
        now = time.monotonic()
        for task_arn, worker in self._processes.items():
            exit_code = worker.process.poll()
            if exit_code is not None:
                if task_arn not in self._finished:
                    # A task ends with its log complete: what reads the log after the task is
                    # stopped (or its exit code is known) sees the worker's last line.
                    worker.output_pump.join(timeout=OUTPUT_DRAIN_SECONDS)
                    self._finished[task_arn] = exit_code
                    self._stop_task(task_arn, f"Essential container exited with code {exit_code}")
            elif task_arn not in running_tasks:
                self._terminate(worker, now)

    def shutdown(self) -> None:
        """Stop every task as ECS would: SIGTERM, then SIGKILL after the stop timeout."""
        for worker in self.running:
            self._stop_task(worker.task_arn, "Local pipeline shutting down")
        deadline = time.monotonic() + max(
            (worker.stop_timeout for worker in self.running), default=0.0
        )
        while self.running and time.monotonic() < deadline:
            self.reconcile()
            time.sleep(0.1)
        for worker in self.running:
            logger.warning("task %s ignored SIGTERM; killing it", worker.task_id)
            worker.process.kill()
            worker.process.wait()
        self.reconcile()

    def _list_running_tasks(self) -> list[str]:
        arns: list[str] = []
        for page in self._ecs.get_paginator("list_tasks").paginate(
            cluster=self._cluster, family=self._family, desiredStatus="RUNNING"
        ):
            arns.extend(page["taskArns"])
        return arns

    def _start(self, task_arn: str) -> None:
        container, overrides = self._describe(task_arn)
        environment = dict(self._environment)
        for variable in [*container.get("environment", []), *overrides.get("environment", [])]:
            environment[variable["name"]] = variable["value"]
        task_id = task_arn.rsplit("/", 1)[-1]
        log_path = self._log_directory / f"task-{task_id}.log"
        process = subprocess.Popen(
            self._command,
            cwd=self._working_directory,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own session: a Ctrl-C in the terminal reaches the runner, which then stops the
            # workers the way ECS does, instead of every worker getting SIGINT at once.
            start_new_session=True,
        )
        worker = WorkerProcess(
            task_arn=task_arn,
            process=process,
            log_path=log_path,
            stop_timeout=float(
                container.get("stopTimeout", pipeline_spec.WORKER_STOP_TIMEOUT_SECONDS)
            ),
            output_pump=threading.Thread(
                target=_pump_output,
                args=(process.stdout, log_path, task_id, self._sink),
                name=f"output-{task_id}",
                daemon=True,
            ),
        )
        worker.output_pump.start()
        self._processes[task_arn] = worker
        logger.info("task %s: started worker process %d", task_id, process.pid)

    def _describe(self, task_arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The worker container's definition and this task's overrides for it."""
        task = self._ecs.describe_tasks(cluster=self._cluster, tasks=[task_arn])["tasks"][0]
        definition_arn = task["taskDefinitionArn"]
        if definition_arn not in self._container_cache:
            definition = self._ecs.describe_task_definition(taskDefinition=definition_arn)
            containers = definition["taskDefinition"]["containerDefinitions"]
            self._container_cache[definition_arn] = containers[0]
        container = self._container_cache[definition_arn]
        overrides: dict[str, Any] = next(
            (
                override
                for override in (task.get("overrides") or {}).get("containerOverrides", [])
                if override.get("name") == container["name"]
            ),
            {},
        )
        return container, overrides

    def _terminate(self, worker: WorkerProcess, now: float) -> None:
        if worker.sigterm_at is None:
            logger.info("task %s stopped: sending SIGTERM", worker.task_id)
            worker.process.send_signal(signal.SIGTERM)
            worker.sigterm_at = now
        elif now - worker.sigterm_at > worker.stop_timeout:
            logger.warning("task %s still running after its stop timeout: SIGKILL", worker.task_id)
            worker.process.kill()

    def _stop_task(self, task_arn: str, reason: str) -> None:
        self._ecs.stop_task(cluster=self._cluster, task=task_arn, reason=reason)


def _pump_output(
    stream: IO[bytes] | None, log_path: Path, task_id: str, sink: LineSink | None
) -> None:
    """Copy a worker's output to its log file, and to the sink when output is streamed."""
    if stream is None:
        return
    with log_path.open("wb") as log_file:
        for line in stream:
            log_file.write(line)
            log_file.flush()
            if sink is not None:
                sink(task_id, line.decode("utf-8", "replace").rstrip("\n"))
