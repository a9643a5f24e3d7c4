"""Bad input: one clear line naming what is wrong, exit 2, and nothing sent."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from ops.cli import EXIT_AWS_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, main
from ops.clients import Clients
from tests.integration.ops.conftest import DEST_BUCKET, STACK, MotoStack

MANIFEST_URL = f"s3://{DEST_BUCKET}/inventory/manifest.json"
Runner = Callable[..., tuple[int, str]]


@pytest.fixture
def run(clients: Clients, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run the CLI in this process; return its exit code and what it wrote to stderr."""

    def run_cli(*argv: str) -> tuple[int, str]:
        code = main(list(argv), clients)
        return code, capsys.readouterr().err

    return run_cli


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {lines}"
    return lines[0]


def test_an_unknown_stack_is_named_and_nothing_is_sent(stack: MotoStack, run: Runner) -> None:
    stack.put_source("ecsproc/a.jpg")
    code, err = run("--stack", "prod", "backfill")
    assert code == EXIT_USAGE
    line = one_line(err)
    assert "'prod'" in line
    assert "/fargate-pipeline/prod/" in line
    assert stack.queued_bodies() == []


def test_a_stack_name_that_is_no_name_is_refused(stack: MotoStack, run: Runner) -> None:
    code, err = run("--stack", "../test", "status")
    assert code == EXIT_USAGE
    assert "'../test'" in one_line(err)


def test_a_prefix_outside_the_pipelines_prefix_is_refused(stack: MotoStack, run: Runner) -> None:
    stack.put_source("ecsproc/a.jpg")
    stack.put_source("other/b.jpg")
    code, err = run("--stack", STACK, "backfill", "--prefix", "other/")
    assert code == EXIT_USAGE
    line = one_line(err)
    assert "'other/'" in line and "'ecsproc/'" in line
    assert stack.queued_bodies() == []


@pytest.mark.parametrize(
    ("manifest", "named"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"fileFormat": "ORC"}), "only CSV"),
        (json.dumps({"fileFormat": "CSV", "fileSchema": "Bucket, Size"}), "Key"),
        (
            json.dumps({"fileFormat": "CSV", "fileSchema": "Bucket, Key", "files": []}),
            "'files'",
        ),
    ],
)
def test_a_malformed_inventory_manifest_is_refused(
    stack: MotoStack, run: Runner, manifest: str, named: str
) -> None:
    stack.s3.put_object(Bucket=DEST_BUCKET, Key="inventory/manifest.json", Body=manifest)
    code, err = run("--stack", STACK, "backfill", "--inventory", MANIFEST_URL)
    assert code == EXIT_USAGE
    line = one_line(err)
    assert named in line and MANIFEST_URL in line
    assert stack.queued_bodies() == []


def test_an_inventory_url_that_is_not_a_manifest_is_refused(stack: MotoStack, run: Runner) -> None:
    code, err = run("--stack", STACK, "backfill", "--inventory", "my-bucket/list.csv")
    assert code == EXIT_USAGE
    assert "manifest.json" in one_line(err)


def test_a_missing_parameter_is_named(stack: MotoStack, run: Runner) -> None:
    stack.ssm.delete_parameter(Name=f"/fargate-pipeline/{STACK}/PIPELINE_S3_SOURCE_BUCKET")
    code, err = run("--stack", STACK, "backfill")
    assert code == EXIT_USAGE
    assert "PIPELINE_S3_SOURCE_BUCKET" in one_line(err)


def test_an_aws_error_is_one_line_and_exit_1(stack: MotoStack, run: Runner) -> None:
    stack.sqs.delete_queue(QueueUrl=stack.queue_url)
    code, err = run("--stack", STACK, "status")
    assert code == EXIT_AWS_ERROR
    assert "NonExistentQueue" in one_line(err) or "QueueDoesNotExist" in one_line(err)


def test_ctrl_c_is_not_a_success(
    stack: MotoStack, clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("ops.cli.backfill", interrupted)
    assert main(["--stack", STACK, "backfill"], clients) == EXIT_INTERRUPTED
