"""The scaling decision: how many worker tasks one scaler run starts. Pure: no AWS, no clock.

Inputs, read once per run:

- ``V`` *visible*: ``ApproximateNumberOfMessages``, messages waiting for a task.
- ``F`` *in flight*: ``ApproximateNumberOfMessagesNotVisible``, messages a running task has
  received and is working on.
- ``R`` *running*: the pipeline's tasks whose desired status is ``RUNNING``; tasks still
  provisioning or pulling their image are included, so a run never starts tasks twice for the
  same work while the first ones boot.
- ``M`` ``PIPELINE_ECS_MAX_TASKS``, ``P`` ``PIPELINE_ECS_MAX_TASKS_PER_RUN``,
  ``k`` ``PIPELINE_MESSAGES_PER_TASK`` (the backlog one task is expected to take).

**Backlog** means the visible messages ``V``: files that no task has taken yet. In-flight messages
are not backlog: they are already in a running task's hands. They still count as work those tasks
have, which uses up part of the share of ``k`` messages each running task is expected to take, but
they never call for a new task on their own: a new task could not receive them.

The formula::

    needed = min(ceil((V + F) / k) - R,    # the work outstanding, less the tasks already on it
                 ceil(V / k))              # new tasks can only take visible messages
    start  = max(0, min(needed, M - R, P))     when enabled and V > 0
    start  = 0                                 when disabled or V = 0

Consequences, each tested as a property:

- never more than ``M`` tasks counting running and starting ones (``R + start <= M``), nor more
  than ``P`` per run;
- nothing when disabled or when there is no backlog;
- at least one when there is backlog and nothing runs (scale from zero), as long as ``M, P >= 1``;
- with ``k = 1`` never more than the original AWS sample, ``min(V, M - R, P)`` (its ``P`` is 10).

``k`` trades speed against cost. ``k = 1`` starts a task per waiting file (the original sample's
behaviour), so ten small files start ten tasks that each bill Fargate's one-minute minimum for a
second of work. Each task also pays about 50 s of billed start-up and idle drain, so give each
about 80 s of work: ``k = 80 s / seconds per file x files a task processes at once``. Smaller ``k``
drains a burst sooner for a bigger bill; ``bench.scaling_compare`` measures the trade.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Limit(StrEnum):
    """What decided the number of tasks a run starts (logged with every run)."""

    DISABLED = "disabled"
    """``PIPELINE_ENABLED`` is 0."""
    NO_BACKLOG = "no_backlog"
    """No visible message: nothing for a new task to take."""
    BACKLOG = "backlog"
    """What the backlog needs (0 when the running tasks already cover it)."""
    MAX_TASKS = "max_tasks"
    """``PIPELINE_ECS_MAX_TASKS`` counting the running and starting tasks."""
    MAX_TASKS_PER_RUN = "max_tasks_per_run"
    """``PIPELINE_ECS_MAX_TASKS_PER_RUN``."""


@dataclass(frozen=True)
class ScalingInputs:
    """Everything the decision depends on; see the module docstring for the meaning of each."""

    enabled: bool
    visible: int
    in_flight: int
    running: int
    max_tasks: int
    max_tasks_per_run: int
    messages_per_task: int

    def __post_init__(self) -> None:
        counts = {"visible": self.visible, "in_flight": self.in_flight, "running": self.running}
        limits = {
            "max_tasks": self.max_tasks,
            "max_tasks_per_run": self.max_tasks_per_run,
            "messages_per_task": self.messages_per_task,
        }
        for name, value in counts.items():
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        for name, value in limits.items():
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")


@dataclass(frozen=True)
class Decision:
    start: int
    """Tasks to start in this run."""
    needed: int
    """Tasks the backlog calls for before the max-tasks and per-run limits (0 if none)."""
    limit: Limit
    """What set ``start``."""


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def decide(inputs: ScalingInputs) -> Decision:
    """How many tasks to start now: the formula in the module docstring."""
    if not inputs.enabled:
        return Decision(start=0, needed=0, limit=Limit.DISABLED)
    if inputs.visible == 0:
        return Decision(start=0, needed=0, limit=Limit.NO_BACKLOG)
    k = inputs.messages_per_task
    needed = min(
        _ceil_div(inputs.visible + inputs.in_flight, k) - inputs.running,
        _ceil_div(inputs.visible, k),
    )
    # Ties go to the earlier entry, so the log names the backlog when every bound agrees.
    start, limit = min(
        (needed, Limit.BACKLOG),
        (inputs.max_tasks - inputs.running, Limit.MAX_TASKS),
        (inputs.max_tasks_per_run, Limit.MAX_TASKS_PER_RUN),
        key=lambda bound: bound[0],
    )
    return Decision(start=max(0, start), needed=max(0, needed), limit=limit)
