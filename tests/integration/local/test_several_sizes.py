"""Several sizes in one forced format, end to end in one process: the local pipeline's stack (as
`python -m local` provisions it, on moto), an upload, and the worker built from the environment
of that stack's task definition, as a task would get it."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
from PIL import Image

from local.provision import Clients, provision
from local.settings import LocalSettings
from tests.support import images
from worker.__main__ import build_worker
from worker.config import load_config


def test_two_sizes_as_webp_give_one_output_per_size_and_a_log_listing_both(
    mocked_aws: None,
) -> None:
    # GIVEN the local stack set to two sizes and WebP outputs
    clients = Clients(*(boto3.client(service) for service in ("s3", "sqs", "ecs", "ec2", "ssm")))
    settings = LocalSettings().replace(
        target_size="224x224,299x299", output_format="webp", idle_seconds=1
    )
    deployment = provision(clients, settings)
    # AND a JPEG uploaded where the bucket notification sends its event to the queue
    clients.s3.put_object(
        Bucket=deployment.source_bucket, Key="ecsproc/cat.jpg", Body=images.jpeg((640, 480))
    )
    # WHEN a worker with the task definition's environment drains the queue
    definition = clients.ecs.describe_task_definition(
        taskDefinition=deployment.task_definition_arn
    )["taskDefinition"]
    environment = {
        variable["name"]: variable["value"]
        for variable in definition["containerDefinitions"][0]["environment"]
    }
    build_worker(load_config(environment), environment).run()
    # THEN each size has its output, as WebP under <prefix>/<W>x<H>/ with the .webp extension
    dest = deployment.dest_bucket
    keys = {item["Key"] for item in clients.s3.list_objects_v2(Bucket=dest).get("Contents", [])}
    assert keys == {
        "processed/224x224/ecsproc/cat.webp",
        "processed/299x299/ecsproc/cat.webp",
        "processed/logs/ecsproc/cat.jpg.success",
    }
    for key, size in (
        ("processed/224x224/ecsproc/cat.webp", (224, 224)),
        ("processed/299x299/ecsproc/cat.webp", (299, 299)),
    ):
        stored = _get(clients.s3, dest, key)
        assert stored["ContentType"] == "image/webp"
        image = Image.open(io.BytesIO(stored["Body"].read()))
        assert (image.format, image.size, image.mode) == ("WEBP", size, "RGB")
    # AND the log lists both outputs, in the configured order, with their sizes and bytes
    log = json.loads(
        _get(clients.s3, dest, "processed/logs/ecsproc/cat.jpg.success")["Body"].read()
    )
    assert log["outcome"] == "success"
    assert log["settings"]["target_size"] == "224x224,299x299"
    assert log["settings"]["output_format"] == "webp"
    outputs = log["outputs"]
    assert [(o["key"], o["size"], o["format"]) for o in outputs] == [
        ("processed/224x224/ecsproc/cat.webp", [224, 224], "WEBP"),
        ("processed/299x299/ecsproc/cat.webp", [299, 299], "WEBP"),
    ]
    for output in outputs:
        assert output["bucket"] == dest
        head = clients.s3.head_object(Bucket=dest, Key=output["key"])
        assert output["bytes"] == head["ContentLength"]
    # AND the message was deleted once the outcome was stored
    attributes = clients.sqs.get_queue_attributes(
        QueueUrl=deployment.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }


def _get(s3: Any, bucket: str, key: str) -> Any:
    return s3.get_object(Bucket=bucket, Key=key)
