"""The dashboard and the alarms: what they watch, on this stack's resources, and who hears."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components.config import ConfigError
from contract.layout import Outcome
from contract.metrics import NAMESPACE
from scaler.handler import ScalerResult
from scaler.metrics import run_document
from tests.support import emf
from tests.unit.infra import types as t
from tests.unit.infra.conftest import BYO_QUEUE
from tests.unit.infra.mocks import REGION, AwsMocks
from tests.unit.infra.program import ROOT, StackRun, run_program, stack_config
from worker.files import FileResult
from worker.metrics import FileMetrics
from worker.rejection import Rejection

PREFIX = "fargate-pipeline-dev"
ADDRESS = "ml-ops@example.com"
SEARCH = re.compile(r"SEARCH\('\{([^}]*)\} MetricName=\"(\w+)\" (\w+)=\"([^\"]*)\"'")

Identity = tuple[str, str, frozenset[tuple[str, str]]]


@pytest.fixture(scope="module")
def email_run() -> StackRun:
    return run_program(stack_config({"alarmEmail": ADDRESS}))


def queue_name(url: str) -> str:
    return url.rpartition("/")[2]


def alarms(run: StackRun) -> dict[str, dict[str, Any]]:
    return {r.inputs["name"]: r.inputs for r in run.of_type(t.METRIC_ALARM)}


def dashboard(run: StackRun) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(run.one(t.DASHBOARD).inputs["dashboardBody"])
    return body


def dashboard_metrics(body: dict[str, Any]) -> list[Identity]:
    """Every metric a dashboard graph plots, SEARCH expressions included, as
    (namespace, name, dimensions); a SEARCH's dimensions are its schema's, valued as it filters."""
    found: list[Identity] = []
    for widget in body["widgets"]:
        for entry in widget["properties"].get("metrics", []):
            if isinstance(entry[0], dict):
                match = SEARCH.match(entry[0]["expression"])
                assert match, entry
                namespace, *names = match.group(1).split(",")
                filtered = {match.group(3): match.group(4)}
                dimensions = frozenset((name, filtered.get(name, "*")) for name in names)
                found.append((namespace, match.group(2), dimensions))
                continue
            namespace, name, *rest = entry
            pairs = [part for part in rest if not isinstance(part, dict)]
            found.append((namespace, name, frozenset(zip(pairs[::2], pairs[1::2], strict=True))))
    return found


def alarm_metrics(run: StackRun) -> list[Identity]:
    found: list[Identity] = []
    for inputs in alarms(run).values():
        queries = [q["metric"] for q in inputs.get("metricQueries", []) if "metric" in q]
        if not queries:
            queries = [inputs]
        for metric in queries:
            dimensions = frozenset(metric.get("dimensions", {}).items())
            found.append((metric["namespace"], metric["metricName"], dimensions))
    return found


def test_the_dashboard_is_named_for_the_stack_and_its_url_is_an_output(
    default_run: StackRun,
) -> None:
    resource = default_run.one(t.DASHBOARD)

    # Dashboards are global to an account: the region keeps two regions' stacks apart.
    assert resource.inputs["dashboardName"] == f"{PREFIX}-{REGION}"
    assert default_run.outputs["dashboardUrl"] == (
        f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
        f"#dashboards/dashboard/{PREFIX}-{REGION}"
    )


def test_every_dashboard_metric_is_this_stacks(default_run: StackRun) -> None:
    outputs = default_run.outputs
    ours = {
        ("AWS/SQS", "QueueName"): {queue_name(outputs["queueUrl"]), queue_name(outputs["dlqUrl"])},
        ("AWS/Lambda", "FunctionName"): {outputs["scalerFunctionName"]},
        (NAMESPACE, "Stack"): {"dev"},
        (NAMESPACE, "Reason"): {"*"},
    }
    body = dashboard(default_run)
    plotted = dashboard_metrics(body)

    assert len(plotted) >= 15
    for namespace, name, dimensions in plotted:
        assert dimensions, f"{name} is not narrowed to this stack"
        for dimension, value in dimensions:
            assert value in ours[(namespace, dimension)], (namespace, name, dimension, value)
    assert {w["properties"]["region"] for w in body["widgets"] if w["type"] != "alarm"} == {REGION}
    (log,) = [w for w in body["widgets"] if w["type"] == "log"]
    assert log["properties"]["query"].startswith(f"SOURCE '{outputs['workerLogGroup']}' |")


def test_the_dashboard_shows_every_alarm(default_run: StackRun) -> None:
    (status,) = [w for w in dashboard(default_run)["widgets"] if w["type"] == "alarm"]

    arns = {
        f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{name}" for name in alarms(default_run)
    }
    assert set(status["properties"]["alarms"]) == arns


def test_the_alarms_watch_what_the_readme_says(default_run: StackRun) -> None:
    found = alarms(default_run)
    dlq = queue_name(default_run.outputs["dlqUrl"])
    queue = queue_name(default_run.outputs["queueUrl"])
    function = default_run.outputs["scalerFunctionName"]

    assert set(found) == {
        f"{PREFIX}-dlq-not-empty",
        f"{PREFIX}-stall",
        f"{PREFIX}-scaler-failing",
        f"{PREFIX}-in-flight-near-limit",
    }
    for inputs in found.values():
        assert (inputs["comparisonOperator"], inputs["evaluationPeriods"]) == (
            "GreaterThanThreshold",
            1,
        )
        assert inputs["treatMissingData"] == "notBreaching"
    dlq_alarm = found[f"{PREFIX}-dlq-not-empty"]
    assert (
        dlq_alarm["namespace"],
        dlq_alarm["metricName"],
        dlq_alarm["dimensions"],
        dlq_alarm["statistic"],
        dlq_alarm["period"],
        dlq_alarm["threshold"],
    ) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": dlq}, "Maximum", 60, 0)
    in_flight = found[f"{PREFIX}-in-flight-near-limit"]
    assert (
        in_flight["metricName"],
        in_flight["dimensions"],
        in_flight["statistic"],
        in_flight["period"],
        in_flight["threshold"],
    ) == ("ApproximateNumberOfMessagesNotVisible", {"QueueName": queue}, "Maximum", 60, 96_000)
    # rate(2 minutes): a message may wait 120 s for the scaler, 180 s for a task, 60 s for metrics
    stall = queries(found[f"{PREFIX}-stall"])
    assert stall == {
        "age": ("AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": queue}, "Maximum", 360),
        "succeeded": (NAMESPACE, "FilesSucceeded", {"Stack": "dev"}, "Sum", 360),
        "stalled": "IF(age > 360 AND FILL(succeeded, 0) == 0, 1, 0)",
    }
    assert found[f"{PREFIX}-stall"]["threshold"] == 0
    scaler = queries(found[f"{PREFIX}-scaler-failing"])
    assert scaler == {
        "errors": ("AWS/Lambda", "Errors", {"FunctionName": function}, "Sum", 120),
        "failures": (NAMESPACE, "RunTaskFailures", {"Stack": "dev"}, "Sum", 120),
        "failing": "FILL(errors, 0) + FILL(failures, 0)",
    }
    assert found[f"{PREFIX}-scaler-failing"]["threshold"] == 0


def queries(inputs: dict[str, Any]) -> dict[str, Any]:
    """An alarm's metric queries: a metric as (namespace, name, dimensions, stat, period), an
    expression as its text; only the expression is the alarm's data."""
    described: dict[str, Any] = {}
    for query in inputs["metricQueries"]:
        if "expression" in query:
            assert query["returnData"] is True
            described[query["id"]] = query["expression"]
        else:
            assert query["returnData"] is False
            m = query["metric"]
            described[query["id"]] = (
                m["namespace"], m["metricName"], m["dimensions"], m["stat"], m["period"]
            )  # fmt: skip
    return described


