"""The scaler Lambda: read the parameters, the queue and the running tasks, decide, start tasks.

Entry point ``scaler.handler.handler``, run on a schedule. Each run reads everything afresh (an
operator's ``aws ssm put-parameter`` takes effect at the next run), validates every parameter
before touching ECS, and logs one JSON line with its inputs, decision and outcome.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any, TypedDict, cast

from contract.env import Env
from scaler import metrics
from scaler.clients import Clients, default_clients
from scaler.launcher import LaunchResult, start_tasks
from scaler.parameters import ParameterError, parse_parameters, parse_ssm_path
from scaler.policy import Decision, ScalingInputs, decide
from scaler.queue import read_queue_depth
from scaler.ssm import read_parameters
from scaler.tasks import count_running_tasks

logger = logging.getLogger(__name__)

# Lambda's Python runtime leaves the root logger at WARNING; the per-run line is the scaler's
# record of what it did, so the package logs at INFO unless someone chose a level for it.
_package_logger = logging.getLogger("scaler")
if _package_logger.level == logging.NOTSET:
    _package_logger.setLevel(logging.INFO)


class ScalerResult(TypedDict):
    """What one run saw, decided and did (also the fields of its log line)."""

    enabled: bool
    visible: int
    in_flight: int
    running: int
    """Tasks with desired status RUNNING before this run, starting ones included."""
    max_tasks: int
    max_tasks_per_run: int
    messages_per_task: int
    needed: int
    """Tasks the backlog called for, before the max-tasks and per-run limits."""
    requested: int
    """Tasks the policy decided to start."""
    limited_by: str
    started: int
    """Tasks ECS accepted (RunTask ``tasks``); never counts its ``failures``."""
    failures: list[str]
    """Why tasks did not start, one entry per failed task or failed call, each naming the reason
    (and, for an account quota, which quota to raise)."""
    not_started: int
    """Tasks requested that did not start: ``requested - started``."""
    run_task_calls: int


def run_result(inputs: ScalingInputs, decision: Decision, launch: LaunchResult) -> ScalerResult:
    """The run's record, from what it saw, what it decided and what RunTask did."""
    # Every input is reported, under its own name; ScalerResult declares them (a test keeps
    # the two equal), which dict unpacking of a dataclass cannot prove to the type checker.
    return cast(
        ScalerResult,
        {
            **asdict(inputs),
            "needed": decision.needed,
            "requested": decision.start,
            "limited_by": decision.limit.value,
            "started": launch.started,
            "failures": launch.failures,
            "not_started": launch.not_started,
            "run_task_calls": launch.calls,
        },
    )


def handler(event: Mapping[str, Any], context: object) -> ScalerResult:
    """Lambda entry point. The event (from the schedule) carries nothing the scaler needs; the
    context tells how much of the run's timeout is left."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    return run_scaler(
        default_clients(),
        os.environ.get(Env.SSM_PATH),
        seconds_left=(lambda: remaining_ms() / 1000) if callable(remaining_ms) else None,
    )


def run_scaler(
    clients: Clients,
    ssm_path: str | None,
    *,
    write_metrics: metrics.LineWriter = metrics.print_line,
    seconds_left: Callable[[], float] | None = None,
) -> ScalerResult:
    """One scaler run against ``clients``; raises ParameterError, having done nothing, when a
    parameter is missing or malformed. Its EMF line goes to ``write_metrics`` (stdout);
    ``seconds_left`` (the Lambda's remaining time) stops it starting tasks before its timeout."""
    try:
        path = parse_ssm_path(ssm_path)
        params = parse_parameters(read_parameters(clients.ssm, path), path)
    except ParameterError as error:
        logger.error(
            json.dumps({"event": "scaler_run", "error": str(error), "at_fault": error.names})
        )
        raise

    depth = read_queue_depth(clients.sqs, params.queue_url)
    inputs = ScalingInputs(
        enabled=params.enabled,
        visible=depth.visible,
        in_flight=depth.in_flight,
        running=count_running_tasks(clients.ecs, params.launch.cluster, params.task_family),
        max_tasks=params.max_tasks,
        max_tasks_per_run=params.max_tasks_per_run,
        messages_per_task=params.messages_per_task,
    )
    decision = decide(inputs)
    launch = start_tasks(clients.ecs, params.launch, decision.start, seconds_left=seconds_left)
    result = run_result(inputs, decision, launch)
    # One line per run; WARNING when something failed, so a log filter or alarm can pick it out.
    level = logging.WARNING if launch.failures else logging.INFO
    logger.log(level, json.dumps({"event": "scaler_run", **result}))
    metrics.emit(result, path, write=write_metrics)
    return result
