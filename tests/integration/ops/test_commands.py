"""The commands against moto's in-process AWS: what each one sends, reads and writes."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract.env import Env
from contract.ssm import Param, ssm_path
from ops import cli
from ops.backfill import BackfillOptions, backfill
from ops.cli import EXIT_OK, EXIT_USAGE, main
from ops.clients import Clients
from ops.display import Counts
from ops.errors import SendFailed
from ops.retry import move_by_hand
from ops.stack import load_stack
from tests.integration.ops.conftest import (
    DEST_BUCKET,
    SOURCE_BUCKET,
    STACK,
    MotoStack,
    register_worker,
)
from worker.events import parse_body

Runner = Callable[..., tuple[int, str]]


@pytest.fixture
def run(clients: Clients, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run the CLI in this process; return its exit code and what it printed."""

    def run_cli(*argv: str) -> tuple[int, str]:
        code = main(["--stack", STACK, *argv], clients)
        captured = capsys.readouterr()
        assert code == EXIT_OK, captured.err
        return code, captured.out

    return run_cli


def keys_of(bodies: list[str]) -> list[str]:
    return sorted(record.key for body in bodies for record in parse_body(body).records)


def test_backfill_enqueues_the_matching_objects_without_an_outcome(
    stack: MotoStack, run: Runner
) -> None:
    # GIVEN objects in folders and at the top, one already done, one the filter ignores
    for key in ("ecsproc/top.jpg", "ecsproc/a/1.jpg", "ecsproc/a/2 two.png", "ecsproc/b/3+.jpg"):
        stack.put_source(key)
    stack.put_source("ecsproc/notes.txt")
    stack.put_source("elsewhere/x.jpg")
    stack.put_log("ecsproc/a/1.jpg", "success")
    # WHEN backfilled
    _, out = run("backfill")
    # THEN one message per object still to do, in the worker's event shape
    bodies = stack.queued_bodies()
    assert keys_of(bodies) == ["ecsproc/a/2 two.png", "ecsproc/b/3+.jpg", "ecsproc/top.jpg"]
    assert {record.bucket for body in bodies for record in parse_body(body).records} == {
        SOURCE_BUCKET
    }
    assert "listed 4 / already done 1 / enqueued 3" in out


def test_backfill_all_dry_run_and_prefix(stack: MotoStack, run: Runner) -> None:
    for key in ("ecsproc/a/1.jpg", "ecsproc/b/2.jpg"):
        stack.put_source(key)
        stack.put_log(key, "success")
    # --dry-run counts and sends nothing
    _, out = run("backfill", "--all", "--dry-run")
    assert "listed 2 / already done 2 / would enqueue 2" in out
    assert stack.queued_bodies() == []
    # without --all, everything is done
    _, out = run("backfill")
    assert "enqueued 0" in out
    # --all --prefix reprocesses that folder only
    run("backfill", "--all", "--prefix", "ecsproc/b/")
    assert keys_of(stack.queued_bodies()) == ["ecsproc/b/2.jpg"]


def test_retry_enqueues_failures_of_the_reason_asked_and_moves_the_dlq(
    stack: MotoStack, run: Runner, clients: Clients
) -> None:
    for key, reason in (("ecsproc/bad.jpg", "corrupt"), ("ecsproc/gone.jpg", "object-gone")):
        stack.put_log(key, "failed", json.dumps({"error": {"reason": reason}}).encode())
    stack.put_log("ecsproc/fixed.jpg", "failed")
    stack.put_log("ecsproc/ok.jpg", "success")
    # A stack whose queue the user brought has no DLQ under it (and moto no StartMessageMoveTask)
    stack.ssm.delete_parameter(Name=ssm_path(STACK) + Param.DLQ_URL)
    # WHEN retrying only the corrupt ones
    _, out = run("retry", "--reason", "corrupt")
    assert keys_of(stack.queued_bodies()) == ["ecsproc/bad.jpg"]
    assert "re-enqueued 1 failed file(s); no DLQ under the stack" in out
    # and without a reason, every file whose newest log is a failure
    run("retry")
    assert keys_of(stack.queued_bodies()) == [
        "ecsproc/bad.jpg",
        "ecsproc/fixed.jpg",
        "ecsproc/gone.jpg",
    ]
    # and the DLQ by hand (moto has no StartMessageMoveTask), body for body
    bodies = [f'{{"Records": [], "n": {index}}}' for index in range(13)]
    for body in bodies:
        stack.sqs.send_message(QueueUrl=stack.dlq_url, MessageBody=body)
    assert move_by_hand(clients.sqs, stack.dlq_url, stack.queue_url) == 13
    assert sorted(stack.queued_bodies()) == sorted(bodies)
    assert stack.queued_bodies(stack.dlq_url) == []


