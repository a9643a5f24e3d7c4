"""Observability: the stack's CloudWatch dashboard, its alarms, and where the alarms notify.

The metrics come from the worker's and the scaler's EMF lines (``contract.metrics``), from SQS
and from Lambda; nothing here costs anything while the pipeline is idle beyond CloudWatch's own
charge per alarm and dashboard. Every alarm has a name starting with the stack's prefix, a
description saying what it means and what to do, and, with ``alarmEmail`` set, notifies an SNS
topic on ALARM and on OK; without it the alarms have no actions and show on the dashboard.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from contract.config import RATE_EXPRESSION
from contract.limits import SQS_MAX_IN_FLIGHT
from contract.metrics import NAMESPACE, Dimension, Metric

MINUTE: Final = 60
UNIT_SECONDS: Final[Mapping[str, int]] = {"minute": 60, "hour": 3600, "day": 86400}
CRON_ASSUMED_INTERVAL_SECONDS: Final = 3600
"""A cron schedule's gaps are not known from its text: its alarms assume it runs hourly."""
TASK_START_SECONDS: Final = 180
"""From RunTask to a worker taking messages: Fargate places the task, attaches its network
interface and pulls the image, typically within a minute and within three under load."""
METRIC_DELAY_SECONDS: Final = 60
"""SQS publishes its metrics each minute, and EMF lines become metrics within about a minute."""
MAX_ALARM_PERIOD_SECONDS: Final = 7 * 86400
"""PutMetricAlarm: Period x EvaluationPeriods can be at most seven days (one day below an hour)."""

IN_FLIGHT_ALARM_FRACTION: Final = 0.8
IN_FLIGHT_THRESHOLD: Final = int(SQS_MAX_IN_FLIGHT * IN_FLIGHT_ALARM_FRACTION)
"""96,000: a fifth of SQS's in-flight limit left before ReceiveMessage answers OverLimit and
every worker stops getting messages."""
DLQ_THRESHOLD: Final = 0
"""Any message in the DLQ is a file no worker could record an outcome for."""

DASHBOARD_RANGE: Final = "-PT6H"
"""The dashboard opens on the last six hours: a typical run from upload to drained queue."""


def schedule_interval_seconds(expression: str) -> int:
    """The longest gap between scaler runs: a rate's interval; for cron, assumed hourly."""
    rate = RATE_EXPRESSION.fullmatch(expression)
    if rate is None:
        return CRON_ASSUMED_INTERVAL_SECONDS
    return int(rate.group(1)) * UNIT_SECONDS[rate.group(2)]


def alarm_period(seconds: float) -> int:
    """``seconds`` rounded up to whole minutes (a valid alarm period), at most seven days."""
    return min(MAX_ALARM_PERIOD_SECONDS, max(MINUTE, math.ceil(seconds / MINUTE) * MINUTE))


def stall_window_seconds(schedule_expression: str) -> int:
    """How old the oldest message may get before a file must have succeeded: a message can wait
    a whole schedule interval for the scaler, then a task start, then a minute for the metrics."""
    return alarm_period(
        schedule_interval_seconds(schedule_expression) + TASK_START_SECONDS + METRIC_DELAY_SECONDS
    )


def queue_name_of(queue_url: pulumi.Input[str | None]) -> pulumi.Output[str]:
    """A queue's name from its URL (``https://sqs.<region>.amazonaws.com/<account>/<name>``),
    which is how SQS's metrics name it."""
    return pulumi.Output.from_input(queue_url).apply(
        lambda url: (url or "").rstrip("/").rpartition("/")[2]
    )


@dataclass(frozen=True)
class ObservabilityArgs:
    prefix: str
    """The stack's name prefix (``fargate-pipeline-dev``) the dashboard's and alarms' names start
    with."""
    stack: str
    """The ``Stack`` dimension of the pipeline's own metrics."""
    region: pulumi.Input[str]
    queue_name: pulumi.Input[str]
    dlq_name: pulumi.Input[str] | None
    """None when the queue is the user's: the stack has no DLQ to watch."""
    scaler_function_name: pulumi.Input[str]
    worker_log_group_name: pulumi.Input[str]
    schedule_expression: str
    """The scaler's schedule, which the stall and scaler alarms' windows derive from."""
    alarm_email: str | None
    """Subscribed to the alarms' topic; None: alarms without actions."""


