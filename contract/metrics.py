"""The pipeline's metrics: namespace, names, units, dimensions, and the EMF document carrying them.

The worker and the scaler print CloudWatch Embedded Metric Format (EMF) documents on stdout, one
JSON object per line; CloudWatch Logs turns them into metrics as the awslogs driver and Lambda
deliver the lines, with no PutMetricData call and no IAM permission. The dashboard and the
alarms query the same names, so every name is written here once.

Two stacks in one account never mix: every metric carries the ``Stack`` dimension, the stack
name from the stack's SSM path (``/fargate-pipeline/dev/`` -> ``dev``), in the project's
namespace. Specification:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from contract.ssm import PROJECT_NAME

NAMESPACE: Final = PROJECT_NAME
"""The CloudWatch namespace of every metric the pipeline emits."""


class Dimension(StrEnum):
    STACK = "Stack"
    """The stack's name: what keeps two stacks' metrics apart."""
    REASON = "Reason"
    """Why a file can never be processed (a ``.failed`` log's ``error.reason``)."""


class Unit(StrEnum):
    """The CloudWatch units the pipeline's metrics use (MetricDatum's Unit)."""

    COUNT = "Count"
    MILLISECONDS = "Milliseconds"
    BYTES = "Bytes"


class Metric(StrEnum):
    # The worker: one document per file.
    FILES_SUCCEEDED = "FilesSucceeded"
    FILES_FAILED = "FilesFailed"
    """Also published per ``Reason``."""
    FILES_RETRIED = "FilesRetried"
    """Files left for a retry (throttling, 5xx, destination not writable): nothing recorded."""
    PROCESSING_TIME = "ProcessingTime"
    """Of a succeeded file, from the GET to its log's PUT."""
    BYTES_IN = "BytesIn"
    """The source object's size, when it was read."""
    BYTES_OUT = "BytesOut"
    """The outputs written for a succeeded file."""
    # The scaler: one document per run.
    QUEUE_VISIBLE = "QueueVisible"
    QUEUE_IN_FLIGHT = "QueueInFlight"
    TASKS_RUNNING = "TasksRunning"
    """Before the run, starting tasks included."""
    TASKS_STARTED = "TasksStarted"
    RUN_TASK_FAILURES = "RunTaskFailures"
    """The run's ``failures``: tasks RunTask did not start, failed calls, tasks not asked for."""


UNITS: Final[Mapping[Metric, Unit]] = {
    Metric.FILES_SUCCEEDED: Unit.COUNT,
    Metric.FILES_FAILED: Unit.COUNT,
    Metric.FILES_RETRIED: Unit.COUNT,
    Metric.PROCESSING_TIME: Unit.MILLISECONDS,
    Metric.BYTES_IN: Unit.BYTES,
    Metric.BYTES_OUT: Unit.BYTES,
    Metric.QUEUE_VISIBLE: Unit.COUNT,
    Metric.QUEUE_IN_FLIGHT: Unit.COUNT,
    Metric.TASKS_RUNNING: Unit.COUNT,
    Metric.TASKS_STARTED: Unit.COUNT,
    Metric.RUN_TASK_FAILURES: Unit.COUNT,
}

EMF_MAX_METRICS_PER_DIRECTIVE: Final = 100
"""A MetricDirective's Metrics "MUST NOT contain more than 100 MetricDefinition objects"."""
EMF_MAX_DIMENSIONS_PER_SET: Final = 9
"""A DimensionSet "MUST NOT contain more than 9 dimension keys"."""


def stack_of(ssm_path: str) -> str:
    """The ``Stack`` dimension's value for the stack whose SSM path is ``ssm_path``: its last
    segment, the stack name (``/fargate-pipeline/dev/`` -> ``dev``)."""
    return ssm_path.strip("/").rpartition("/")[2]


@dataclass(frozen=True)
class Directive:
    """Publish ``metrics`` with the dimensions ``dimensions`` (one EMF MetricDirective)."""

    dimensions: tuple[Dimension, ...]
    metrics: tuple[Metric, ...]


def emf_document(
    timestamp_ms: int,
    dimensions: Mapping[Dimension, str],
    values: Mapping[Metric, float],
    directives: Sequence[Directive],
) -> dict[str, Any]:
    """An EMF document: ``values`` and ``dimensions`` as root members, ``directives`` saying which
    metrics to extract with which dimensions. A directive may only name dimensions and metrics
    the document has (the specification's target members)."""
    cloudwatch_metrics = []
    for directive in directives:
        missing = [
            *set(directive.dimensions) - set(dimensions),
            *set(directive.metrics) - set(values),
        ]
        if missing:
            raise ValueError(f"EMF directive names members the document lacks: {missing}")
        if (
            len(directive.metrics) > EMF_MAX_METRICS_PER_DIRECTIVE
            or len(directive.dimensions) > EMF_MAX_DIMENSIONS_PER_SET
        ):
            raise ValueError("EMF directive over the specification's limits")
        cloudwatch_metrics.append(
            {
                "Namespace": NAMESPACE,
                "Dimensions": [[dimension.value for dimension in directive.dimensions]],
                "Metrics": [
                    {"Name": metric.value, "Unit": UNITS[metric].value}
                    for metric in directive.metrics
                ],
            }
        )
    return {
        "_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": cloudwatch_metrics},
        **{dimension.value: value for dimension, value in dimensions.items()},
        **{metric.value: value for metric, value in values.items()},
    }