def test_report_counts_outcomes_by_reason_and_writes_one_row_per_file(
    stack: MotoStack, run: Runner, tmp_path: Path
) -> None:
    stack.put_source("ecsproc/ok.jpg")
    stack.put_log("ecsproc/ok.jpg", "success")
    stack.put_source("ecsproc/bad.jpg")
    stack.put_log("ecsproc/bad.jpg", "failed", b'{"error": {"reason": "corrupt"}}')
    stack.put_source("ecsproc/waiting.jpg")
    _, out = run("report", "--out", str(tmp_path / "report.csv"))
    rows = list(csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8")))
    assert sorted((row["key"], row["outcome"], row["reason"]) for row in rows) == [
        ("ecsproc/bad.jpg", "failed", "corrupt"),
        ("ecsproc/ok.jpg", "success", ""),
        ("ecsproc/waiting.jpg", "none", ""),
    ]
    assert [json.loads(row["outputs"]) for row in rows if row["outcome"] == "success"] == [
        ["processed/ecsproc/ok.jpg"]
    ]
    for line in ("succeeded", "corrupt", "no outcome yet"):
        assert any(line in row and row.rstrip().endswith("1 │") for row in out.splitlines()), out


def test_report_lists_every_output_the_workers_write(
    stack: MotoStack, run: Runner, tmp_path: Path
) -> None:
    # GIVEN workers deployed with two sizes and WebP outputs
    arn = register_worker(
        stack.ecs, {Env.TARGET_SIZE: "224x224,299x299", Env.OUTPUT_FORMAT: "webp"}
    )
    name = ssm_path(STACK) + Param.ECS_TASK_DEFINITION
    stack.ssm.put_parameter(Name=name, Value=arn, Type="String", Overwrite=True)
    stack.put_source("ecsproc/ok.jpg")
    stack.put_log("ecsproc/ok.jpg", "success")
    run("report", "--out", str(tmp_path / "report.csv"))
    (row,) = csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8"))
    assert json.loads(row["outputs"]) == [
        "processed/224x224/ecsproc/ok.webp",
        "processed/299x299/ecsproc/ok.webp",
    ]


def charged(task: str, seconds: str) -> dict[str, str]:
    return {"task": task, "task-seconds": seconds}


def row_value(out: str, name: str) -> str:
    """The right-hand cell of the report table's row named ``name``."""
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[0] == name:
            return cells[1]
    raise AssertionError(f"no row {name!r} in:\n{out}")


def test_report_prices_the_task_time_its_logs_carry(stack: MotoStack, run: Runner) -> None:
    # GIVEN three files done by two tasks (1 vCPU, 2 GB, x86, idle 20 s by default)
    for key, task, seconds in (("a", "t1", "10"), ("b", "t1", "20"), ("c", "t2", "30")):
        stack.put_source(f"ecsproc/{key}.jpg")
        stack.put_log(f"ecsproc/{key}.jpg", "success", metadata=charged(task, seconds))
    _, out = run("report")
    # THEN every log is read: 60 s of processing, 2 x 20 s idle, and each task's 50 s topped up
    # to Fargate's minute: 120 s at $0.04048 + 2 x $0.004445 an hour = $0.001646
    assert row_value(out, "processing (from the logs)") == "60 s"
    assert row_value(out, "idle before exit (2 tasks)") == "40 s"
    assert row_value(out, "one-minute minimum") == "20 s"
    assert row_value(out, "task time") == "0.033 task-hours"
    assert row_value(out, "estimated task cost") == "$0.0016"
    assert "every one of the 3 logs" in " ".join(out.split())


def test_report_prices_graviton_tasks_and_their_idle_timeout(stack: MotoStack, run: Runner) -> None:
    # GIVEN 2 vCPU / 4 GB ARM64 tasks that idle 60 s, and one task's 3,540 s of work
    arn = register_worker(
        stack.ecs,
        {Env.TARGET_SIZE: "224x224", Env.IDLE_SECONDS: "60"},
        cpu="2048",
        memory="4096",
        runtimePlatform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
    )
    name = ssm_path(STACK) + Param.ECS_TASK_DEFINITION
    stack.ssm.put_parameter(Name=name, Value=arn, Type="String", Overwrite=True)
    stack.put_source("ecsproc/a.jpg")
    stack.put_log("ecsproc/a.jpg", "success", metadata=charged("t1", "3540"))
    _, out = run("report")
    # THEN one task-hour at 2 x $0.03238 + 4 x $0.00356
    assert row_value(out, "task time") == "1.000 task-hours"
    assert row_value(out, "estimated task cost") == "$0.0790"


def test_report_without_task_times_says_so(stack: MotoStack, run: Runner) -> None:
    # GIVEN a log written before logs carried their task's time
    stack.put_source("ecsproc/a.jpg")
    stack.put_log("ecsproc/a.jpg", "success")
    _, out = run("report")
    assert row_value(out, "estimated task cost") == "unknown (no log carries its task time)"


def test_a_task_definition_without_a_task_size_is_one_line(
    stack: MotoStack, clients: Clients, capsys: pytest.CaptureFixture[str]
) -> None:
    definition = stack.ecs.register_task_definition(
        family="worker", containerDefinitions=[{"name": "w", "image": "w", "memory": 512}]
    )["taskDefinition"]
    name = ssm_path(STACK) + Param.ECS_TASK_DEFINITION
    stack.ssm.put_parameter(
        Name=name, Value=definition["taskDefinitionArn"], Type="String", Overwrite=True
    )
    assert main(["--stack", STACK, "report"], clients) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "error: stack 'test': the worker task definition's task-level cpu is not set "
        "(Fargate requires it)\n"
    )