class Observability(pulumi.ComponentResource):
    """The dashboard and alarms of one stack."""

    dashboard_name: pulumi.Output[str]
    dashboard_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("fargate-pipeline:index:Observability", name, None, opts)
        self._name = name
        self._args = args
        topic = self._create_topic()
        actions = [topic.arn] if topic is not None else []
        alarms = self._create_alarms(actions)
        dashboard = self._create_dashboard(alarms)
        self.dashboard_name = dashboard.dashboard_name
        self.dashboard_url = pulumi.Output.concat(
            "https://",
            args.region,
            ".console.aws.amazon.com/cloudwatch/home?region=",
            args.region,
            "#dashboards/dashboard/",
            dashboard.dashboard_name,
        )
        self.register_outputs(
            {"dashboard_name": self.dashboard_name, "dashboard_url": self.dashboard_url}
        )

    # -- notifications ----------------------------------------------------------------------

    def _create_topic(self) -> aws.sns.Topic | None:
        if self._args.alarm_email is None:
            return None
        # No server-side encryption: CloudWatch cannot publish to a topic encrypted with the
        # AWS-managed SNS key, and the alarms carry no data worth a customer key. The default
        # topic policy lets this account's alarms publish.
        topic = aws.sns.Topic(
            f"{self._name}-alarms",
            display_name=f"{self._args.prefix} alarms",
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Pending until the address confirms the email AWS sends; deleting the topic (pulumi
        # destroy) deletes the subscription, confirmed or not.
        aws.sns.TopicSubscription(
            f"{self._name}-alarm-email",
            topic=topic.arn,
            protocol="email",
            endpoint=self._args.alarm_email,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return topic

    # -- alarms -----------------------------------------------------------------------------

    def _create_alarms(
        self, actions: Sequence[pulumi.Output[str]]
    ) -> list[aws.cloudwatch.MetricAlarm]:
        args = self._args
        alarms = []
        if args.dlq_name is not None:
            alarms.append(
                self._alarm(
                    "dlq-not-empty",
                    actions,
                    description=(
                        "Messages are in the dead-letter queue: files no worker could record an "
                        "outcome for within maxReceiveCount tries, or bodies that are not S3 "
                        "events. Read the worker log's warnings, fix the cause, then move the "
                        "messages back to the queue (README, Operate, Dead-letter queue)."
                    ),
                    metric_name="ApproximateNumberOfMessagesVisible",
                    namespace="AWS/SQS",
                    dimensions={"QueueName": args.dlq_name},
                    statistic="Maximum",
                    period=MINUTE,
                    threshold=DLQ_THRESHOLD,
                )
            )
        window = stall_window_seconds(args.schedule_expression)
        alarms.append(
            self._alarm(
                "stall",
                actions,
                description=(
                    f"The oldest message has waited over {window} s (a scaler interval, a task "
                    "start and a minute) and no file succeeded meanwhile. Expected while the "
                    "pipeline is paused (enabled false); otherwise look at the scaler's log for "
                    "RunTask failures and at the worker log for errors."
                ),
                metric_queries=[
                    _query(
                        "age",
                        "AWS/SQS",
                        "ApproximateAgeOfOldestMessage",
                        {"QueueName": args.queue_name},
                        "Maximum",
                        window,
                    ),
                    _query(
                        "succeeded",
                        NAMESPACE,
                        Metric.FILES_SUCCEEDED,
                        {Dimension.STACK: args.stack},
                        "Sum",
                        window,
                    ),
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="stalled",
                        expression=f"IF(age > {window} AND FILL(succeeded, 0) == 0, 1, 0)",
                        label="stalled (1) or not (0)",
                        return_data=True,
                    ),
                ],
                threshold=0,
            )
        )
        scaler_period = alarm_period(schedule_interval_seconds(args.schedule_expression))
        alarms.append(
            self._alarm(
                "scaler-failing",
                actions,
                description=(
                    "A scaler run failed (a missing or malformed SSM parameter, an AWS error) "
                    "or RunTask did not start every task asked for (no Fargate capacity, a "
                    "quota, a subnet out of addresses). The scaler's log line for the run names "
                    "the reasons."
                ),
                metric_queries=[
                    _query(
                        "errors",
                        "AWS/Lambda",
                        "Errors",
                        {"FunctionName": args.scaler_function_name},
                        "Sum",
                        scaler_period,
                    ),
                    _query(
                        "failures",
                        NAMESPACE,
                        Metric.RUN_TASK_FAILURES,
                        {Dimension.STACK: args.stack},
                        "Sum",
                        scaler_period,
                    ),
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="failing",
                        expression="FILL(errors, 0) + FILL(failures, 0)",
                        label="failed runs and RunTask failures",
                        return_data=True,
                    ),
                ],
                threshold=0,
            )
        )
        alarms.append(
            self._alarm(
                "in-flight-near-limit",
                actions,
                description=(
                    f"Over {IN_FLIGHT_THRESHOLD:,} messages are in flight, 80% of SQS's limit of "
                    f"{SQS_MAX_IN_FLIGHT:,} for a standard queue; past it, workers get no more "
                    "messages. Lower maxTasks or messagesPerTask."
                ),
                metric_name="ApproximateNumberOfMessagesNotVisible",
                namespace="AWS/SQS",
                dimensions={"QueueName": args.queue_name},
                statistic="Maximum",
                period=MINUTE,
                threshold=IN_FLIGHT_THRESHOLD,
            )
        )
        return alarms

    def _alarm(
        self,
        role: str,
        actions: Sequence[pulumi.Output[str]],
        *,
        description: str,
        threshold: float,
        **metric: Any,
    ) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{role}",
            name=f"{self._args.prefix}-{role}",
            alarm_description=description,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold,
            evaluation_periods=1,
            # No data is no problem: an idle pipeline publishes nothing, and SQS stops
            # publishing for a queue that has been empty for hours.
            treat_missing_data="notBreaching",
            alarm_actions=list(actions),
            ok_actions=list(actions),
            opts=pulumi.ResourceOptions(parent=self),
            **metric,
        )

    # -- dashboard --------------------------------------------------------------------------

    def _create_dashboard(
        self, alarms: Sequence[aws.cloudwatch.MetricAlarm]
    ) -> aws.cloudwatch.Dashboard:
        body = pulumi.Output.json_dumps(
            {
                "start": DASHBOARD_RANGE,
                "widgets": _layout(self._widgets([alarm.arn for alarm in alarms])),
            }
        )
        return aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            # Dashboards are global to an account, unlike everything else the stack names: the
            # region keeps a same-named stack in another region from overwriting this one.
            dashboard_name=pulumi.Output.concat(self._args.prefix, "-", self._args.region),
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _widgets(self, alarm_arns: list[pulumi.Output[str]]) -> list[dict[str, Any]]:
        args = self._args
        window = stall_window_seconds(args.schedule_expression)
        scaler_period = alarm_period(schedule_interval_seconds(args.schedule_expression))
        queue = {"QueueName": args.queue_name}
        widgets = [
            _widget("alarm", 24, 3, {"title": "Alarms", "alarms": alarm_arns}),
            _graph(
                args.region,
                "Queue: waiting and in flight",
                MINUTE,
                [
                    _metric(
                        "AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum", "waiting"
                    ),
                    _metric(
                        "AWS/SQS",
                        "ApproximateNumberOfMessagesNotVisible",
                        queue,
                        "Maximum",
                        "in flight",
                    ),
                ],
                width=12,
            ),
            _graph(
                args.region,
                "Age of the oldest message (s)",
                MINUTE,
                [
                    _metric("AWS/SQS", "ApproximateAgeOfOldestMessage", queue, "Maximum", "oldest"),
                ],
                width=12 if args.dlq_name is None else 6,
                limit=("stall after", window),
            ),
        ]
        if args.dlq_name is not None:
            widgets.append(
                _graph(
                    args.region,
                    "Dead-letter queue",
                    MINUTE,
                    [
                        _metric(
                            "AWS/SQS",
                            "ApproximateNumberOfMessagesVisible",
                            {"QueueName": args.dlq_name},
                            "Maximum",
                            "messages",
                        ),
                    ],
                    width=6,
                )
            )
        ours = {Dimension.STACK.value: args.stack}
        widgets += [
            _graph(
                args.region,
                "Scaler runs: tasks",
                scaler_period,
                [
                    _metric(NAMESPACE, Metric.TASKS_RUNNING, ours, "Maximum", "running"),
                    _metric(NAMESPACE, Metric.TASKS_STARTED, ours, "Sum", "started"),
                ],
                width=12,
            ),
            _graph(
                args.region,
                "Scaler errors and RunTask failures",
                scaler_period,
                [
                    _metric(
                        "AWS/Lambda",
                        "Errors",
                        {"FunctionName": args.scaler_function_name},
                        "Sum",
                        "failed runs",
                    ),
                    _metric(NAMESPACE, Metric.RUN_TASK_FAILURES, ours, "Sum", "RunTask failures"),
                ],
                width=12,
            ),
            _graph(
                args.region,
                "Files per minute",
                MINUTE,
                [
                    _metric(NAMESPACE, Metric.FILES_SUCCEEDED, ours, "Sum", "succeeded"),
                    _metric(NAMESPACE, Metric.FILES_FAILED, ours, "Sum", "failed"),
                    _metric(NAMESPACE, Metric.FILES_RETRIED, ours, "Sum", "retried"),
                ],
                width=12,
            ),
            _graph(
                args.region,
                "Failed files by reason, per minute",
                MINUTE,
                [
                    [
                        {
                            "id": "reasons",
                            "label": "${PROP('Dim.Reason')}",
                            "expression": pulumi.Output.concat(
                                "SEARCH('{",
                                NAMESPACE,
                                ",",
                                Dimension.STACK.value,
                                ",",
                                Dimension.REASON.value,
                                '} MetricName="',
                                Metric.FILES_FAILED.value,
                                '" ',
                                Dimension.STACK.value,
                                '="',
                                args.stack,
                                "\"', 'Sum', ",
                                str(MINUTE),
                                ")",
                            ),
                        }
                    ],
                ],
                width=12,
            ),
            _graph(
                args.region,
                "Processing time per file (ms)",
                MINUTE,
                [
                    _metric(NAMESPACE, Metric.PROCESSING_TIME, ours, "p50", "p50"),
                    _metric(NAMESPACE, Metric.PROCESSING_TIME, ours, "p99", "p99"),
                ],
                width=12,
            ),
            _graph(
                args.region,
                "Bytes per minute",
                MINUTE,
                [
                    _metric(NAMESPACE, Metric.BYTES_IN, ours, "Sum", "read"),
                    _metric(NAMESPACE, Metric.BYTES_OUT, ours, "Sum", "written"),
                ],
                width=12,
            ),
            _widget(
                "log",
                24,
                6,
                {
                    "title": "Latest files that failed or will be retried",
                    "region": args.region,
                    "view": "table",
                    "query": pulumi.Output.concat(
                        "SOURCE '",
                        args.worker_log_group_name,
                        "' | fields @timestamp, key, "
                        "outcome, error | filter event = 'file' and outcome != 'success' "
                        "| sort @timestamp desc | limit 50",
                    ),
                },
            ),
        ]
        return widgets


