"""The ledger reads each file's outcome from its log object, and never forgets one."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from contract.layout import Outcome, logs_prefix, output_keys
from local.outcomes import OutcomeLedger


@pytest.fixture
def s3(mocked_aws: None) -> Any:
    client = boto3.client("s3")
    client.create_bucket(Bucket="dest")
    return client


@pytest.mark.parametrize("prefix", ["processed", ""])
def test_outcomes_come_from_log_objects(s3: Any, prefix: str) -> None:
    logs = logs_prefix(prefix)
    s3.put_object(Bucket="dest", Key=f"{logs}ecsproc/a b+c é.jpg.success", Body=b"ok")
    s3.put_object(Bucket="dest", Key=f"{logs}ecsproc/broken.jpg.failed", Body=b"error")
    # Outputs, with one size and with several, sit beside the logs and are not outcomes.
    for output in output_keys(prefix, "ecsproc/a b+c é.jpg", ((224, 224), (299, 299))):
        s3.put_object(Bucket="dest", Key=output, Body=b"image")
    ledger = OutcomeLedger(s3, "dest", prefix)
    ledger.refresh()
    assert ledger.outcomes == {
        "ecsproc/a b+c é.jpg": Outcome.SUCCESS,
        "ecsproc/broken.jpg": Outcome.FAILED,
    }
    assert ledger.count(Outcome.FAILED, {"ecsproc/broken.jpg", "other"}) == 1


def test_a_vanished_destination_bucket_does_not_erase_recorded_outcomes(s3: Any) -> None:
    s3.put_object(Bucket="dest", Key="processed/logs/ecsproc/a.jpg.success", Body=b"ok")
    ledger = OutcomeLedger(s3, "dest", "processed")
    ledger.refresh()
    s3.delete_object(Bucket="dest", Key="processed/logs/ecsproc/a.jpg.success")
    s3.delete_bucket(Bucket="dest")
    ledger.refresh()
    assert ledger.outcomes == {"ecsproc/a.jpg": Outcome.SUCCESS}


def test_every_log_object_of_a_file_is_kept_so_duplicates_can_be_seen(s3: Any) -> None:
    s3.put_object(Bucket="dest", Key="processed/logs/ecsproc/a.jpg.failed", Body=b"")
    s3.put_object(Bucket="dest", Key="processed/logs/ecsproc/a.jpg.success", Body=b"")
    ledger = OutcomeLedger(s3, "dest", "processed")
    ledger.refresh()
    assert sorted(ledger.log_keys["ecsproc/a.jpg"]) == [
        "processed/logs/ecsproc/a.jpg.failed",
        "processed/logs/ecsproc/a.jpg.success",
    ]
