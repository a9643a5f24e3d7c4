"""The queue scaler: the Lambda that starts worker tasks, and the schedule that runs it.

A run is over well before the next one is due: its timeout is at most half the schedule's
interval, and the run stops starting tasks shortly before its timeout (the next run carries on
from a fresh count). A late run is dropped rather than queued: the schedule does not retry, and
neither does Lambda's own asynchronous invocation, so a throttled or failed run is simply
replaced by the next scheduled one. Runs that overlap all the same (a run delivered late) are
harmless: each RunTask call has its own client token, and the scaling decision never takes the
fleet past maxTasks by more than the later run's start (tests/integration/scaler). With
``scalerReservedConcurrency`` the function also reserves one concurrent execution, so runs can
never overlap; it is opt-in because AWS refuses any reservation while the account's concurrency
quota is still the new account's 10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pulumi
import pulumi_aws as aws

from components.iam import (
    ECS_TASKS_SERVICE,
    LAMBDA_SERVICE,
    SCHEDULER_SERVICE,
    Account,
    allow,
    document,
    service_role,
)
from components.sources import python_packages_archive
from contract.config import schedule_interval_seconds
from contract.env import Env
from contract.limits import LIST_TASKS_PAGE_SIZE, RUN_TASK_MAX_COUNT

HANDLER: Final = "scaler.handler.handler"
PACKAGES: Final = ("contract", "scaler")
"""What the code archive holds: the scaler and the contract it reads the parameters by."""
MEMORY_MB: Final = 256
"""Lambda's CPU grows with memory; 256 MB keeps boto3's cold start short at a negligible cost."""

LAMBDA_MAX_TIMEOUT_SECONDS: Final = 900
"""Lambda's hard limit on a function's timeout."""
BASE_SECONDS: Final = 30
"""Cold start, the SSM read and the queue attributes, with room for retries."""
SECONDS_PER_RUN_TASK_CALL: Final = 5
"""One RunTask call, including backoff when ECS throttles a burst."""
SECONDS_PER_LIST_TASKS_PAGE: Final = 1

RESERVED_CONCURRENCY: Final = 1
NO_RETRIES: Final = 0
MAX_EVENT_AGE_SECONDS: Final = 60
"""The shortest age Scheduler and Lambda accept: a run this late is dropped, not delivered."""


def scaler_timeout_seconds(max_tasks: int, max_tasks_per_run: int, interval_seconds: int) -> int:
    """Time for one run's fan-out (a RunTask call per 10 tasks and a ListTasks page per 100),
    but at most half the schedule's interval, so even a run that started half an interval late
    is over before the next one starts. A fan-out that needs longer is finished by the next
    runs: a run stops starting tasks before its timeout (scaler.launcher)."""
    calls = math.ceil(max_tasks_per_run / RUN_TASK_MAX_COUNT)
    pages = math.ceil(max_tasks / LIST_TASKS_PAGE_SIZE)
    needed = BASE_SECONDS + calls * SECONDS_PER_RUN_TASK_CALL + pages * SECONDS_PER_LIST_TASKS_PAGE
    return min(needed, interval_seconds // 2, LAMBDA_MAX_TIMEOUT_SECONDS)


@dataclass(frozen=True)
class QueueScalerArgs:
    account: Account
    """Where the stack runs, for ARNs."""
    source_root: Path
    """The project directory holding ``PACKAGES``; their ``.py`` sources are the code archive."""
    ssm_path: str
    """The stack's parameter path, with its trailing ``/`` (PIPELINE_SSM_PATH)."""
    schedule_expression: str
    max_tasks: int
    max_tasks_per_run: int
    """The fan-out one run may have to do, which sets the function's timeout."""
    reserved_concurrency: bool
    """Reserve one concurrent execution (scalerReservedConcurrency)."""
    log_group_name: str
    log_retention_days: int
    queue_arn: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    task_family: str
    execution_role_arn: pulumi.Input[str]
    task_role_arn: pulumi.Input[str]