def test_the_windows_follow_the_schedule() -> None:
    run = run_program(stack_config({"scheduleExpression": "rate(5 minutes)"}))
    found = alarms(run)

    stall = queries(found[f"{PREFIX}-stall"])
    assert stall["age"][4] == stall["succeeded"][4] == 300 + 180 + 60
    assert stall["stalled"] == "IF(age > 540 AND FILL(succeeded, 0) == 0, 1, 0)"
    assert queries(found[f"{PREFIX}-scaler-failing"])["errors"][4] == 300


def test_without_alarm_email_the_alarms_notify_no_one(default_run: StackRun) -> None:
    assert default_run.of_type(t.TOPIC) == []
    assert default_run.of_type(t.TOPIC_SUBSCRIPTION) == []
    for inputs in alarms(default_run).values():
        assert inputs.get("alarmActions", []) == []
        assert inputs.get("okActions", []) == []


def test_alarm_email_is_subscribed_and_hears_every_alarm_and_its_recovery(
    email_run: StackRun,
) -> None:
    email_run.one(t.TOPIC)
    subscription = email_run.one(t.TOPIC_SUBSCRIPTION)

    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == ("email", ADDRESS)
    assert subscription.inputs["topic"].startswith(f"arn:aws:sns:{REGION}:")
    for inputs in alarms(email_run).values():
        assert inputs["alarmActions"] == [subscription.inputs["topic"]]
        assert inputs["okActions"] == [subscription.inputs["topic"]]


