"""Created buckets, queue, DLQ, queue policy and notification."""

from __future__ import annotations

import json

import pytest

import pipeline_spec
from tests.unit.infra import types as t
from tests.unit.infra.mocks import ACCOUNT_ID, bucket_arn, queue_arn
from tests.unit.infra.program import StackRun, run_program, stack_config


def _by_name(run: StackRun, typ: str) -> dict[str, dict[str, object]]:
    return {resource.name: resource.inputs for resource in run.of_type(typ)}


def test_created_buckets_are_private_encrypted_tls_only_and_destroyable(
    default_run: StackRun,
) -> None:
    buckets = _by_name(default_run, t.BUCKET)
    assert set(buckets) == {"pipeline-source", "pipeline-dest"}
    assert all(inputs["forceDestroy"] is True for inputs in buckets.values())

    for block in default_run.of_type(t.PUBLIC_ACCESS_BLOCK):
        flags = (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
        assert all(block.inputs[flag] is True for flag in flags), block.name
    for encryption in default_run.of_type(t.ENCRYPTION):
        [rule] = encryption.inputs["rules"]
        assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"

    policies = {
        p.inputs["bucket"]: json.loads(p.inputs["policy"])
        for p in default_run.of_type(t.BUCKET_POLICY)
    }
    names = {default_run.outputs["sourceBucket"], default_run.outputs["destBucket"]}
    assert set(policies) == names
    for name, policy in policies.items():
        [statement] = policy["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert statement["Resource"] == [bucket_arn(name), f"{bucket_arn(name)}/*"]


def test_queue_has_a_dlq_sized_retention_and_the_configured_receive_count(
    default_run: StackRun,
) -> None:
    queues = _by_name(default_run, t.QUEUE)
    queue, dlq = queues["pipeline-queue"], queues["pipeline-dlq"]

    assert queue["visibilityTimeoutSeconds"] == pipeline_spec.QUEUE_VISIBILITY_TIMEOUT_SECONDS
    assert queue["maxMessageSize"] >= 64 * 1024
    assert dlq["messageRetentionSeconds"] > queue["messageRetentionSeconds"]
    redrive = json.loads(str(queue["redrivePolicy"]))
    dlq_name = default_run.outputs["dlqUrl"].rsplit("/", 1)[1]
    assert redrive == {"deadLetterTargetArn": queue_arn(dlq_name), "maxReceiveCount": 5}


def test_max_receive_count_comes_from_config() -> None:
    run = run_program(stack_config({"maxReceiveCount": 2}))

    queue = run.one(t.QUEUE, "pipeline-queue")
    assert json.loads(queue.inputs["redrivePolicy"])["maxReceiveCount"] == 2


def test_only_the_source_bucket_in_this_account_may_send_to_the_queue(
    default_run: StackRun,
) -> None:
    queue_policy = default_run.one(t.QUEUE_POLICY)
    assert queue_policy.inputs["queueUrl"] == default_run.outputs["queueUrl"]
    [statement] = json.loads(queue_policy.inputs["policy"])["Statement"]

    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == queue_arn(default_run.outputs["queueUrl"].rsplit("/", 1)[1])
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": bucket_arn(default_run.outputs["sourceBucket"])},
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
    }


def test_notification_sends_new_objects_matching_the_filter(default_run: StackRun) -> None:
    notification = default_run.one(t.NOTIFICATION)
    queues = notification.inputs["queues"]

    assert notification.inputs["bucket"] == default_run.outputs["sourceBucket"]
    for queue in queues:
        assert queue["queueArn"] == queue_arn(default_run.outputs["queueUrl"].rsplit("/", 1)[1])
        assert queue["events"] == list(pipeline_spec.NOTIFICATION_EVENTS)
        assert queue["filterPrefix"] == "ecsproc/"
    # one configuration per suffix the worker decodes, in both cases: S3 compares suffixes
    # case-sensitively, so a camera's IMG_0001.JPG needs its own
    assert [queue["filterSuffix"] for queue in queues] == [
        *(".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"),
        *(".JPG", ".JPEG", ".PNG", ".WEBP", ".GIF", ".BMP"),
    ]


@pytest.mark.parametrize(
    ("prefix", "suffixes", "expected"),
    [
        ("", [".png"], [{"filterSuffix": ".png"}]),
        ("raw/", [], [{"filterPrefix": "raw/"}]),
        ("", [], [{}]),
        (
            "raw/",
            [".tif", ".TIF"],
            [{"filterPrefix": "raw/", "filterSuffix": s} for s in (".tif", ".TIF")],
        ),
    ],
)
def test_one_configuration_per_suffix_and_empty_filter_parts_left_out(
    prefix: str, suffixes: list[str], expected: list[dict[str, str]]
) -> None:
    run = run_program(stack_config({"sourcePrefix": prefix, "sourceSuffixes": suffixes}))

    queues = run.one(t.NOTIFICATION).inputs["queues"]
    assert [{k: v for k, v in q.items() if k.startswith("filter")} for q in queues] == expected
