"""One file, GET to log, against a stubbed S3: outcomes, exact requests, transient errors."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from contract.layout import Outcome
from contract.values import OutputFormat, ResizeMode
from tests.support import images
from tests.support.stubbed import stubbed_client
from worker import warnings_log
from worker.config import WorkerConfig
from worker.events import FileRecord
from worker.files import FileProcessor
from worker.flow import ByteBudget
from worker.imaging import Processed, ResizeSpec, process_image
from worker.task_time import TaskTime

RECORD = FileRecord("src", "ecsproc/a b.jpg")
CONFIG = WorkerConfig(
    queue_url="q",
    dest_bucket="dst",
    dest_prefix="processed",
    resize=ResizeSpec(((32, 24),), ResizeMode.CROP, 85),
    output_format=OutputFormat.SOURCE,
    idle_seconds=1,
    concurrency=1,
    ssm_path=None,
)
OUTPUT_KEY = "processed/ecsproc/a b.jpg"
SUCCESS_LOG = "processed/logs/ecsproc/a b.jpg.success"
FAILED_LOG = "processed/logs/ecsproc/a b.jpg.failed"


@pytest.fixture
def s3() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("s3") as stubbed:
        yield stubbed


def processor(client: Any, **options: Any) -> FileProcessor:
    return FileProcessor(client, CONFIG, threading.Semaphore(1), **options)


def expect_get(stubber: Stubber, data: bytes, key: str = RECORD.key) -> None:
    stubber.add_response(
        "get_object",
        {
            "Body": StreamingBody(io.BytesIO(data), len(data)),
            "ContentLength": len(data),
            "ETag": '"abc"',
        },
        {"Bucket": "src", "Key": key},
    )


def expect_put(stubber: Stubber, key: str, content_type: str, metadata: Any = None) -> None:
    """An output's PUT (no ``metadata``) or a log's (``metadata``; ANY for any)."""
    expected = {"Bucket": "dst", "Key": key, "Body": ANY, "ContentType": content_type}
    if metadata is not None:
        expected["Metadata"] = metadata
    stubber.add_response("put_object", {"ETag": '"x"'}, expected)


def test_success_is_one_get_then_the_output_then_its_log(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    expect_get(stubber, images.jpeg())
    expect_put(stubber, OUTPUT_KEY, "image/jpeg")
    expect_put(stubber, SUCCESS_LOG, "application/json", ANY)
    result = processor(client).handle(RECORD, "m-1")
    assert result.outcome is Outcome.SUCCESS
    assert result.recorded


def test_the_log_and_output_are_what_the_contract_says(s3: tuple[Any, Stubber]) -> None:
    # GIVEN a wrapped put_object that keeps what is written
    client, stubber = s3
    written: dict[str, bytes] = {}
    expect_get(stubber, images.jpeg(orientation=images.Orientation.ROTATED_270_CW))
    expect_put(stubber, OUTPUT_KEY, "image/jpeg")
    expect_put(stubber, SUCCESS_LOG, "application/json", ANY)
    real_put = client.put_object

    def keeping_put(**kwargs: Any) -> Any:
        written[kwargs["Key"]] = kwargs["Body"]
        return real_put(**kwargs)

    client.put_object = keeping_put
    processor(client).handle(RECORD, "m-1")
    # THEN the output is the target size and the log tells how it was made
    assert Image.open(io.BytesIO(written[OUTPUT_KEY])).size == (32, 24)
    log = json.loads(written[SUCCESS_LOG])
    assert log["outcome"] == "success"
    assert log["message_id"] == "m-1"
    assert log["source"] == {"bucket": "src", "key": RECORD.key, "etag": '"abc"', "bytes": ANY}
    assert log["outputs"] == [
        {
            "bucket": "dst",
            "key": OUTPUT_KEY,
            "size": [32, 24],
            "format": "JPEG",
            "bytes": len(written[OUTPUT_KEY]),
        }
    ]
    assert log["image"]["exif_orientation"] == 6
    assert log["settings"] == {
        "target_size": "32x24",
        "resize_mode": "crop",
        "output_format": "source",
        "jpeg_quality": 85,
    }
    assert "error" not in log
    assert "warnings" not in log


@pytest.mark.parametrize("name", sorted(images.BAD_FILES))
def test_a_bad_file_is_recorded_as_failed_with_its_reason(
    s3: tuple[Any, Stubber], name: str
) -> None:
    client, stubber = s3
    expect_get(stubber, images.BAD_FILES[name]())
    expect_put(stubber, FAILED_LOG, "application/json", ANY)
    bomb = name == "bomb.png"
    with pytest.warns(Image.DecompressionBombWarning) if bomb else contextlib.nullcontext():
        result = processor(client).handle(RECORD, "m-1")
    assert result.outcome is Outcome.FAILED
    assert result.recorded


@pytest.mark.parametrize("code", ["NoSuchKey", "NoSuchBucket"])
def test_a_vanished_object_is_recorded_as_failed(s3: tuple[Any, Stubber], code: str) -> None:
    client, stubber = s3
    stubber.add_client_error("get_object", code, http_status_code=404)
    expect_put(stubber, FAILED_LOG, "application/json", ANY)
    result = processor(client).handle(RECORD, "m-1")
    assert result.outcome is Outcome.FAILED
    assert "object-gone" in result.detail


def test_an_object_over_the_size_limit_is_refused_unread(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    expect_get(stubber, images.jpeg())
    expect_put(stubber, FAILED_LOG, "application/json", ANY)
    result = processor(client, max_source_bytes=100).handle(RECORD, "m-1")
    assert result.outcome is Outcome.FAILED
    assert result.detail.startswith("too-large")


@pytest.mark.parametrize(
    ("code", "status"),
    [("SlowDown", 503), ("InternalError", 500), ("AccessDenied", 403), ("RequestTimeout", 400)],
)
def test_a_source_that_cannot_be_read_now_is_retried_not_recorded(
    s3: tuple[Any, Stubber], code: str, status: int
) -> None:
    client, stubber = s3
    stubber.add_client_error("get_object", code, http_status_code=status)
    result = processor(client).handle(RECORD, "m-1")
    assert result.outcome is None
    assert not result.recorded
    assert code in result.detail


@pytest.mark.parametrize(
    ("code", "status"),
    [("SlowDown", 503), ("InternalError", 500), ("AccessDenied", 403), ("NoSuchBucket", 404)],
)
def test_a_destination_not_writable_is_retried(
    s3: tuple[Any, Stubber], code: str, status: int
) -> None:
    client, stubber = s3
    expect_get(stubber, images.jpeg())
    stubber.add_client_error("put_object", code, http_status_code=status)
    result = processor(client).handle(RECORD, "m-1")
    assert result.outcome is None
    assert result.detail.startswith("destination not writable")


def test_a_failed_log_write_is_retried_too(s3: tuple[Any, Stubber]) -> None:
    # GIVEN a bad file whose .failed log cannot be written
    client, stubber = s3
    expect_get(stubber, images.text_named_jpg())
    stubber.add_client_error("put_object", "ServiceUnavailable", http_status_code=503)
    # THEN the failure is not recorded, so the message must stay
    assert processor(client).handle(RECORD, "m-1").outcome is None


def test_each_log_carries_its_tasks_time_since_the_previous_log(
    s3: tuple[Any, Stubber],
) -> None:
    # GIVEN a task clock at 100 s when the task starts, whose outputs carry no metadata
    client, stubber = s3
    now = [100.0]
    task_time = TaskTime("task-1", clock=lambda: now[0])
    real_put = client.put_object

    def put_at_a_later_time(**kwargs: Any) -> Any:
        now[0] += 1.5
        return real_put(**kwargs)

    client.put_object = put_at_a_later_time
    expect_get(stubber, images.jpeg())
    expect_put(stubber, OUTPUT_KEY, "image/jpeg")
    # THEN the first log is charged from the start: 1.5 s (the output's PUT) when it is sent
    expect_put(
        stubber,
        SUCCESS_LOG,
        "application/json",
        metadata={"task": "task-1", "task-seconds": "1.500"},
    )
    processor(client, task_time=task_time).handle(RECORD, "m-1")
    # AND a second file whose log cannot be stored hands its charge to the next log: the time
    # since the first log was charged (101.5 s -> 104.5 s, after two more PUTs)
    expect_get(stubber, images.text_named_jpg())
    stubber.add_client_error("put_object", "ServiceUnavailable", http_status_code=503)
    expect_get(stubber, images.text_named_jpg())
    expect_put(
        stubber,
        FAILED_LOG,
        "application/json",
        metadata={"task": "task-1", "task-seconds": "3.000"},
    )
    files = processor(client, task_time=task_time)
    assert files.handle(RECORD, "m-2").outcome is None
    assert files.handle(RECORD, "m-2").outcome is Outcome.FAILED


def test_an_unexpected_error_in_the_image_work_is_retried(s3: tuple[Any, Stubber]) -> None:
    client, stubber = s3
    expect_get(stubber, images.jpeg())

    def out_of_memory(*args: Any) -> Any:
        raise MemoryError

    result = processor(client, process=out_of_memory).handle(RECORD, "m-1")
    assert result.outcome is None
    assert "MemoryError" in result.detail


def test_a_bad_file_is_failed_at_once_whatever_pillow_raises(s3: tuple[Any, Stubber]) -> None:
    # GIVEN a PNG that Pillow starts decoding when its EXIF is read, and cannot
    client, stubber = s3
    expect_get(stubber, images.truncated_png())
    expect_put(stubber, FAILED_LOG, "application/json", ANY)
    # THEN it is recorded as failed (not retried until it lands in the DLQ)
    result = processor(client).handle(RECORD, "m-1")
    assert result.outcome is Outcome.FAILED
    assert result.detail.startswith("truncated")


def test_decoder_warnings_go_into_the_log_and_the_files_log_line(
    s3: tuple[Any, Stubber], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a file Pillow warns about while reading it (and recovers)
    client, stubber = s3
    written: dict[str, bytes] = {}
    expect_get(stubber, images.apng_with_a_bad_frame_count())
    expect_put(stubber, OUTPUT_KEY, "image/jpeg")
    expect_put(stubber, SUCCESS_LOG, "application/json", ANY)
    real_put = client.put_object

    def keeping_put(**kwargs: Any) -> Any:
        written[kwargs["Key"]] = kwargs["Body"]
        return real_put(**kwargs)

    client.put_object = keeping_put
    with warnings.catch_warnings():
        warnings_log.install()
        with caplog.at_level(logging.INFO, logger="worker.files"):
            result = processor(client).handle(RECORD, "m-1")
    # THEN the warning is in the file's log object and in its one log line, as a field
    assert result.outcome is Outcome.SUCCESS
    (warning,) = json.loads(written[SUCCESS_LOG])["warnings"]
    assert "Invalid APNG" in warning
    (line,) = [record for record in caplog.records if record.getMessage() == "file"]
    assert line.__dict__["fields"]["warnings"] == [warning]


class HeldSlot(threading.Semaphore):
    """The only CPU slot, held elsewhere until `seconds` after the file has asked for it."""

    def __init__(self, seconds: float) -> None:
        super().__init__(0)
        self._seconds = seconds

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        threading.Timer(self._seconds, self.release).start()
        return super().acquire(blocking, timeout)

    __enter__ = acquire  # Semaphore binds its own acquire to `with`


def test_a_file_reports_its_cpu_time_apart_from_s3_and_from_waiting_for_a_slot(
    s3: tuple[Any, Stubber],
) -> None:
    # GIVEN an S3 whose GET takes 0.1 s, image work that takes 0.05 s, and a CPU slot that
    # comes 0.5 s after the file asks for it
    client, stubber = s3
    data = images.jpeg()
    expect_get(stubber, data)
    expect_put(stubber, OUTPUT_KEY, "image/jpeg")
    expect_put(stubber, SUCCESS_LOG, "application/json", ANY)
    real_get = client.get_object

    def slow_get(**kwargs: Any) -> Any:
        time.sleep(0.1)
        return real_get(**kwargs)

    def slow_process(*args: Any) -> Processed:
        time.sleep(0.05)
        return process_image(*args)

    client.get_object = slow_get
    started = time.monotonic()
    result = FileProcessor(client, CONFIG, HeldSlot(0.5), slow_process).handle(RECORD, "m-1")
    elapsed = time.monotonic() - started
    # THEN the slot wait counts as neither CPU nor S3 time: it is what files in flight cause
    assert result.work is not None
    assert result.work.cpu_seconds >= 0.05
    assert result.work.io_seconds >= 0.1
    assert result.work.cpu_seconds + result.work.io_seconds <= elapsed - 0.5
    assert result.work.source_bytes == len(data)


def test_source_bytes_are_held_in_the_budget_until_the_file_is_done(
    s3: tuple[Any, Stubber],
) -> None:
    client, stubber = s3
    data = images.jpeg()
    budget = ByteBudget(capacity=10 * len(data))
    held_while_processing: list[int] = []

    def watching(*args: Any) -> Processed:
        held_while_processing.append(budget.used)
        return process_image(*args)

    # GIVEN one file that succeeds and one whose output cannot be written
    expect_get(stubber, data)
    expect_put(stubber, OUTPUT_KEY, "image/jpeg")
    expect_put(stubber, SUCCESS_LOG, "application/json", ANY)
    expect_get(stubber, data)
    stubber.add_client_error("put_object", "SlowDown", http_status_code=503)
    files = processor(client, process=watching, source_budget=budget)
    assert files.handle(RECORD, "m-1").outcome is Outcome.SUCCESS
    assert files.handle(RECORD, "m-2").outcome is None
    # THEN each held its bytes while processing and gave them back, whatever the outcome
    assert held_while_processing == [len(data), len(data)]
    assert budget.used == 0


def test_a_file_waits_for_room_in_memory_before_reading_its_body(
    s3: tuple[Any, Stubber],
) -> None:
    # GIVEN a budget that other files fill for another second
    client, stubber = s3
    data = images.jpeg()
    budget = ByteBudget(capacity=len(data) + 10)
    budget.acquire(20)
    expect_get(stubber, data)
    expect_put(stubber, OUTPUT_KEY, "image/jpeg")
    expect_put(stubber, SUCCESS_LOG, "application/json", ANY)
    real_get = client.get_object
    got_headers_at: list[float] = []

    def get(**kwargs: Any) -> Any:
        response = real_get(**kwargs)
        got_headers_at.append(time.monotonic())
        return response

    client.get_object = get
    # (timed from before the timer starts: a timer never fires early, however busy the machine)
    started = time.monotonic()
    threading.Timer(1.0, budget.release, args=(20,)).start()
    result = processor(client, source_budget=budget).handle(RECORD, "m-1")
    # THEN it went ahead once there was room, and the wait is not counted as S3 time: only the
    # GET before it (its headers give the size) and the calls after the room came
    elapsed = time.monotonic() - started
    assert result.outcome is Outcome.SUCCESS
    assert elapsed >= 1.0
    assert result.work is not None
    [get_seconds] = [at - started for at in got_headers_at]
    assert result.work.io_seconds <= elapsed - 1.0 + get_seconds
    assert budget.used == 0


def keeping(client: Any) -> dict[str, tuple[bytes, str]]:
    """Wrap `client.put_object` to keep each object's body and content type by key."""
    written: dict[str, tuple[bytes, str]] = {}
    real_put = client.put_object

    def keeping_put(**kwargs: Any) -> Any:
        written[kwargs["Key"]] = (kwargs["Body"], kwargs["ContentType"])
        return real_put(**kwargs)

    client.put_object = keeping_put
    return written