def _query(
    query_id: str,
    namespace: str,
    metric_name: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    stat: str,
    period: int,
) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=query_id,
        return_data=False,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace=namespace,
            metric_name=str(metric_name),
            dimensions={str(name): value for name, value in dimensions.items()},
            stat=stat,
            period=period,
        ),
    )


def _metric(
    namespace: str,
    metric_name: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    stat: str,
    label: str,
) -> list[Any]:
    """A dashboard metric: namespace, name, dimension name/value pairs, then its options."""
    pairs = [part for name, value in dimensions.items() for part in (str(name), value)]
    return [namespace, str(metric_name), *pairs, {"stat": stat, "label": label}]


def _widget(kind: str, width: int, height: int, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "width": width, "height": height, "properties": properties}


def _graph(
    region: pulumi.Input[str],
    title: str,
    period: int,
    metrics: list[list[Any]],
    *,
    width: int,
    limit: tuple[str, float] | None = None,
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "title": title,
        "region": region,
        "view": "timeSeries",
        "period": period,
        "metrics": metrics,
    }
    if limit is not None:
        label, value = limit
        properties["annotations"] = {"horizontal": [{"label": label, "value": value}]}
    return _widget("metric", width, 6, properties)


def _layout(widgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Place widgets left to right in rows of the dashboard's 24 columns."""
    x = y = row_height = 0
    placed = []
    for widget in widgets:
        if x + widget["width"] > 24:
            x, y, row_height = 0, y + row_height, 0
        placed.append({**widget, "x": x, "y": y})
        x += widget["width"]
        row_height = max(row_height, widget["height"])
    return placed
