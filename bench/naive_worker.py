"""The baseline worker for ``bench.local_throughput``: the original sample's way of working.

One message at a time, one file at a time, on one core: ``open -> convert('RGB') -> resize ->
save``, with the full-size decode that implies. It honours the worker's environment and writes the
same objects (output and ``.success``/``.failed`` log) so the local pipeline counts its work the
same way; it deletes a message only after its outcome is written, so the comparison is of speed
alone. Run by the Fargate stand-in as ``python -m bench.naive_worker``.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from types import FrameType
from typing import Any

import boto3
from PIL import Image

from contract.env import DEFAULT_DEST_PREFIX, DEFAULT_IDLE_SECONDS, Env
from contract.layout import Outcome, log_key, output_keys
from contract.values import parse_target_size
from worker.events import NotAnS3Event, parse_body

_stopping = False


def _stop(signum: int, frame: FrameType | None) -> None:
    global _stopping
    _stopping = True


def process(s3: Any, bucket: str, key: str, dest: str, prefix: str, size: tuple[int, int]) -> None:
    source = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        image = Image.open(io.BytesIO(source)).convert("RGB").resize(size)
        output = io.BytesIO()
        image.save(output, "PNG" if key.lower().endswith(".png") else "JPEG", quality=90)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        s3.put_object(Bucket=dest, Key=log_key(prefix, key, Outcome.FAILED), Body=str(error))
        return
    (output_key,) = output_keys(prefix, key, (size,))
    s3.put_object(Bucket=dest, Key=output_key, Body=output.getvalue())
    s3.put_object(Bucket=dest, Key=log_key(prefix, key, Outcome.SUCCESS), Body=b"ok")


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    queue_url = os.environ[Env.QUEUE_URL]
    dest = os.environ[Env.DEST_BUCKET]
    prefix = os.environ.get(Env.DEST_PREFIX, DEFAULT_DEST_PREFIX)
    size = parse_target_size(os.environ.get(Env.TARGET_SIZE, "224x224"))
    idle_seconds = float(os.environ.get(Env.IDLE_SECONDS, DEFAULT_IDLE_SECONDS))
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    last_message = time.monotonic()
    while not _stopping and time.monotonic() - last_message < idle_seconds:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            last_message = time.monotonic()
            try:
                records = parse_body(message["Body"]).records
            except NotAnS3Event:
                continue
            for record in records:
                process(s3, record.bucket, record.key, dest, prefix, size)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