@pytest.mark.parametrize("mode", list(ResizeMode))
def test_several_sizes_from_one_get_each_in_its_folder(
    s3: tuple[Any, Stubber], mode: ResizeMode
) -> None:
    # GIVEN two sizes and an EXIF-rotated PNG source
    client, stubber = s3
    record = FileRecord("src", "ecsproc/a b.png")
    config = dataclasses.replace(CONFIG, resize=ResizeSpec(((32, 24), (20, 40)), mode, 85))
    expect_get(stubber, images.encode(images.photo(), "PNG", exif=_rotated()), record.key)
    expect_put(stubber, "processed/32x24/ecsproc/a b.png", "image/png")
    expect_put(stubber, "processed/20x40/ecsproc/a b.png", "image/png")
    expect_put(stubber, "processed/logs/ecsproc/a b.png.success", "application/json", ANY)
    written = keeping(client)
    # WHEN the file is handled: exactly one GET, then one PUT per size, then the log
    result = FileProcessor(client, config, threading.Semaphore(1)).handle(record, "m-1")
    # THEN each output is its size, and the log lists every output
    assert result.outcome is Outcome.SUCCESS
    log = json.loads(written["processed/logs/ecsproc/a b.png.success"][0])
    assert [(output["key"], output["size"], output["format"]) for output in log["outputs"]] == [
        ("processed/32x24/ecsproc/a b.png", [32, 24], "PNG"),
        ("processed/20x40/ecsproc/a b.png", [20, 40], "PNG"),
    ]
    for output in log["outputs"]:
        body = written[output["key"]][0]
        assert Image.open(io.BytesIO(body)).size == tuple(output["size"])
        assert output["bytes"] == len(body)
    assert log["settings"]["target_size"] == "32x24,20x40"
    assert log["image"]["exif_orientation"] == 6