class QueueScaler(pulumi.ComponentResource):
    """The scheduled Lambda that sizes the worker fleet to the queue."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    schedule_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: QueueScalerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fargate-pipeline:index:QueueScaler", name, None, opts)
        self._name = name
        self._args = args
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=args.log_group_name,
            retention_in_days=args.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role, role_policy = service_role(
            f"{name}-role",
            service=LAMBDA_SERVICE,
            description="What the scaler may do: read the queue depth, count and start workers",
            account_id=args.account.account_id,
            policy=self._function_policy(log_group.arn),
            parent=self,
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            description="Starts fargate-pipeline worker tasks in proportion to the queue",
            runtime=aws.lambda_.Runtime.PYTHON3D13,
            handler=HANDLER,
            code=python_packages_archive(args.source_root, PACKAGES),
            role=role.arn,
            # Graviton: cheaper per GB-second, and the scaler is pure Python plus boto3.
            architectures=["arm64"],
            memory_size=MEMORY_MB,
            timeout=scaler_timeout_seconds(
                args.max_tasks,
                args.max_tasks_per_run,
                schedule_interval_seconds(args.schedule_expression),
            ),
            # Opt-in: one run at a time. Unset, the function uses the unreserved pool.
            reserved_concurrent_executions=(
                RESERVED_CONCURRENCY if args.reserved_concurrency else None
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={Env.SSM_PATH: args.ssm_path}
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="Text", log_group=log_group.name
            ),
            # The first run finds its permissions and its log group in place.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, log_group]),
        )
        # Scheduler invokes asynchronously: without this, Lambda would retry a failed run twice
        # and hold a throttled one for up to six hours, piling late runs onto fresh ones.
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async",
            function_name=function.name,
            maximum_retry_attempts=NO_RETRIES,
            maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
            opts=pulumi.ResourceOptions(parent=self),
        )
        schedule = self._create_schedule(function)
        self.function_name = function.name
        self.function_arn = function.arn
        self.log_group_name = log_group.name
        self.schedule_arn = schedule.arn
        self.register_outputs(
            {
                "function_name": self.function_name,
                "function_arn": self.function_arn,
                "log_group_name": self.log_group_name,
                "schedule_arn": self.schedule_arn,
            }
        )

    def _function_policy(self, log_group_arn: pulumi.Output[str]) -> pulumi.Output[str]:
        args = self._args
        on_cluster = {"ArnEquals": {"ecs:cluster": args.cluster_arn}}
        return document(
            allow(
                "StartWorkers",
                ["ecs:RunTask"],
                [args.account.arn("ecs", f"task-definition/{args.task_family}:*")],
                condition=on_cluster,
            ),
            # ListTasks authorises against container instances, which Fargate tasks have none
            # of, so AWS accepts only "*" here; the condition pins it to this cluster.
            allow("CountWorkers", ["ecs:ListTasks"], ["*"], condition=on_cluster),
            allow(
                "PassWorkerRoles",
                ["iam:PassRole"],
                [args.execution_role_arn, args.task_role_arn],
                condition={"StringEquals": {"iam:PassedToService": ECS_TASKS_SERVICE}},
            ),
            allow("ReadQueueDepth", ["sqs:GetQueueAttributes"], [args.queue_arn]),
            allow(
                "ReadPipelineParameters",
                ["ssm:GetParametersByPath"],
                [
                    # GetParametersByPath is authorised on the path itself.
                    args.account.arn("ssm", f"parameter{args.ssm_path.rstrip('/')}"),
                    args.account.arn("ssm", f"parameter{args.ssm_path}*"),
                ],
            ),
            allow(
                "WriteScalerLogs",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [pulumi.Output.concat(log_group_arn, ":*")],
            ),
        )

    def _create_schedule(self, function: aws.lambda_.Function) -> aws.scheduler.Schedule:
        args = self._args
        role, role_policy = service_role(
            f"{self._name}-schedule-role",
            service=SCHEDULER_SERVICE,
            description="Lets EventBridge Scheduler run the scaler",
            account_id=args.account.account_id,
            policy=document(allow("RunScaler", ["lambda:InvokeFunction"], [function.arn])),
            parent=self,
        )
        return aws.scheduler.Schedule(
            f"{self._name}-schedule",
            description="Runs the fargate-pipeline scaler",
            schedule_expression=args.schedule_expression,
            # Off: runs keep their cadence instead of drifting within a window.
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=function.arn,
                role_arn=role.arn,
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_retry_attempts=NO_RETRIES,
                    maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
