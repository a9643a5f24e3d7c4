"""The worker's metrics: one EMF document per file, a line on stdout beside the worker's logs.

CloudWatch Logs extracts the metrics from the lines the awslogs driver delivers, so the worker
makes no metrics API call and needs no permission for them. The document goes out as a log
record, through the same handler as every other line, so lines from the file threads never
interleave; the log line's own members (time, level, event) are members EMF ignores.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from contract.layout import Outcome
from contract.metrics import Dimension, Directive, Metric, emf_document, stack_of
from worker.files import FileResult
from worker.logs import fields

logger = logging.getLogger(__name__)

EVENT = "metrics"
"""The ``event`` member of a metrics line."""


class FileMetrics:
    """Emits each file's document; the ``Stack`` dimension comes from the stack's SSM path.

    Without a path (a worker run outside a stack) the metrics have no dimension at all.
    """

    def __init__(self, ssm_path: str | None, clock: Callable[[], float] = time.time) -> None:
        self._dimensions = {Dimension.STACK: stack_of(ssm_path)} if ssm_path else {}
        self._clock = clock

    def record(self, result: FileResult, milliseconds: float) -> None:
        """A FileObserver: called once per file with its result."""
        logger.info(EVENT, extra=fields(**self.document(result, milliseconds)))

    def document(self, result: FileResult, milliseconds: float) -> dict[str, object]:
        stack = tuple(self._dimensions)
        dimensions: dict[Dimension, str] = dict(self._dimensions)
        directives: list[Directive] = []
        values: dict[Metric, float]
        if result.outcome is Outcome.SUCCESS:
            values = {
                Metric.FILES_SUCCEEDED: 1,
                Metric.PROCESSING_TIME: round(milliseconds, 1),
                Metric.BYTES_IN: result.bytes_in,
                Metric.BYTES_OUT: result.bytes_out,
            }
        elif result.outcome is Outcome.FAILED:
            values = {Metric.FILES_FAILED: 1, Metric.BYTES_IN: result.bytes_in}
            if result.reason is not None:
                dimensions[Dimension.REASON] = result.reason.value
                directives.append(Directive((*stack, Dimension.REASON), (Metric.FILES_FAILED,)))
        else:
            values = {Metric.FILES_RETRIED: 1}
        directives.insert(0, Directive(stack, tuple(values)))
        return emf_document(round(self._clock() * 1000), dimensions, values, directives)