def test_status_json_and_pause_resume(stack: MotoStack, run: Runner) -> None:
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody="{}")
    stack.sqs.send_message(QueueUrl=stack.dlq_url, MessageBody="{}")
    _, out = run("pause")
    assert "pulumi up" in out
    name = ssm_path(STACK) + Param.ENABLED
    assert stack.ssm.get_parameter(Name=name)["Parameter"]["Value"] == "0"
    _, out = run("status", "--json")
    status = json.loads(out)
    assert status["enabled"] is False
    assert (status["visible"], status["dlq_depth"], status["tasks_running"]) == (1, 1, 0)
    run("resume")
    assert stack.ssm.get_parameter(Name=name)["Parameter"]["Value"] == "1"


class Refreshes:
    """Stands in for ``--watch``'s sleep: sends a message before each refresh, then Ctrl-C."""

    def __init__(self, stack: MotoStack, refreshes: int) -> None:
        self.stack = stack
        self.left = refreshes
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        if not self.left:
            raise KeyboardInterrupt
        self.left -= 1
        self.stack.sqs.send_message(QueueUrl=self.stack.queue_url, MessageBody="{}")


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "table"])
def test_status_watch_refreshes_until_ctrl_c(
    stack: MotoStack,
    run: Runner,
    monkeypatch: pytest.MonkeyPatch,
    as_json: bool,
) -> None:
    # GIVEN a queue that gains a message before each of two refreshes
    refreshes = Refreshes(stack, refreshes=2)
    monkeypatch.setattr("ops.cli.time.sleep", refreshes)
    # WHEN watched, then interrupted
    code, out = run("status", "--watch", *(["--json"] if as_json else []))
    # THEN three snapshots, 5 s apart, each with the queue as it then was; Ctrl-C exits 0
    assert code == EXIT_OK
    assert refreshes.slept == [cli.WATCH_SECONDS] * 3
    if as_json:
        decoder, documents, at = json.JSONDecoder(), [], 0
        while at < len(out.rstrip()):
            document, at = decoder.raw_decode(out, at)
            documents.append(document)
            at += len(out[at:]) - len(out[at:].lstrip())
        assert [document["visible"] for document in documents] == [0, 1, 2]
    else:
        # Off a terminal, rich's Live prints the table as it was when it stopped
        assert row_value(out, "waiting") == "2"


