"""Starting worker tasks with ECS RunTask: in calls of at most 10, each safe to retry.

A run goes on after a call fails (throttled after botocore's retries, a network error, a
rejected parameter): every call is independent, and the run reports what it did. Tasks that
RunTask lists in ``failures`` are reported with their reasons and not counted as started.

After a call that started nothing because Fargate had no capacity for any of its tasks
(``RESOURCE:*`` reasons), or because the account's Fargate quota was reached, the run stops
issuing calls. Capacity is per Availability Zone and each call spreads its tasks over the
subnets' zones, so a call that got *some* tasks shows capacity exists and the run goes on; a
call that got none shows that every zone is out right now (or the quota is used up), and further
calls in the same second would only add failures and API load. The tasks not asked for are
reported as a failure, and the next scheduled run (a minute or two later) tries again from a
fresh count. A quota failure says which quota to raise: a new account's Fargate vCPU quota can
be a handful of vCPUs, far below ``maxTasks`` tasks. A demanding user gets every task Fargate
can place, and a clear record of the rest.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contract.limits import (
    FARGATE_ON_DEMAND_VCPU_QUOTA,
    FARGATE_SPOT_VCPU_QUOTA,
    RUN_TASK_MAX_COUNT,
)
from contract.values import Capacity
from scaler.clients import BotoClient

STARTED_BY_MAX_LENGTH = 128
"""RunTask startedBy: "Up to 128 letters (uppercase and lowercase), numbers, hyphens (-), forward
slash (/), and underscores (_) are allowed." (ECS API reference, RunTask)."""
CAPACITY_FAILURE_PREFIX = "RESOURCE:"
"""RunTask failure reasons for missing capacity: RESOURCE:FARGATE, RESOURCE:CPU, ..."""
SECONDS_KEPT_FOR_THE_LAST_CALL = 10
"""A RunTask call with its retries, and the run's log line, fit in this; below it, a run stops
starting tasks rather than be cut off by its timeout."""
QUOTA_FAILURE = re.compile(r"limit on the number of", re.IGNORECASE)
"""How ECS words an account quota it refused a task for: "You've reached the limit on the number
of vCPUs you can run concurrently" (or "... tasks ..."), as a failure reason or an error message."""
QUOTA_HINT = (
    "raise the account's Fargate vCPU quota (Service Quotas, service fargate: "
    f"{FARGATE_ON_DEMAND_VCPU_QUOTA} on-demand, {FARGATE_SPOT_VCPU_QUOTA} Spot) or lower maxTasks"
)

_NOT_STARTED_BY_CHARACTER = re.compile(r"[^A-Za-z0-9/_-]")
_STARTED_BY_SUFFIX = "/scaler"


def started_by(ssm_path: str) -> str:
    """RunTask ``startedBy`` naming this pipeline's scaler, e.g. ``fargate-pipeline/dev/scaler``.

    Derived from the stack's SSM path, which is unique per project and stack; characters RunTask
    does not accept (SSM paths may hold ``.``) become ``-``.
    """
    pipeline = _NOT_STARTED_BY_CHARACTER.sub("-", ssm_path.strip("/"))
    return pipeline[: STARTED_BY_MAX_LENGTH - len(_STARTED_BY_SUFFIX)] + _STARTED_BY_SUFFIX


@dataclass(frozen=True)
class LaunchSpec:
    """Everything RunTask needs besides the count."""

    cluster: str
    task_definition_arn: str
    capacity: Capacity
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool
    started_by: str

    def run_task_arguments(self, count: int, client_token: str) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "taskDefinition": self.task_definition_arn,
            "count": count,
            # A capacity provider strategy, so launchType must be left out: ECS rejects both.
            "capacityProviderStrategy": [{"capacityProvider": self.capacity.value, "weight": 1}],
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": list(self.subnets),
                    "securityGroups": list(self.security_groups),
                    "assignPublicIp": "ENABLED" if self.assign_public_ip else "DISABLED",
                }
            },
            "startedBy": self.started_by,
            "clientToken": client_token,
        }


@dataclass
class LaunchResult:
    asked: int = 0
    """Tasks the run set out to start."""
    started: int = 0
    failures: list[str] = field(default_factory=list)
    calls: int = 0
    """RunTask calls made (botocore's retries of one call count once)."""

    @property
    def not_started(self) -> int:
        """Tasks asked for that did not start, for whatever reason (each is in ``failures``)."""
        return self.asked - self.started


def _new_client_token() -> str:
    # 32 characters, well within RunTask's 64; made once per call, so botocore's retries of that
    # call resend the same token and ECS starts its tasks at most once.
    return uuid.uuid4().hex


def batches(count: int) -> Iterator[int]:
    """``count`` split into RunTask calls of at most RUN_TASK_MAX_COUNT."""
    full, rest = divmod(count, RUN_TASK_MAX_COUNT)
    yield from [RUN_TASK_MAX_COUNT] * full
    if rest:
        yield rest


def start_tasks(
    ecs: BotoClient,
    spec: LaunchSpec,
    count: int,
    *,
    new_client_token: Callable[[], str] = _new_client_token,
    seconds_left: Callable[[], float] | None = None,
) -> LaunchResult:
    """Ask ECS for ``count`` tasks; return how many it started and why any did not.

    With ``seconds_left`` (the time left before the run's timeout), no call is started with less
    than SECONDS_KEPT_FOR_THE_LAST_CALL left: a run cut off by its timeout would leave no record.
    """
    result = LaunchResult(asked=count)
    asked = 0
    for size in batches(count):
        if seconds_left is not None and seconds_left() < SECONDS_KEPT_FOR_THE_LAST_CALL:
            _report_not_asked(result, count - asked, "the run's time is up")
            break
        result.calls += 1
        asked += size
        try:
            response = ecs.run_task(**spec.run_task_arguments(size, new_client_token()))
        except (ClientError, BotoCoreError) as error:
            description = _describe(error)
            result.failures.append(f"RunTask for {size} tasks failed: {_with_hint(description)}")
            if QUOTA_FAILURE.search(description):
                _report_not_asked(result, count - asked, "the account's Fargate quota")
                break
            continue
        started = len(response.get("tasks", []))
        result.started += started
        reasons = [failure.get("reason", "unknown") for failure in response.get("failures", [])]
        result.failures.extend(_describe_failure(f) for f in response.get("failures", []))
        if started == 0 and reasons:
            if all(_is_capacity(reason) for reason in reasons):
                _report_not_asked(
                    result,
                    count - asked,
                    f"Fargate had no capacity for any task of the last call "
                    f"({', '.join(sorted(set(reasons)))})",
                )
                break
            if all(QUOTA_FAILURE.search(reason) for reason in reasons):
                _report_not_asked(result, count - asked, "the account's Fargate quota")
                break
    return result


def _report_not_asked(result: LaunchResult, count: int, why: str) -> None:
    if count > 0:
        result.failures.append(f"{count} tasks not asked for: {why}; the next run retries")


def _is_capacity(reason: str) -> bool:
    return reason.startswith(CAPACITY_FAILURE_PREFIX)


def _with_hint(description: str) -> str:
    return f"{description} ({QUOTA_HINT})" if QUOTA_FAILURE.search(description) else description


def _describe_failure(failure: dict[str, Any]) -> str:
    parts = [failure.get("reason", "unknown reason")]
    if failure.get("detail"):
        parts.append(failure["detail"])
    if failure.get("arn"):
        parts.append(f"({failure['arn']})")
    return "RunTask failure: " + _with_hint(" ".join(parts))


def _describe(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'UnknownError')}: {details.get('Message', '')}"
    return f"{type(error).__name__}: {error}"
