"""The scaling policies the simulation compares, each as the scaler would decide in one run.

- **original sample** (aws-samples/aws-fargate-pipeline-lambda-autoscaling, the scaler Lambda in
  ``CFT/cft-fargate-trigger.yaml``): nothing when ``ApproximateNumberOfMessages`` is 0, else
  ``min(visible, max_tasks - running, 10, max_tasks)``, where ``running`` is the length of the
  *first* ListTasks page (at most 100) of RUNNING Fargate tasks; in-flight messages are not read.
- **ECS blueprint** (aws-ia/ecs-blueprints, ``lambda-function-queue-trigger``): the same with
  ``ceil(visible / 10)`` tasks and a per-run cap of 100. Simulated as intended: the real code asks
  RunTask for that many tasks in *one* call, which ECS rejects above 10.
- **KEDA ScaledJob-like**: KEDA's ``default`` scaling strategy with the aws-sqs-queue scaler's
  defaults: ``min(maxReplicaCount, ceil((visible + in_flight) / queueLength)) - running`` with
  queueLength 5 and in-flight messages counted (``scaleOnInFlight``), no per-run cap. Run on the
  same schedule and workers as the others, so only the decision differs.
- **ours**: ``scaler.policy.decide``, the code the Lambda runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.scaling_sim import Observation, Policy
from scaler.policy import ScalingInputs, decide

ORIGINAL_MAX_TASKS_PER_RUN = 10
"""The original sample's hard-coded ``max_tasks_per_run``."""
BLUEPRINT_MAX_TASKS_PER_RUN = 100
BLUEPRINT_BATCH_SIZE = 10
"""The blueprint's ``batch_size``: messages per task."""
LIST_TASKS_FIRST_PAGE = 100
"""Both AWS samples read one ListTasks page of at most 100 tasks."""
KEDA_QUEUE_LENGTH = 5
"""The aws-sqs-queue scaler's default ``queueLength`` target (messages per job)."""


@dataclass(frozen=True)
class NamedPolicy:
    name: str
    decide: Policy


def original_sample(seen: Observation) -> int:
    if seen.visible == 0:
        return 0
    running = min(seen.running, LIST_TASKS_FIRST_PAGE)
    return max(
        0, min(seen.visible, seen.max_tasks - running, ORIGINAL_MAX_TASKS_PER_RUN, seen.max_tasks)
    )


def ecs_blueprint(seen: Observation) -> int:
    if seen.visible == 0:
        return 0
    running = min(seen.running, LIST_TASKS_FIRST_PAGE)
    wanted = math.ceil(seen.visible / BLUEPRINT_BATCH_SIZE)
    return max(
        0, min(wanted, seen.max_tasks - running, BLUEPRINT_MAX_TASKS_PER_RUN, seen.max_tasks)
    )


def keda_scaled_job(seen: Observation) -> int:
    queue_length = seen.visible + seen.in_flight
    max_scale = min(seen.max_tasks, math.ceil(queue_length / KEDA_QUEUE_LENGTH))
    return max(0, max_scale - seen.running)


def ours(messages_per_task: int, max_tasks_per_run: int) -> Policy:
    """The scaler's own decision with these settings (always enabled)."""

    def policy(seen: Observation) -> int:
        return decide(
            ScalingInputs(
                enabled=True,
                visible=seen.visible,
                in_flight=seen.in_flight,
                running=seen.running,
                max_tasks=seen.max_tasks,
                max_tasks_per_run=max_tasks_per_run,
                messages_per_task=messages_per_task,
            )
        ).start

    return policy