def _rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = images.Orientation.ROTATED_270_CW
    return exif.tobytes()


@pytest.mark.parametrize(
    ("output_format", "key", "content_type", "pillow_format"),
    [
        (OutputFormat.WEBP, "processed/ecsproc/a b.webp", "image/webp", "WEBP"),
        (OutputFormat.PNG, "processed/ecsproc/a b.png", "image/png", "PNG"),
        (OutputFormat.JPEG, "processed/ecsproc/a b.jpg", "image/jpeg", "JPEG"),
        (OutputFormat.SOURCE, "processed/ecsproc/a b.jpg", "image/jpeg", "JPEG"),
    ],
)
def test_a_forced_format_is_written_under_its_extension(
    s3: tuple[Any, Stubber],
    output_format: OutputFormat,
    key: str,
    content_type: str,
    pillow_format: str,
) -> None:
    client, stubber = s3
    config = dataclasses.replace(CONFIG, output_format=output_format)
    expect_get(stubber, images.jpeg())
    expect_put(stubber, key, content_type)
    expect_put(stubber, SUCCESS_LOG, "application/json", ANY)
    written = keeping(client)
    FileProcessor(client, config, threading.Semaphore(1)).handle(RECORD, "m-1")
    assert Image.open(io.BytesIO(written[key][0])).format == pillow_format
    log = json.loads(written[SUCCESS_LOG][0])
    assert log["settings"]["output_format"] == output_format.value