@pytest.mark.parametrize(
    "address", ["ops", "ops@", "ops@example", "two@example.com,three@example.com", "a b@c.io"]
)
def test_a_bad_alarm_email_stops_the_program_with_one_line_naming_it(address: str) -> None:
    mocks = AwsMocks()

    with pytest.raises(ConfigError) as raised:
        run_program(stack_config({"alarmEmail": address}), mocks=mocks)

    message = str(raised.value)
    assert message.startswith(f"Invalid stack config fargate-pipeline:alarmEmail = {address!r}")
    assert "\n" not in message
    assert mocks.resources == []


def test_with_the_users_queue_there_is_no_dlq_to_watch(byo_run: StackRun) -> None:
    run = byo_run
    found = alarms(run)

    assert f"{PREFIX}-dlq-not-empty" not in found
    assert found[f"{PREFIX}-in-flight-near-limit"]["dimensions"] == {"QueueName": BYO_QUEUE}
    queues = {
        dict(dimensions)["QueueName"]
        for namespace, _, dimensions in dashboard_metrics(dashboard(run))
        if namespace == "AWS/SQS"
    }
    assert queues == {BYO_QUEUE}


def emitted(stack: str) -> set[Identity]:
    """What the real worker and scaler publish, over every kind of file outcome and a run."""
    metrics = FileMetrics(f"/fargate-pipeline/{stack}/")
    results = [
        FileResult(Outcome.SUCCESS, bytes_in=10, bytes_out=5),
        *(FileResult(Outcome.FAILED, "x", reason=reason, bytes_in=1) for reason in Rejection),
        FileResult(None, "x"),
    ]
    documents = [metrics.document(result, 1.0) for result in results]
    run = ScalerResult(
        enabled=True, visible=1, in_flight=0, running=0, max_tasks=1, max_tasks_per_run=1,
        messages_per_task=1, needed=1, requested=1, limited_by="none", started=1, failures=[],
        run_task_calls=1,
    )  # fmt: skip
    documents.append(run_document(run, f"/fargate-pipeline/{stack}/", 0))
    found: set[Identity] = set()
    for document in documents:
        emf.validate(document)
        found.update(metric.identity for metric in emf.published(document))
    return found


def test_every_metric_of_ours_the_dashboard_and_alarms_read_is_emitted(
    default_run: StackRun,
) -> None:
    published = emitted("dev")
    # A SEARCH matches any value of the dimensions it does not filter on.
    patterns = {
        (namespace, name, frozenset(name for name, _ in dimensions))
        for namespace, name, dimensions in published
    }
    read = [
        identity
        for identity in [*dashboard_metrics(dashboard(default_run)), *alarm_metrics(default_run)]
        if identity[0] == NAMESPACE
    ]

    assert len(read) >= 10
    for namespace, name, dimensions in read:
        if any(value == "*" for _, value in dimensions):
            key = (namespace, name, frozenset(dimension for dimension, _ in dimensions))
            assert key in patterns, f"{name} {sorted(dimensions)} is read but never emitted"
        else:
            assert (namespace, name, dimensions) in published, (
                f"{name} {sorted(dimensions)} is read but never emitted"
            )


def test_the_readme_tells_what_each_alarm_means(default_run: StackRun) -> None:
    operate = (ROOT / "README.md").read_text()
    for name in alarms(default_run):
        role = name.removeprefix(f"{PREFIX}-")
        assert f"| `{role}` |" in operate, f"README's alarm table lacks {role}"


@pytest.mark.parametrize("package", ["worker", "scaler"])
def test_no_part_calls_the_metrics_api(package: str) -> None:
    # EMF lines only: a PutMetricData call would need an IAM permission the roles do not have.
    for path in (ROOT / package).rglob("*.py"):
        text = path.read_text()
        assert "put_metric_data" not in text and '"cloudwatch"' not in text, path
