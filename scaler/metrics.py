"""The scaler's metrics: one EMF document per run, printed on stdout.

Printed, not logged: Lambda's runtime prefixes each logged line with the level, time and request
id, while a line printed on stdout reaches the log group as it is, a JSON object CloudWatch Logs
extracts the metrics from. No metrics API call, so the scaler needs no permission for them.

An idle run (nothing waiting, in flight or running, nothing started or failed) prints nothing:
CloudWatch bills a custom metric for each hour it is published in, so an idle stack's scaler
adds no metric charge. The alarms take missing data as no failure.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from contract.metrics import Dimension, Directive, Metric, emf_document, stack_of

if TYPE_CHECKING:
    from scaler.handler import ScalerResult


def run_document(result: ScalerResult, ssm_path: str, timestamp_ms: int) -> dict[str, Any]:
    """What one run saw and did, as metrics of its stack."""
    values: dict[Metric, float] = {
        Metric.QUEUE_VISIBLE: result["visible"],
        Metric.QUEUE_IN_FLIGHT: result["in_flight"],
        Metric.TASKS_RUNNING: result["running"],
        Metric.TASKS_STARTED: result["started"],
        Metric.RUN_TASK_FAILURES: len(result["failures"]),
    }
    return emf_document(
        timestamp_ms,
        {Dimension.STACK: stack_of(ssm_path)},
        values,
        [Directive((Dimension.STACK,), tuple(values))],
    )


def idle(result: ScalerResult) -> bool:
    """Nothing to see: no file waits or is in a task's hands, no task runs, none was asked for."""
    return not (
        result["visible"] or result["in_flight"] or result["running"] or result["requested"]
        or result["failures"]
    )  # fmt: skip


LineWriter = Callable[[str], None]


def print_line(line: str) -> None:
    """Lambda's way: the line on stdout, which the runtime sends to the log group as it is."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def emit(
    result: ScalerResult,
    ssm_path: str,
    *,
    write: LineWriter = print_line,
    clock: Callable[[], float] = time.time,
) -> None:
    """Write the run's document as one line, unless the run was idle."""
    if not idle(result):
        write(json.dumps(run_document(result, ssm_path, round(clock() * 1000))))