def test_backfill_from_an_inventory_report_reads_its_data_files_in_any_order(
    stack: MotoStack, run: Runner
) -> None:
    # GIVEN a CSV report of two gzipped data files, unsorted, keys URL-encoded with + for space
    schema = "Bucket, Key, Size, LastModifiedDate, IsLatest"
    data = {
        "inventory/data/1.csv.gz": [
            (SOURCE_BUCKET, "ecsproc/z+last.jpg", "10", "2026-12-01T10:00:00.000Z", "true"),
            (SOURCE_BUCKET, "ecsproc/done.jpg", "10", "2026-12-01T10:00:00.000Z", "true"),
            (SOURCE_BUCKET, "ecsproc/old-version.jpg", "10", "2026-12-01T10:00:00.000Z", "false"),
        ],
        "inventory/data/2.csv.gz": [
            (SOURCE_BUCKET, "ecsproc/caf%C3%A9.jpg", "10", "2026-12-01T10:00:00.000Z", "true"),
            (SOURCE_BUCKET, "ecsproc/notes.txt", "10", "2026-12-01T10:00:00.000Z", "true"),
            (SOURCE_BUCKET, "ecsproc/a%2Bb.jpg", "10", "2026-12-01T10:00:00.000Z", "true"),
        ],
    }
    for key, rows in data.items():
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        stack.s3.put_object(
            Bucket=DEST_BUCKET, Key=key, Body=gzip.compress(text.getvalue().encode())
        )
    manifest = {
        "sourceBucket": SOURCE_BUCKET,
        "destinationBucket": f"arn:aws:s3:::{DEST_BUCKET}",
        "fileFormat": "CSV",
        "fileSchema": schema,
        "files": [{"key": key, "size": 1, "MD5checksum": "x"} for key in data],
    }
    stack.s3.put_object(
        Bucket=DEST_BUCKET, Key="inventory/manifest.json", Body=json.dumps(manifest)
    )
    stack.put_log("ecsproc/done.jpg", "success")
    # WHEN backfilled from it
    _, out = run("backfill", "--inventory", f"s3://{DEST_BUCKET}/inventory/manifest.json")
    # THEN the current, matching objects without an outcome are enqueued, keys decoded
    assert keys_of(stack.queued_bodies()) == [
        "ecsproc/a+b.jpg",
        "ecsproc/café.jpg",
        "ecsproc/z last.jpg",
    ]
    assert "listed 4 / already done 1 / enqueued 3" in out


def test_backfill_makes_no_request_per_object_only_list_pages_and_send_batches(
    stack: MotoStack, clients: Clients
) -> None:
    # GIVEN 60 objects in three folders, a third of them done
    for index in range(60):
        key = f"ecsproc/set-{index % 3}/{index:03d}.jpg"
        stack.put_source(key)
        if index < 20:
            stack.put_log(key, "success")
    requests: list[str] = []
    for client in (clients.s3, clients.sqs):
        client.meta.events.register(
            "before-send", lambda request, **kwargs: requests.append(request.url)
        )
    registry = load_stack(clients.ssm, STACK)
    # WHEN backfilled
    result = backfill(clients, registry, BackfillOptions(), Counts())
    # THEN the requests are the listings (the prefix with a delimiter, then each folder; sources
    # and logs: 2 + 2 x 3) and one SendMessageBatch per 10 of the 40 to do
    assert (result.listed, result.done, result.enqueued) == (60, 20, 40)
    assert len(requests) == 2 + 2 * 3 + 4


class RefusingSends:
    """The SQS client, except that SendMessageBatch refuses every entry."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)

    def send_message_batch(self, **request: Any) -> dict[str, Any]:
        failed = [
            {"Id": entry["Id"], "Code": "AccessDenied", "SenderFault": True, "Message": "no"}
            for entry in request["Entries"]
        ]
        return {"Successful": [], "Failed": failed}


def test_the_dlq_keeps_what_could_not_be_sent_to_the_queue(
    stack: MotoStack, clients: Clients
) -> None:
    stack.sqs.send_message(QueueUrl=stack.dlq_url, MessageBody="kept")
    with pytest.raises(SendFailed, match="AccessDenied"):
        move_by_hand(RefusingSends(clients.sqs), stack.dlq_url, stack.queue_url)
    # THEN it is still in the DLQ (in flight until its visibility runs out), never deleted
    attributes = stack.sqs.get_queue_attributes(
        QueueUrl=stack.dlq_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert (
        int(attributes["ApproximateNumberOfMessages"])
        + int(attributes["ApproximateNumberOfMessagesNotVisible"])
        == 1
    )
    assert stack.queued_bodies() == []
