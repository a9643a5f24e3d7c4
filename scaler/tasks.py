"""Counting the pipeline's worker tasks in ECS."""

from __future__ import annotations

from contract.limits import LIST_TASKS_PAGE_SIZE
from scaler.clients import BotoClient


def count_running_tasks(ecs: BotoClient, cluster: str, family: str) -> int:
    """Tasks of ``family`` in ``cluster`` whose desired status is RUNNING, across all pages.

    Desired status RUNNING includes tasks still provisioning, pending or pulling their image, so
    tasks started by the previous run count while they boot. Filtered by family, not by
    ``startedBy``: ECS accepts startedBy only as the sole filter, and tasks of the pipeline started
    by hand must count too.
    """
    paginator = ecs.get_paginator("list_tasks")
    pages = paginator.paginate(
        cluster=cluster,
        family=family,
        desiredStatus="RUNNING",
        PaginationConfig={"PageSize": LIST_TASKS_PAGE_SIZE},
    )
    # A set: pages are read one after another while tasks come and go, and a task that shifts
    # from one page to the next must count once.
    return len({arn for page in pages for arn in page["taskArns"]})
