"""The program as a whole: what it exports, and how bad config stops it."""

from __future__ import annotations

import shlex

import pytest

import pipeline_spec
from components.config import ConfigError
from tests.unit.infra import types as t
from tests.unit.infra.conftest import byo_mocks
from tests.unit.infra.mocks import AwsMocks
from tests.unit.infra.program import StackRun, run_program, stack_config

DEFAULT_SUFFIXES = (
    *(".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"),
    *(".JPG", ".JPEG", ".PNG", ".WEBP", ".GIF", ".BMP"),
)
"""Every suffix the worker decodes, in lower and upper case: the contract's default."""


def test_outputs_tell_an_operator_where_everything_is(default_run: StackRun) -> None:
    outputs = default_run.outputs

    assert set(outputs) == {
        "sourceBucket",
        "uploadPrefix",
        "destBucket",
        "destPrefix",
        "queueUrl",
        "dlqUrl",
        "clusterName",
        "taskDefinitionArn",
        "workerImage",
        "scalerFunctionName",
        "workerLogGroup",
        "scalerLogGroup",
        "ssmPath",
        "dashboardUrl",
        "uploadCommand",
    }
    assert outputs["uploadPrefix"] == "ecsproc/"
    assert outputs["destPrefix"] == "processed"
    assert outputs["clusterName"] == "fargate-pipeline-dev-cluster"
    assert outputs["workerLogGroup"] == "/fargate-pipeline/dev/worker"
    assert outputs["scalerLogGroup"] == "/fargate-pipeline/dev/scaler"
    assert outputs["ssmPath"] == "/fargate-pipeline/dev/"
    assert outputs["dlqUrl"].startswith("https://sqs.")


def test_upload_command_is_ready_to_paste(default_run: StackRun) -> None:
    command = shlex.split(default_run.outputs["uploadCommand"])

    bucket = default_run.outputs["sourceBucket"]
    assert command == [
        "aws",
        "s3",
        "cp",
        "./images",
        f"s3://{bucket}/ecsproc/",
        "--recursive",
        "--exclude",
        "*",
        *(arg for suffix in DEFAULT_SUFFIXES for arg in ("--include", f"*{suffix}")),
    ]


def test_upload_command_without_a_suffix_uploads_everything() -> None:
    run = run_program(stack_config({"sourcePrefix": "", "sourceSuffixes": []}))

    bucket = run.outputs["sourceBucket"]
    assert shlex.split(run.outputs["uploadCommand"])[3:] == [
        "./images",
        f"s3://{bucket}/",
        "--recursive",
    ]


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"maxTasks": 0}, "maxTasks"),
        ({"targetSize": "0x224"}, "targetSize"),
        ({"resizeMode": "squash"}, "resizeMode"),
        ({"taskCpu": 1024, "taskMemory": 1000}, "taskMemory"),
        ({"cpuArchitecture": "ARM64", "useFargateSpot": True}, "useFargateSpot"),
        ({"outputFormat": "gif"}, "outputFormat"),
        ({"targetSize": "224x224,224x224"}, "targetSize"),
        (
            {"sourceBucket": "shared", "destBucket": "shared", "sourcePrefix": ""},
            "destPrefix",
        ),
    ],
)
def test_bad_config_stops_the_program_before_any_resource(
    settings: dict[str, object], key: str
) -> None:
    mocks = AwsMocks()

    with pytest.raises(ConfigError, match=rf"^Invalid stack config fargate-pipeline:{key} = "):
        run_program(stack_config(settings), mocks=mocks)

    assert mocks.resources == []
    assert mocks.calls == []


def test_max_tasks_1000_deploys() -> None:
    run = run_program(stack_config({"maxTasks": 1000}))

    [parameter] = [
        p for p in run.of_type(t.PARAMETER) if p.inputs["name"].endswith("PIPELINE_ECS_MAX_TASKS")
    ]
    assert parameter.inputs["value"] == "1000"


def test_same_bucket_for_uploads_and_outputs_deploys_when_outputs_cannot_loop() -> None:
    mocks = AwsMocks(existing_buckets=frozenset({"shared"}))
    run = run_program(stack_config({"sourceBucket": "shared", "destBucket": "shared"}), mocks=mocks)

    assert run.outputs["sourceBucket"] == run.outputs["destBucket"] == "shared"
    assert run.one(t.NOTIFICATION).inputs["bucket"] == "shared"


def test_default_vpc_without_subnets_is_a_config_error() -> None:
    # GIVEN an account whose default VPC has no default subnets
    mocks = AwsMocks()
    mocks.default_subnet_ids = []

    with pytest.raises(ConfigError, match="set fargate-pipeline:subnetIds"):
        run_program(stack_config(), mocks=mocks)


def test_preview_declares_the_same_graph(default_run: StackRun) -> None:
    preview = run_program(stack_config(), preview=True)

    assert sorted((r.typ, r.name) for r in preview.resources) == sorted(
        (r.typ, r.name) for r in default_run.resources
    )


def test_missing_existing_bucket_fails_the_program() -> None:
    # the mocks, like AWS, hold no bucket by this name
    with pytest.raises(Exception, match="no S3 bucket named my-raw-images"):
        run_program(stack_config({"sourceBucket": "my-raw-images"}), mocks=AwsMocks())
    # and with it present, the same config deploys
    run_program(stack_config({"sourceBucket": "my-raw-images"}), mocks=byo_mocks())


def test_upload_command_can_target_an_emulator() -> None:
    command = pipeline_spec.upload_command(
        "b", "in/", (".png", ".PNG"), source_dir="my images", endpoint_url="http://127.0.0.1:5000"
    )

    assert shlex.split(command) == [
        *("aws", "s3", "cp", "my images", "s3://b/in/", "--recursive"),
        *("--exclude", "*", "--include", "*.png", "--include", "*.PNG"),
        *("--endpoint-url", "http://127.0.0.1:5000"),
    ]
